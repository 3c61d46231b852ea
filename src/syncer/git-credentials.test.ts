import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { credentialEnv, credentialsFromSecret, sshCommand } from './git-credentials.js'
import { SyncError } from './sync-error.js'

const SSH = { connectTimeoutSeconds: 30, host: 'git.example', port: 22, address: '140.82.121.4' }

describe('credentialsFromSecret', () => {
  it('reads username and password (kubernetes.io/basic-auth)', () => {
    assert.deepEqual(credentialsFromSecret('git', { username: 'u', password: 'p' }), {
      kind: 'basic',
      username: 'u',
      password: 'p',
    })
  })
  it('reads a bare token with the username GitLab expects', () => {
    assert.deepEqual(credentialsFromSecret('git', { token: 't' }), {
      kind: 'basic',
      username: 'oauth2',
      password: 't',
    })
  })
  it('reads an SSH key with known_hosts', () => {
    assert.equal(
      credentialsFromSecret('git', { 'ssh-privatekey': 'KEY', known_hosts: 'host ssh-ed25519 AAA' }).kind,
      'ssh',
    )
  })
  it('refuses an SSH key without known_hosts, saying how to get them', () => {
    assert.throws(
      () => credentialsFromSecret('git', { 'ssh-privatekey': 'KEY' }),
      (e: unknown) =>
        e instanceof SyncError && /known_hosts/.test(e.message) && /ssh-keyscan/.test(e.message),
    )
  })
  it('refuses a Secret with none of the known keys, naming them', () => {
    assert.throws(
      () => credentialsFromSecret('git', { foo: 'bar' }),
      /username\+password, token, or ssh-privatekey\+known_hosts/,
    )
  })
})

describe('credentialEnv', () => {
  it('gives basic credentials to the askpass helper through the environment only', async () => {
    const env = await credentialEnv(
      { kind: 'basic', username: 'u', password: 'p' },
      { askPass: '/x/askpass.sh', tempDir: tmpdir(), ssh: SSH },
    )
    assert.deepEqual(env.env, {
      GIT_ASKPASS: '/x/askpass.sh',
      HOSTPLANE_GIT_USERNAME: 'u',
      HOSTPLANE_GIT_PASSWORD: 'p',
    })
  })

  it('writes the SSH key and known_hosts to 0600 files named in GIT_SSH_COMMAND, and removes them on dispose', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hostplane-cred-'))
    try {
      const env = await credentialEnv(
        { kind: 'ssh', privateKey: 'PRIVATE KEY', knownHosts: 'git.example ssh-ed25519 AAAA' },
        { askPass: '/x', tempDir: dir, ssh: SSH },
      )
      const command = env.env.GIT_SSH_COMMAND ?? ''
      assert.ok(!command.includes('PRIVATE KEY'), 'the key itself is never in the command')
      assert.match(command, /StrictHostKeyChecking=yes/)
      assert.match(command, /BatchMode=yes/)
      assert.match(
        command,
        /-o HostName='140.82.121.4'/,
        'ssh connects to the approved address, not a new DNS answer',
      )
      assert.match(command, /-o HostKeyAlias='git.example'/)
      const keyFile = /-i '([^']+)'/.exec(command)?.[1] ?? ''
      assert.equal(await readFile(keyFile, 'utf8'), 'PRIVATE KEY\n')
      assert.equal((await stat(keyFile)).mode & 0o777, 0o600)
      await env.dispose()
      assert.ok(!existsSync(keyFile))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('sshCommand', () => {
  it('quotes paths for the shell git runs it through', () => {
    assert.match(sshCommand("/tmp/a b/it's", '/tmp/kh', SSH), /-i '\/tmp\/a b\/it'\\''s'/)
  })

  it('looks the host key up as ssh-keyscan lists it: by name on port 22, as [name]:port elsewhere', () => {
    assert.match(sshCommand('/k', '/kh', SSH), /-o HostKeyAlias='git.example'/)
    assert.match(sshCommand('/k', '/kh', { ...SSH, port: 2222 }), /-o HostKeyAlias='\[git.example\]:2222'/)
  })
})
