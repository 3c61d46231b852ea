/**
 * The hostplane image's processes, run from its root file system as a cluster runs them: umoci
 * unpacks the image `npm run image` built, and `hostplane --version`, `hostplane operator` and
 * `hostplane syncer` start from that root (the config's entrypoint and environment, user 10001,
 * nothing of this machine's Node, npm or sources) against the real test cluster, each with its own
 * ServiceAccount's token in a kubeconfig inside the root:
 *
 * - `--version` prints the package version; node is the entrypoint (no shell between), and user
 *   10001 can change no file of the app (root owns them, nobody else may write);
 * - the programs a backup Job's `hostplane backup` runs are there (restic and the database clients);
 * - the operator answers /readyz with 200 and routes a StaticSite (Routed=True, its IngressRoute);
 * - the syncer answers /healthz and publishes a site with the image's own git, cloning over https
 *   with the CA file it is given.
 */
import assert from 'node:assert/strict'
import { constants } from 'node:fs'
import { access, lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { siteKey } from '../../src/api/site-key.js'
import { KubeRest } from '../../src/kube/rest.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'
import type { CliProcess } from '../e2e/cli-process.js'
import { OperatorEnv } from '../operator/harness.js'
import { freePort } from '../serving/nginx-for-tests.js'
import { applySyncerRbac, removeSyncerRbac } from '../syncer/cluster-syncer.js'
import { GitFixture } from '../syncer/git-fixture.js'
import { syncedOf, waitForSite } from '../syncer/sites.js'
import { imageSkipReason, imageUnderTest, UnpackedImage } from './image-under-test.js'

const env = await clusterForTests()
const skip = env.skip || (await imageSkipReason(['umoci', 'unshare', 'mknod']))

/** The process's real uid, as the kernel reports it. */
const uidOf = async (pid: number) => /^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]

/** GETs `url` until it answers `status`. */
const answers = (url: string, status: number, log: () => Promise<string>) =>
  waitFor(
    () =>
      fetch(url).then(
        (r) => (r.status === status ? r.status : undefined),
        () => undefined,
      ),
    {
      timeoutMs: 60_000,
      intervalMs: 250,
      describe: () => `${url} did not answer ${status}`,
    },
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}\n${(await log()).slice(-3000)}`)
  })

describe('the hostplane image’s processes, run from its root file system as user 10001', { skip }, () => {
  let image: UnpackedImage
  let admin: KubeRest
  let test: OperatorEnv
  let fx: GitFixture
  let logs: string
  const processes: CliProcess[] = []

  before(async () => {
    image = await UnpackedImage.unpack(await imageUnderTest())
    const cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    test = new OperatorEnv(cluster, admin, 'image')
    await test.setUp()
    fx = await GitFixture.start()
    logs = await mkdtemp(join(tmpdir(), 'hostplane-image-logs-'))
  })

  after(async () => {
    for (const process of processes) await process.stop()
    await fx?.stop()
    if (admin) await removeSyncerRbac(admin, test.systemNamespace)
    await test?.tearDown()
    admin?.close()
    await image?.remove()
    if (logs) await rm(logs, { recursive: true, force: true })
    await env.release()
  })

  it('`hostplane --version` prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string
    }
    assert.equal(image.config.config.User, '10001:10001')
    const outcome = await image.run(['--version'])
    assert.equal(outcome.code, 0, outcome.stderr)
    assert.equal(outcome.stdout.trim(), version)
  })

  it('starts node directly as user 10001, and that user can change no file of the app', async () => {
    assert.deepEqual(image.config.config.Entrypoint, ['/usr/local/bin/node', '/app/build/src/cli/main.js'])
    const app = join(image.rootfs, 'app')
    const writable: string[] = []
    for (const entry of await readdir(app, { recursive: true })) {
      const stats = await lstat(join(app, entry))
      const { uid, mode } = stats
      // A symlink's own mode is always 777 and means nothing; its owner still counts.
      if (uid !== 0 || (!stats.isSymbolicLink() && (mode & 0o022) !== 0))
        writable.push(`${entry} (uid ${uid}, mode ${(mode & 0o777).toString(8)})`)
    }
    assert.deepEqual(writable.slice(0, 10), [], 'files of /app that someone other than root may change')
  })

  it('carries the programs `hostplane backup` runs: restic, mariadb, mariadb-dump, psql and pg_dump', async () => {
    const missing: string[] = []
    for (const program of ['restic', 'mariadb', 'mariadb-dump', 'psql', 'pg_dump'])
      await access(join(image.rootfs, 'usr/bin', program), constants.X_OK).catch(() => missing.push(program))
    assert.deepEqual(missing, [], 'not executable in /usr/bin of the image')
  })

  it('`hostplane operator` answers /readyz with 200 and routes a StaticSite with its ServiceAccount', async () => {
    const kubeconfig = await image.give(
      '/etc/hostplane/operator.kubeconfig',
      await readFile(test.kubeconfigPath, 'utf8'),
    )
    const port = await freePort()
    const operator = await image.start(
      [
        'operator',
        ...['--kubeconfig', kubeconfig, '--system-namespace', test.systemNamespace],
        ...['--pages-domain', 'pages.test', '--default-issuer', 'test-issuer'],
        ...['--nginx-service', 'hostplane-nginx', '--nginx-port', '80', '--listen', `127.0.0.1:${port}`],
        ...['--site-selector', test.selector, '--service-account', test.operatorAccount],
      ],
      join(logs, 'operator.log'),
      { LOG_FORMAT: 'json' },
    )
    processes.push(operator)
    await answers(`http://127.0.0.1:${port}/readyz`, 200, operator.log)
    assert.equal(await uidOf(operator.pid), '10001')

    const tenant = await test.createNamespace(`t-image-${test.tag}`)
    await test.createSite(tenant, 'site')
    await test.waitForCondition(tenant, 'site', 'Routed', 'True', undefined, 60_000)
    const routes = await test.generated('IngressRoute', siteKey(tenant, 'site'))
    const domain = `site-${tenant}.pages.test`
    assert.ok(
      routes.some((route) => JSON.stringify(route).includes(`Host(\`${domain}\`)`)),
      `no IngressRoute for ${domain} in ${test.systemNamespace}: ${JSON.stringify(routes)}`,
    )
    // Stopped at once: an operator reconciles every Customer of the shared cluster.
    await operator.stop()
  })

  it('`hostplane syncer` answers /healthz and publishes a site with the image’s git over https', async () => {
    const cluster = await env.get()
    await applySyncerRbac(admin, test.systemNamespace)
    const { path } = await cluster.serviceAccountKubeConfig(test.systemNamespace, 'hostplane-syncer')
    const kubeconfig = await image.give('/etc/hostplane/syncer.kubeconfig', await readFile(path, 'utf8'))
    const caFile = await image.give('/etc/hostplane/git-ca.crt', await readFile(fx.server.caFile, 'utf8'))
    const sitesRoot = await image.give('/sites')
    const workDir = await image.give('/var/lib/hostplane-syncer')
    const tenant = await test.createNamespace(`t-image-sync-${test.tag}`)
    const port = await freePort()
    const syncer = await image.start(
      [
        'syncer',
        ...['--kubeconfig', kubeconfig, '--namespace', tenant, '--listen', `127.0.0.1:${port}`],
        ...['--sites-root', sitesRoot, '--work-dir', workDir, '--git-ca-file', caFile],
        ...['--allowed-hosts', '127.0.0.1', '--allow-private-networks', '127.0.0.1/32'],
      ],
      join(logs, 'syncer.log'),
      { LOG_FORMAT: 'json' },
    )
    processes.push(syncer)
    await answers(`http://127.0.0.1:${port}/healthz`, 200, syncer.log)
    assert.equal(await uidOf(syncer.pid), '10001')

    const commit = await fx.repos.create('image.git', { 'index.html': 'published from the image' })
    await test.createSite(tenant, 'site', { repo: fx.url('image.git') })
    const site = await waitForSite(
      admin,
      tenant,
      'site',
      (s) => syncedOf(s)?.status === 'True' && s.status?.lastCommit === commit,
      60_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${(await syncer.log()).slice(-3000)}`)
    })
    assert.equal(site.status?.lastCommit, commit)
    const served = await readFile(
      join(image.rootfs, sitesRoot, siteKey(tenant, 'site'), 'index.html'),
      'utf8',
    )
    assert.equal(served, 'published from the image')
  })
})
