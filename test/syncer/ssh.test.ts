import assert from 'node:assert/strict'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { credentialsFromSecret } from '../../src/syncer/git-credentials.js'
import type { SiteSource } from '../../src/syncer/site-syncer.js'
import { SyncError } from '../../src/syncer/sync-error.js'
import { generateKey, GitSshServer, sshdUnavailable } from '../git/ssh-server.js'
import { GitFixture, served } from './git-fixture.js'

const skip = await sshdUnavailable()

/** Mode of every file below `dir` right now, for proving key files are private while git runs. */
const fileModes = (dir: string): number[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => statSync(join(entry.parentPath, entry.name)).mode & 0o777)

describe('the sync engine against a real git host over SSH', { skip }, () => {
  let fx: GitFixture
  let sshd: GitSshServer
  before(async () => {
    fx = await GitFixture.start()
    sshd = await GitSshServer.start()
  })
  after(async () => {
    await sshd?.stop()
    await fx?.stop()
  })

  /** A site reading `repo` over ssh with a Secret holding these keys, as the controller reads it. */
  const site = (key: string, repo: string, secret: Record<string, string>): SiteSource => ({
    id: key.replace('--', '/'),
    key,
    repo: sshd.url(fx.repos.gitDir(repo)),
    ref: 'main',
    path: '/',
    credentials: async () => credentialsFromSecret('deploy-key', secret),
  })

  it('publishes with the Secret’s ssh-privatekey and known_hosts; the key only ever sits in 0600 files, removed after the sync', async () => {
    const commit = await fx.repos.create('ssh.git', { 'index.html': 'over ssh' })
    const spawned: string[] = []
    const modes: number[] = []
    const tempDir = join(fx.dir, 'ssh', 'work', 'tmp')
    const { syncer, root } = await fx.engine('ssh', {
      onGitSpawn: (args) => {
        spawned.push(args.join(' '))
        modes.push(...fileModes(tempDir))
      },
    })
    const secret = { 'ssh-privatekey': sshd.clientKey, known_hosts: sshd.knownHosts() }
    const result = await syncer.sync(site('ns--ssh', 'ssh.git', secret))
    assert.equal(result.action, 'published')
    assert.equal(result.commit, commit)
    assert.equal(await served(root, 'ns--ssh', 'index.html'), 'over ssh')
    assert.ok(modes.length >= 2, 'ls-remote and fetch each had a key file and a known_hosts file')
    assert.ok(
      modes.every((mode) => mode === 0o600),
      `key files are 0600, got ${modes.map((m) => m.toString(8))}`,
    )
    assert.deepEqual(readdirSync(tempDir), [], 'no key file is left after the sync')
    const keyBody = sshd.clientKey.split('\n')[1] ?? ''
    assert.ok(keyBody.length > 20 && !spawned.some((args) => args.includes(keyBody)))
  })

  it('refuses a host whose key is not the one in known_hosts, says so, and publishes nothing', async () => {
    await fx.repos.create('mitm.git', { 'index.html': 'not this' })
    const impostor = await generateKey(join(fx.dir, 'impostor_key'))
    const { syncer, root } = await fx.engine('mitm')
    const secret = {
      'ssh-privatekey': sshd.clientKey,
      known_hosts: sshd.knownHosts(impostor.publicKey.replace(/ \S+$/, '')),
    }
    await assert.rejects(syncer.sync(site('ns--mitm', 'mitm.git', secret)), (error: unknown) => {
      assert.ok(error instanceof SyncError, String(error))
      assert.equal(error.code, 'HP_ERR_SYNC_CREDENTIALS')
      assert.match(error.message, /^host key verification failed: known_hosts in spec.secretRef/)
      return true
    })
    assert.ok(!existsSync(join(root, 'ns--mitm')), 'nothing is published')
    assert.deepEqual(readdirSync(join(fx.dir, 'mitm', 'work', 'tmp')), [])
  })
})
