import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { KubeRest } from '../../src/kube/rest.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { waitFor } from '../cluster/process.js'
import { GitServerRun, type KeyPair, keyPair } from './harness.js'

const env = await clusterForTests()

describe("a deleted Webspace's repository leaves the gitserver's volume", { skip: env.skip }, () => {
  let admin: KubeRest
  let gs: GitServerRun
  let alice: string
  let bob: string
  let carol: string
  let keys: Record<'alice' | 'bob' | 'carol', KeyPair>

  before(async () => {
    const cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    gs = await GitServerRun.create(cluster, admin)
    const keysDir = join(gs.dir, 'keys')
    await mkdir(keysDir)
    const [a, b, c] = await Promise.all([
      keyPair(keysDir, 'alice'),
      keyPair(keysDir, 'bob'),
      keyPair(keysDir, 'carol'),
    ])
    keys = { alice: a, bob: b, carol: c }
    alice = await gs.customer('alice', { sshKeys: [keys.alice.publicKey] })
    bob = await gs.customer('bob', { sshKeys: [keys.bob.publicKey] })
    carol = await gs.customer('carol', { sshKeys: [keys.carol.publicKey] })
    await gs.start()
  })

  after(async () => {
    if (gs) {
      if (process.env.HOSTPLANE_TEST_KEEP_LOG) console.error(await gs.log())
      await gs.stop()
      await gs.removeCustomers([alice, bob, carol].filter(Boolean))
      await rm(gs.dir, { recursive: true, force: true })
    }
    admin?.close()
    await env.release()
  })

  const repository = (uid: string) => join(gs.reposDir, `${uid}.git`)
  /** The JSON log lines of the gitserver with this message. */
  const logLines = async (message: string) =>
    (await gs.log())
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === message)
  /** Waits for the gitserver's `repository removed` line of this UID (written once the data is gone) and returns it. */
  const removal = (uid: string, timeoutMs = 30_000) =>
    waitFor(async () => (await logLines('repository removed')).find((line) => line.uid === uid), {
      timeoutMs,
      intervalMs: 100,
      describe: () => `the repository ${uid} was not removed`,
    })
  const pushed = async (customer: string, key: KeyPair, content: string) => {
    const work = await gs.workTree(`${customer}-${content}`, { 'index.html': content })
    const push = await gs.git(work.dir, [key.file], ['push', gs.url(customer), 'main'])
    assert.equal(push.code, 0, push.stderr)
    return work
  }

  it('removes the repository when its Webspace is deleted; the Webspace created again with the same name gets a new, empty one', async () => {
    const { dir, commit } = await pushed(alice, keys.alice, 'old code')
    const uid = await gs.webspaceUid(alice)
    assert.ok(existsSync(repository(uid)))

    await gs.deleteWebspace(alice)
    const { reason, namespace, name } = await removal(uid)
    assert.deepEqual(
      { reason, namespace, name },
      { reason: 'webspace_deleted', namespace: gs.namespaceOf(alice), name: 'site' },
    )
    assert.ok(!existsSync(repository(uid)))
    assert.match(
      await gs.metrics(),
      /hostplane_gitserver_repositories_removed_total\{reason="webspace_deleted"\} 1\b/,
    )
    assert.deepEqual(await readdir(join(gs.reposDir, '.trash')), [], 'nothing is left in the trash')

    await gs.createWebspace(alice)
    await gs.waitForRepository(alice)
    assert.notEqual(await gs.webspaceUid(alice), uid)
    const listed = await gs.git(dir, [keys.alice.file], ['ls-remote', gs.url(alice)])
    assert.equal(listed.code, 0, listed.stderr)
    assert.equal(listed.stdout, '', 'the new repository has no refs')
    const clone = join(gs.dir, 'work', 'fresh-clone')
    const cloned = await gs.git(gs.dir, [keys.alice.file], ['clone', '--quiet', gs.url(alice), clone])
    assert.equal(cloned.code, 0, cloned.stderr)
    assert.match(cloned.stderr, /cloned an empty repository/)
    const fetched = await gs.git(clone, [keys.alice.file], ['fetch', gs.url(alice), commit])
    assert.notEqual(fetched.code, 0, 'the old commit cannot be fetched')
    assert.notEqual((await gs.git(clone, [], ['cat-file', '-e', commit])).code, 0)
  })

  it('keeps the repository while a fetch runs in it when its Webspace is deleted, removes it when the fetch ends, and serves on', async () => {
    const { commit } = await pushed(bob, keys.bob, 'bob')
    const uid = await gs.webspaceUid(bob)
    const session = spawn(
      'ssh',
      [...gs.sshOptions([keys.bob.file]), 'git@127.0.0.1', `git-upload-pack '${bob}/site.git'`],
      {
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    )
    const ended = new Promise<number | null>((resolve) => session.once('close', resolve))
    try {
      // git-upload-pack runs once it advertised the refs; it then waits for the client's wants.
      let advertised = ''
      await new Promise<void>((resolve, reject) => {
        session.stdout.on('data', (chunk: Buffer) => {
          advertised += chunk.toString('latin1')
          if (advertised.includes(commit)) resolve()
        })
        session.once('close', () => reject(new Error(`the fetch ended before it advertised ${commit}`)))
      })

      await gs.deleteWebspace(bob)
      await waitFor(
        async () =>
          (await logLines('the repository is in use; it is removed when its last git command ends')).some(
            (line) => line.uid === uid,
          )
            ? true
            : undefined,
        { timeoutMs: 30_000, intervalMs: 100, describe: () => 'the gitserver did not defer the removal' },
      )
      assert.ok(existsSync(repository(uid)), 'the repository stays while git runs in it')
      // A flush: the client wants nothing, and git-upload-pack ends.
      session.stdin.end('0000')
      assert.equal(await ended, 0)
      await removal(uid)
      assert.ok(!existsSync(repository(uid)))
    } finally {
      session.kill()
    }
    assert.ok((await fetch(`http://127.0.0.1:${gs.httpPort}/readyz`)).ok, 'the gitserver is still ready')
    const listed = await gs.git(gs.dir, [keys.alice.file], ['ls-remote', gs.url(alice)])
    assert.equal(listed.code, 0, listed.stderr)
  })

  it('at start removes what Webspaces deleted while it was stopped left, and what a crash left; keeps every live repository and what is not its own', async () => {
    await pushed(carol, keys.carol, 'carol')
    const carolUid = await gs.webspaceUid(carol)
    // A Webspace outside the gitserver's --selector: it does not serve it, and must not take its repository either.
    await gs.createWebspace(carol, 'outside', {})
    const outsideUid = await gs.webspaceUid(carol, 'outside')
    await mkdir(join(repository(outsideUid), 'objects'), { recursive: true })
    await gs.stopProcess()

    await gs.deleteWebspace(carol)
    const stray = randomUUID()
    await mkdir(join(repository(stray), 'objects'), { recursive: true })
    const unfinished = randomUUID()
    await mkdir(join(gs.reposDir, `.new-${unfinished}`, 'objects'), { recursive: true })
    await mkdir(join(gs.reposDir, '.trash', `${randomUUID()}.git-0badc0de`, 'objects'), { recursive: true })
    await mkdir(join(gs.reposDir, 'lost+found'))

    await gs.start()
    for (const uid of [carolUid, stray, unfinished]) assert.equal((await removal(uid)).reason, 'orphaned')
    assert.deepEqual(
      (await readdir(gs.reposDir)).sort(),
      ['.trash', `${await gs.webspaceUid(alice)}.git`, `${outsideUid}.git`, 'lost+found'].sort(),
    )
    assert.deepEqual(await readdir(join(gs.reposDir, '.trash')), [], 'the trash is empty')
    assert.match(
      await gs.metrics(),
      /hostplane_gitserver_repositories_removed_total\{reason="orphaned"\} 3\b/,
    )
    await admin.request('DELETE', gs.webspacePath(carol, 'outside'))
  })

  it("removes a deleted Customer's repositories once its namespace and Webspaces are gone", async () => {
    const uid = await gs.webspaceUid(alice)
    assert.ok(existsSync(repository(uid)))
    await gs.removeCustomers([alice])
    assert.equal((await removal(uid, 120_000)).reason, 'webspace_deleted')
    assert.ok(!existsSync(repository(uid)))
  })
})
