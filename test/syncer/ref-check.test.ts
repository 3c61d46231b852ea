/**
 * The in-process ref check (smart HTTP) against the git CLI, on a real git host: the same
 * answers, the same host policy, the same failures, the same trust.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { DEFAULT_TIMEOUTS, GitClient, type Remote } from '../../src/syncer/git-client.js'
import { GitRunner, subcommand } from '../../src/syncer/git-command.js'
import { type GitCredentials, writeAskPassHelper } from '../../src/syncer/git-credentials.js'
import { RemoteAccess } from '../../src/syncer/remote-access.js'
import { parseRepoUrl } from '../../src/syncer/repo-url.js'
import { SmartHttpRefs } from '../../src/syncer/smart-http.js'
import { SyncError } from '../../src/syncer/sync-error.js'
import { createPki } from '../cluster/pki.js'
import { GitFixture } from './git-fixture.js'

const run = promisify(execFile)

interface ClientOptions {
  readonly caFile?: string
  /** The git program: a wrapper that changes what git sees of the system. */
  readonly binary?: string
  readonly lsRemoteMs?: number
}

/** Both transports on one policy: the GitClient (git CLI) and the in-process check it uses. */
async function clients(fx: GitFixture, options: ClientOptions = {}) {
  const dir = await mkdtemp(join(fx.dir, 'client-'))
  const spawned: string[] = []
  const access = await RemoteAccess.create({
    caFile: 'caFile' in options ? options.caFile : fx.server.caFile,
    emptyCaDir: join(dir, 'no-ca-dir'),
  })
  const timeouts = { ...DEFAULT_TIMEOUTS, lsRemoteMs: options.lsRemoteMs ?? DEFAULT_TIMEOUTS.lsRemoteMs }
  const git = new GitClient({
    runner: new GitRunner({
      home: dir,
      binary: options.binary,
      onSpawn: (args) => spawned.push(subcommand(args)),
    }),
    askPass: await writeAskPassHelper(dir),
    tempDir: dir,
    access,
    timeouts,
  })
  return { git, refs: new SmartHttpRefs(access, { timeoutMs: timeouts.lsRemoteMs }), spawned }
}

const remoteOf = (url: string, credentials?: GitCredentials, address = '127.0.0.1'): Remote => ({
  repo: parseRepoUrl(url),
  address,
  credentials,
})

const NAMES = (name: string) => [`refs/heads/${name}`, `refs/tags/${name}`]

/** What a call threw, as the site's owner sees it. */
async function failureOf(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await call.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  )
  assert.ok(error instanceof SyncError, String(error))
  return { code: error.code, message: error.message }
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('the in-process ref check against git ls-remote', () => {
  let fx: GitFixture
  let unrelatedCa: string
  before(async () => {
    fx = await GitFixture.start()
    const dir = join(fx.dir, 'unrelated-ca')
    await mkdir(dir)
    unrelatedCa = (await createPki(dir)).caCert
    for (const repo of ['refs.git', 'refs-v0.git']) {
      const first = (await fx.repos.create(repo, { 'index.html': 'one' })) as string
      const second = await fx.repos.commit(repo, { 'index.html': 'two' }, { branch: 'main-old' })
      await fx.repos.tag(repo, 'light', first)
      await fx.repos.tag(repo, 'v1', second, true)
      await fx.repos.commit(repo, { 'index.html': 'branch' }, { branch: 'both' })
      await fx.repos.tag(repo, 'both', first, true)
    }
    fx.server.speakV0('refs-v0.git')
    await fx.repos.create('private.git', { 'index.html': 'private' })
    fx.server.makePrivate('private.git', { username: 'tenant', password: 'pa55' })
  })
  after(() => fx.stop())

  for (const repo of ['refs.git', 'refs-v0.git'])
    it(`answers exactly what git ls-remote answers (${repo === 'refs.git' ? 'protocol v2 ls-refs' : 'a v0-only host'}), without starting git`, async () => {
      const { git, refs, spawned } = await clients(fx)
      const remote = remoteOf(fx.url(repo))
      for (const name of ['main', 'main-old', 'light', 'v1', 'both', 'mai', 'missing']) {
        const inProcess = await refs.list(remote, NAMES(name))
        const cli = await git.lsRemote(remote, [...NAMES(name), `refs/tags/${name}^{}`])
        assert.deepEqual(inProcess, cli, name)
      }
      spawned.length = 0
      const [branch, annotated, both] = await Promise.all(
        ['main', 'v1', 'both'].map((name) => git.resolve(remote, { kind: 'name', name })),
      )
      assert.deepEqual(spawned, [], 'no git process for a check over https')
      const cli = await git.lsRemote(remote, ['refs/heads/main', 'refs/tags/v1^{}', 'refs/heads/both'])
      assert.deepEqual(
        [branch, annotated, both],
        [cli.get('refs/heads/main'), cli.get('refs/tags/v1^{}'), cli.get('refs/heads/both')],
        'a branch, an annotated tag’s commit, and the branch of a name that is a tag too',
      )
    })

  it('asks a v2 repository’s capabilities once: the next checks send ls-refs alone, and a stale answer starts over', async () => {
    const { refs, git } = await clients(fx)
    await fx.repos.create('once.git', { 'index.html': 'one' })
    const remote = remoteOf(fx.url('once.git'))
    for (let i = 0; i < 3; i++) assert.ok((await refs.list(remote, NAMES('main')))?.has('refs/heads/main'))
    assert.equal(fx.server.advertisementsOf('once.git'), 1, 'info/refs once for three checks')
    assert.equal(fx.server.countsOf('once.git').refListings, 3)
    // The host stops speaking v2: the remembered capabilities no longer hold, and the check reads
    // the v0 advertisement instead of taking a refused ls-refs for "no refs".
    fx.server.speakV0('once.git')
    const commit = await fx.repos.commit('once.git', { 'index.html': 'two' })
    const listed = await refs.list(remote, NAMES('main'))
    assert.deepEqual(listed, await git.lsRemote(remote, NAMES('main')))
    assert.equal(listed?.get('refs/heads/main'), commit)
  })

  it('keeps one connection to the host alive across checks', async () => {
    const { git } = await clients(fx)
    const before = fx.server.connections
    for (let i = 0; i < 20; i++)
      await git.resolve(remoteOf(fx.url('refs.git')), { kind: 'name', name: 'main' })
    assert.equal(fx.server.connections - before, 1)
  })

  it('sends the site’s credentials only when asked, and reads a private repository with them', async () => {
    const { git, refs } = await clients(fx)
    const remote = remoteOf(fx.url('private.git'), { kind: 'basic', username: 'tenant', password: 'pa55' })
    assert.deepEqual(await refs.list(remote, NAMES('main')), await git.lsRemote(remote, NAMES('main')))
  })

  const failures: [
    string,
    () => Promise<{ url: string; client?: ClientOptions; credentials?: GitCredentials }>,
    RegExp,
  ][] = [
    [
      'no credentials for a private repository',
      async () => ({ url: fx.url('private.git') }),
      /^authentication failed: the repository needs credentials/,
    ],
    [
      'refused credentials',
      async () => ({
        url: fx.url('private.git'),
        credentials: { kind: 'basic', username: 'tenant', password: 'wrong' },
      }),
      /^authentication failed: the host refused the credentials/,
    ],
    [
      'a redirect',
      async () => ({ url: fx.server.redirectUrl('refs.git', 'localhost') }),
      /^redirect refused: /,
    ],
    [
      'a repository the host does not have',
      async () => ({ url: fx.url('missing.git') }),
      /^repository not found: /,
    ],
    [
      'a host that never answers',
      async () => ({ url: fx.server.hangingUrl('refs.git'), client: { lsRemoteMs: 1500 } }),
      /^git ls-remote timed out talking to /,
    ],
    [
      'a host that refuses connections',
      async () => ({ url: `https://127.0.0.1:${await closedPort()}/refs.git` }),
      /^git ls-remote failed: .*; will retry$/,
    ],
    [
      'a certificate no trusted CA signed',
      async () => ({ url: fx.url('refs.git'), client: { caFile: unrelatedCa } }),
      /^git ls-remote failed: .*certificate verification failed.*; will retry$/,
    ],
  ]
  for (const [what, setup, message] of failures)
    it(`fails as git does on ${what}`, async () => {
      const { url, client, credentials } = await setup()
      const { git } = await clients(fx, client)
      const remote = remoteOf(url, credentials)
      const inProcess = await failureOf(git.resolve(remote, { kind: 'name', name: 'main' }))
      const cli = await failureOf(git.lsRemote(remote, NAMES('main')))
      assert.match(inProcess.message, message)
      assert.match(cli.message, message)
      assert.equal(inProcess.code, cli.code)
      // git's own words differ from Node's for a failed connection; every other message is the same.
      if (inProcess.code !== 'HP_ERR_SYNC_GIT_FAILED') assert.equal(inProcess.message, cli.message)
    })

  it('connects both transports to the approved address only, checking the certificate for the URL’s host name', async () => {
    const { git, refs } = await clients(fx)
    // kubernetes.default.svc is on the test certificate and in no DNS here: only the pin reaches it.
    const url = fx.server.url('refs.git', 'kubernetes.default.svc')
    const approved = remoteOf(url)
    const commit = await git.resolve(approved, { kind: 'name', name: 'main' })
    assert.equal((await git.lsRemote(approved, NAMES('main'))).get('refs/heads/main'), commit)
    const elsewhere = remoteOf(url, undefined, '127.0.0.2')
    const inProcess = await failureOf(refs.list(elsewhere, NAMES('main')))
    const cli = await failureOf(git.lsRemote(elsewhere, NAMES('main')))
    assert.deepEqual([inProcess.code, cli.code], ['HP_ERR_SYNC_GIT_FAILED', 'HP_ERR_SYNC_GIT_FAILED'])
    assert.match(inProcess.message, /ECONNREFUSED/)
    assert.match(cli.message, /127\.0\.0\.2|Connection refused|connect/i)
  })

  it('a site whose host resolves to a private address is refused by the in-process check exactly as by the git path', async () => {
    const commit = (await fx.repos.create('internal.git', { 'index.html': 'inside' })) as string
    // localhost resolves to 127.0.0.1 through /etc/hosts: a name leading inside, as a hostile DNS answer would.
    const site = (ref: string) => ({
      id: 'ns/internal',
      key: 'ns--internal',
      repo: fx.server.url('internal.git', 'localhost'),
      ref,
      path: '/',
    })
    const refused = await fx.engine('internal-refused', {
      allowedHosts: ['localhost'],
      allowedPrivateNetworks: [],
    })
    // A branch is checked in process first; a pinned commit goes straight to git fetch.
    const inProcess = await failureOf(refused.syncer.sync(site('main')))
    const gitPath = await failureOf(refused.syncer.sync(site(commit)))
    assert.deepEqual(inProcess, {
      code: 'HP_ERR_SYNC_HOST_NOT_ALLOWED',
      message: 'host not allowed: localhost resolves to the internal address 127.0.0.1',
    })
    assert.deepEqual(gitPath, inProcess)
    assert.deepEqual(
      fx.server.countsOf('internal.git'),
      { refListings: 0, fetches: 0 },
      'nothing reached the host',
    )

    const allowed = await fx.engine('internal-allowed', { allowedHosts: ['localhost'] })
    assert.equal((await allowed.syncer.sync(site('main'))).commit, commit)
    assert.equal((await allowed.syncer.sync(site(commit))).action, 'unchanged')
  })

  it('--git-ca-file alone decides trust, for git and for the in-process check', async () => {
    // The CA of the git host is put where each transport looks by default — the system's
    // /etc/ssl/certs for git (in a private mount namespace), NODE_EXTRA_CA_CERTS for Node — so a
    // refusal with an unrelated CA file shows that the file replaced the defaults.
    const system = join(fx.dir, 'system-certs')
    await mkdir(system)
    for (const name of await readdir('/etc/ssl/certs'))
      if (name.endsWith('.pem')) await copyFile(join('/etc/ssl/certs', name), join(system, name))
    await copyFile(fx.server.caFile, join(system, 'hostplane-test-git-host.pem'))
    const gitWithSystem = join(fx.dir, 'git-with-system-certs')
    await writeFile(
      gitWithSystem,
      `#!/bin/sh\nexec unshare --user --map-root-user --mount sh -c 'mount --bind "$0" /etc/ssl/certs && exec git "$@"' '${system}' "$@"\n`,
      { mode: 0o755 },
    )
    const remote = remoteOf(fx.url('refs.git'))
    const gitTrusts = async (caFile: string | undefined) => {
      const { git } = await clients(fx, { caFile, binary: gitWithSystem })
      return git.lsRemote(remote, NAMES('main')).then(
        () => 'ok',
        (error: Error) => error.message,
      )
    }
    assert.equal(await gitTrusts(undefined), 'ok', 'git trusts the system directory holding the CA')
    assert.match(await gitTrusts(unrelatedCa), /certificate verification failed/)
    assert.equal(await gitTrusts(fx.server.caFile), 'ok')

    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'fixtures', 'check-refs.ts'),
        fx.url('refs.git'),
        '-',
        unrelatedCa,
        fx.server.caFile,
      ],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: fx.server.caFile } },
    )
    const [none = '', unrelated = '', own = ''] = stdout.trim().split('\n')
    assert.equal(none, 'ok', 'Node trusts the extra CA by default')
    assert.match(unrelated, /^git ls-remote failed: server certificate verification failed/)
    assert.equal(own, 'ok')
  })
})
