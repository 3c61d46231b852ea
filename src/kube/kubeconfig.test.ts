import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { RequestOptions } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { stringify } from 'yaml'
import { LightKubeConfig } from './kubeconfig.js'

const b64 = (text: string) => Buffer.from(text).toString('base64')

async function withKubeconfig(user: Record<string, unknown>, check: (path: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'))
  const path = join(dir, 'config')
  await writeFile(
    path,
    stringify({
      'current-context': 'c',
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
      clusters: [
        { name: 'k', cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': b64('CA') } },
      ],
      users: [{ name: 'u', user }],
    }),
  )
  try {
    await check(path)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('LightKubeConfig', () => {
  it('reads the current context: server, CA and a bearer token', () =>
    withKubeconfig({ token: 'abc' }, async (path) => {
      const config = LightKubeConfig.fromFile(path)
      assert.equal(config.getCurrentCluster().server, 'https://10.0.0.1:6443')
      const options: RequestOptions = {}
      await config.applyToHTTPSOptions(options)
      assert.equal(String(options.ca), 'CA')
      assert.equal(options.rejectUnauthorized, true)
      assert.deepEqual(options.headers, { authorization: 'Bearer abc' })
    }))

  it('reads client certificates from inline data', () =>
    withKubeconfig(
      { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
      async (path) => {
        const options: RequestOptions = {}
        await LightKubeConfig.fromFile(path).applyToHTTPSOptions(options)
        assert.equal(String(options.cert), 'CERT')
        assert.equal(String(options.key), 'KEY')
        assert.equal(options.headers, undefined)
      },
    ))

  it('refuses exec plugins with a message saying what to use instead', () =>
    withKubeconfig({ exec: { command: 'aws' } }, async (path) => {
      assert.throws(
        () => LightKubeConfig.fromFile(path),
        /exec or auth-provider plugin; use a token or a client certificate/,
      )
    }))
})
