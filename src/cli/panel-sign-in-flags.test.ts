import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Command } from 'commander'
import { StartError } from './command.js'
import {
  issuerUrl,
  publicOrigin,
  type SignInFlags,
  signInFlags,
  signInOptions,
} from './panel-sign-in-flags.js'

const parse = (args: string[]): SignInFlags => {
  const command = new Command('panel').exitOverride()
  for (const option of signInFlags()) command.addOption(option)
  command.parse(args, { from: 'user' })
  return command.opts<SignInFlags>()
}

const required = [
  '--public-url',
  'https://panel.example.test',
  '--oidc-issuer',
  'https://id.example.test/realms/hosting',
]
const required2 = [...required, '--oidc-client-id', 'hostplane-panel']

describe('hostplane panel sign-in flags', () => {
  it('accept an https issuer and panel URL, or http on a loopback host; refuse others saying what they accept', () => {
    assert.equal(issuerUrl('https://id.example.test/realms/x'), 'https://id.example.test/realms/x')
    assert.equal(issuerUrl('http://127.0.0.1:8080'), 'http://127.0.0.1:8080')
    assert.equal(publicOrigin('https://panel.example.test/'), 'https://panel.example.test')
    assert.equal(publicOrigin('http://localhost:3000'), 'http://localhost:3000')
    assert.throws(() => issuerUrl('http://id.example.test'), /https:\/\/, or http:\/\/ on a loopback host/)
    assert.throws(() => issuerUrl('https://id.example.test/?x=1'), /not an issuer URL/)
    assert.throws(() => publicOrigin('https://panel.example.test/panel'), /root of its host/)
  })

  it('give SignInOptions with the documented defaults and the secret read from its file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hostplane-signin-'))
    try {
      await writeFile(join(dir, 'secret'), 's3cret\n')
      const options = await signInOptions(
        parse([...required2, '--oidc-client-secret-file', join(dir, 'secret'), '--oidc-admin-group', 'ops']),
        {},
      )
      assert.deepEqual(options, {
        issuer: 'https://id.example.test/realms/hosting',
        clientId: 'hostplane-panel',
        clientSecret: 's3cret',
        publicUrl: 'https://panel.example.test',
        allowHttpIssuer: false,
        scope: 'openid email profile',
        claims: { customerClaim: 'hostplane_customer', groupsClaim: 'groups', adminGroup: 'ops' },
        sessionLimits: { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 },
        signInPerMinute: 20,
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('take the secret from HOSTPLANE_OIDC_CLIENT_SECRET without a file, and refuse to start without any', async () => {
    const flags = parse(required2)
    assert.equal(
      (await signInOptions(flags, { HOSTPLANE_OIDC_CLIENT_SECRET: 'from-env' })).clientSecret,
      'from-env',
    )
    await assert.rejects(
      signInOptions(flags, {}),
      (error) =>
        error instanceof StartError &&
        /--oidc-client-secret-file or HOSTPLANE_OIDC_CLIENT_SECRET/.test(error.message),
    )
    await assert.rejects(
      signInOptions(parse(required), { HOSTPLANE_OIDC_CLIENT_SECRET: 'x' }),
      /needs --oidc-client-id/,
    )
  })
})
