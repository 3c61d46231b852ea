/**
 * A Backup as a download through the panel, on a real API server with real restic, moto's S3
 * server behind the real repository proxy and a real MariaDB. The restore point is taken by
 * `hostplane backup run` as a process (the command a backup Job's container runs, its Secrets
 * mounted as the kubelet mounts them), and the Backup's status is written from its answer, as the
 * operator writes it when the Job ends. The panel reads the Backup and the repository Secret as
 * the customer, and streams what restic dumps.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Backup } from '../../src/api/resources.js'
import { repositoryProxy } from '../../src/backup/repository-proxy.js'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import { BACKUPS, repositorySecretName, SECRET_TYPE } from '../../src/operator/backup/owned.js'
import { repositoryUrl } from '../../src/operator/backup/repository-access.js'
import { customerNamespace } from '../../src/operator/customer/names.js'
import { recordingLogger } from '../../src/ops/log.js'
import { readAuditLog } from '../../src/panel/audit/audit-log.js'
import { type PanelProcess, startPanel } from '../../src/panel/panel-service.js'
import type { BackupView } from '../../src/panel/schemas.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { binaryUnavailable } from '../cluster/paths.js'
import { run, startTogether, waitFor } from '../cluster/process.js'
import { sharedCustomer } from '../cluster/tenancy.js'
import { type DatabaseServerUnderTest, databasesUnavailable, startMariaDb } from '../database/servers.js'
import { runHostplane } from '../e2e/cli-process.js'
import { mountSecret } from '../backup/mounted-secret.js'
import { motoClient, motoUnavailable, type S3UnderTest, startMoto } from '../backup/moto.js'
import { type PanelCluster, panelCluster } from './panel-cluster.js'

const env = await clusterForTests()
const unavailable =
  (await binaryUnavailable('backup', '/usr/bin/restic', 'restic')) ||
  (await motoUnavailable()) ||
  (await databasesUnavailable())

const BUCKET = 'hostplane-panel-downloads'
const LOOPBACK = { host: '127.0.0.1', port: 0 }
const TARGET = 'offsite'
const SHOP = { username: 'shop', password: `shop-${randomBytes(6).toString('hex')}`, database: 'shop' }

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

describe('backup downloads through the panel, as two customers', { skip: env.skip || unavailable }, () => {
  const id = randomBytes(3).toString('hex')
  const a = sharedCustomer(`da-${id}`)
  const b = sharedCustomer(`db-${id}`)
  const proxyToken = randomBytes(24).toString('base64url')
  const repositoryPassword = randomBytes(24).toString('base64url')
  const recorded = recordingLogger()
  const tokens: Record<string, string> = {}
  let setup: PanelCluster
  let panel: PanelProcess
  let s3: S3UnderTest
  let mariadb: DatabaseServerUnderTest
  let proxy: Server
  let work: string
  let volume: string
  let filesSnapshot: string

  const backupPath = (name?: string) => resourcePath({ ...BACKUPS, namespace: customerNamespace(a), name })
  const download = (who: string, query: string, init: RequestInit = {}) =>
    fetch(`${panel.url}/api/v1/backups/${query}`, {
      ...init,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}` },
    })
  const errorOf = async (response: Response) =>
    ((await response.json()) as { error: { code: string; message: string } }).error

  /** A Backup of A's, with the status the operator writes when its Job ended. */
  async function backupWithStatus(name: string, status: Backup['status']): Promise<void> {
    await setup.admin.request('POST', backupPath(), {
      body: {
        apiVersion: BACKUPS.apiVersion,
        kind: BACKUPS.kind,
        metadata: { name },
        spec: { target: TARGET, webspace: 'shop', database: 'shop' },
      },
    })
    await setup.admin.request('PATCH', `${backupPath(name)}/status`, {
      body: { status },
      contentType: 'application/merge-patch+json',
    })
  }

  /** Extracts a tar archive into a new directory, with the system's tar. */
  async function extracted(archive: Buffer): Promise<string> {
    const dir = await mkdtemp(join(work, 'tar-'))
    await writeFile(join(dir, '..archive.tar'), archive)
    const result = await run('tar', ['-x', '-f', join(dir, '..archive.tar'), '-C', dir])
    assert.equal(result.code, 0, result.stderr)
    await rm(join(dir, '..archive.tar'))
    return dir
  }

  before(async () => {
    const cluster = await env.get()
    setup = await panelCluster(cluster, id, [a, b])
    ;[s3, mariadb] = await startTogether([startMoto(), startMariaDb()])
    await s3.createBucket(BUCKET)
    await mariadb.sql(`CREATE USER 'shop'@'%' IDENTIFIED BY '${SHOP.password}'`)
    await mariadb.sql("CREATE DATABASE shop; GRANT ALL ON shop.* TO 'shop'@'%';")
    await mariadb.sql(
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO posts VALUES (1, 'Hello from the backup');",
      SHOP,
    )
    work = await mkdtemp(join(tmpdir(), 'hp-panel-download-'))
    volume = join(work, 'volume')
    await mkdir(join(volume, 'uploads/deep'), { recursive: true })
    await writeFile(join(volume, 'index.php'), '<?php echo "shop";\n')
    await writeFile(join(volume, 'uploads/a.txt'), 'uploaded\n')
    await writeFile(join(volume, 'uploads/deep/b.bin'), randomBytes(70_000))
    // Large enough that a reader who does not read holds restic up (the socket's buffers fill).
    await writeFile(join(volume, 'big.bin'), randomBytes(24 * 1024 ** 2))

    proxy = createServer(
      repositoryProxy({
        s3: motoClient(s3, BUCKET),
        prefix: 'backups/',
        tokenHash: (customer) => (customer === a.metadata.name ? sha256(proxyToken) : undefined),
      }),
    )
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    const repository = {
      repository: repositoryUrl(base, a.metadata.name, proxyToken),
      password: repositoryPassword,
    }
    await setup.admin.request(
      'POST',
      resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace: customerNamespace(a) }),
      {
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: repositorySecretName(TARGET) },
          type: SECRET_TYPE.repository,
          stringData: repository,
        },
      },
    )

    // What a backup Job's container runs, with its Secrets mounted.
    const taken = await runHostplane([
      'backup',
      'run',
      '--repository',
      await mountSecret(join(work, 'secret-repository'), repository),
      '--point',
      'nightly',
      '--volume',
      volume,
      '--database',
      await mountSecret(join(work, 'secret-database'), {
        engine: 'MariaDB',
        host: mariadb.host,
        port: String(mariadb.port),
        ...SHOP,
      }),
      '--cache-dir',
      join(work, 'cache'),
    ])
    assert.equal(taken.code, 0, taken.stderr)
    const answer = JSON.parse(taken.stdout) as Required<
      Pick<NonNullable<Backup['status']>, 'files' | 'database'>
    >
    filesSnapshot = answer.files.snapshot
    const now = new Date().toISOString()
    await backupWithStatus('nightly', {
      phase: 'Succeeded',
      target: TARGET,
      startTime: now,
      completionTime: now,
      files: answer.files,
      database: answer.database,
    })
    await backupWithStatus('running', { phase: 'Running', target: TARGET, startTime: now })

    panel = await startPanel({
      kubeConfig: setup.kubeConfig,
      log: recorded.log,
      listen: LOOPBACK,
      opsListen: LOOPBACK,
      tokenNamespace: setup.tokenNamespace,
      audit: { namespace: setup.auditNamespace },
      downloads: { perCustomer: 1 },
    })
    const tokenOf = async ({ metadata }: typeof a) =>
      (await panel.panel.tokens.create(metadata.name, 'tests')).token
    tokens[a.metadata.name] = await tokenOf(a)
    tokens[b.metadata.name] = await tokenOf(b)
  })

  after(async () => {
    await panel?.stop()
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)))
    await Promise.all([s3?.stop(), mariadb?.stop()])
    await setup?.remove()
    if (work) await rm(work, { recursive: true, force: true })
    await env.release()
  })

  it("lists A's Backups with their state in words, and only a Succeeded one offers downloads", async () => {
    const response = await fetch(`${panel.url}/api/v1/backups`, {
      headers: { authorization: `Bearer ${tokens[a.metadata.name]}` },
    })
    assert.equal(response.status, 200)
    const { items } = (await response.json()) as { items: BackupView[] }
    const byName = Object.fromEntries(items.map((item) => [item.name, item]))
    assert.deepEqual(byName.nightly?.state, { state: 'ok', text: 'backed up' })
    assert.deepEqual(byName.nightly?.downloads, ['files', 'database'])
    assert.deepEqual(byName.nightly?.tables, { tables: 1, rows: 1 })
    assert.equal(byName.nightly?.files?.files, 4)
    assert.deepEqual(byName.running?.state, { state: 'pending', text: 'backing up now' })
    assert.deepEqual(byName.running?.downloads, [])
  })

  it("A downloads its Backup's files as a tar archive whose every file has the volume's bytes", async () => {
    const response = await download(a.metadata.name, 'nightly/download?part=files')
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/x-tar')
    assert.match(
      response.headers.get('content-disposition') ?? '',
      /^attachment; filename="nightly-files\.tar"/,
    )
    const dir = await extracted(Buffer.from(await response.arrayBuffer()))
    const root = join(dir, volume)
    for (const file of ['index.php', 'uploads/a.txt', 'uploads/deep/b.bin', 'big.bin'])
      assert.equal(sha256(await readFile(join(root, file))), sha256(await readFile(join(volume, file))), file)
  })

  it('one directory comes as a tar archive holding only it, one file as its own bytes', async () => {
    const uploads = await download(a.metadata.name, 'nightly/download?part=files&path=uploads')
    assert.equal(uploads.status, 200)
    assert.match(uploads.headers.get('content-disposition') ?? '', /filename="nightly-uploads\.tar"/)
    const dir = await extracted(Buffer.from(await uploads.arrayBuffer()))
    assert.deepEqual((await readdir(join(dir, volume))).sort(), ['uploads'])
    assert.deepEqual((await readdir(join(dir, volume, 'uploads'))).sort(), ['a.txt', 'deep'])
    assert.equal(
      sha256(await readFile(join(dir, volume, 'uploads/deep/b.bin'))),
      sha256(await readFile(join(volume, 'uploads/deep/b.bin'))),
    )

    const file = await download(a.metadata.name, 'nightly/download?part=files&path=uploads/deep/b.bin')
    assert.equal(file.status, 200)
    assert.equal(file.headers.get('content-type'), 'application/octet-stream')
    assert.match(file.headers.get('content-disposition') ?? '', /filename="b\.bin"/)
    assert.equal(
      sha256(Buffer.from(await file.arrayBuffer())),
      sha256(await readFile(join(volume, 'uploads/deep/b.bin'))),
    )

    const missing = await download(a.metadata.name, 'nightly/download?part=files&path=uploads/none.txt')
    assert.equal(missing.status, 404)
    assert.match((await errorOf(missing)).message, /holds no uploads\/none\.txt/)
  })

  it('the database part is the dump as stored, with the table and its row', async () => {
    const response = await download(a.metadata.name, 'nightly/download?part=database')
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/sql')
    const dump = await response.text()
    assert.match(dump, /CREATE TABLE `posts`/)
    assert.match(dump, /Hello from the backup/)
  })

  it("B gets the same 404 for A's Backup as for one that does not exist", async () => {
    const foreign = await download(b.metadata.name, 'nightly/download?part=files')
    const none = await download(b.metadata.name, 'no-such-backup/download?part=files')
    assert.equal(foreign.status, 404)
    assert.equal(none.status, 404)
    assert.deepEqual(await errorOf(foreign), await errorOf(none))
    const list = await fetch(`${panel.url}/api/v1/backups`, {
      headers: { authorization: `Bearer ${tokens[b.metadata.name]}` },
    })
    assert.deepEqual(await list.json(), { items: [] })
  })

  it('a Backup that has not Succeeded is 409, a bad path 400, each with a message', async () => {
    const running = await download(a.metadata.name, 'running/download?part=files')
    assert.equal(running.status, 409)
    assert.deepEqual(await errorOf(running), {
      code: 'HP_ERR_PANEL_BACKUP_NOT_READY',
      message: 'Backup running is Running: only a Succeeded Backup can be downloaded',
    })
    for (const path of ['../etc/passwd', '/etc/passwd', 'uploads/../..', 'uploads//a.txt', 'uploads/']) {
      const bad = await download(
        a.metadata.name,
        `nightly/download?part=files&path=${encodeURIComponent(path)}`,
      )
      assert.equal(bad.status, 400, path)
      assert.equal((await errorOf(bad)).code, 'HP_ERR_PANEL_BAD_REQUEST', path)
    }
    const databasePath = await download(a.metadata.name, 'nightly/download?part=database&path=uploads')
    assert.equal(databasePath.status, 400)
    assert.match((await errorOf(databasePath)).message, /ask for part=files/)
  })

  it('a second download of the same customer is 429 while one runs, and a client that goes away stops restic', async () => {
    const stop = new AbortController()
    const first = await download(a.metadata.name, 'nightly/download?part=files&path=big.bin', {
      signal: stop.signal,
    })
    assert.equal(first.status, 200)
    const second = await download(a.metadata.name, 'nightly/download?part=database')
    assert.equal(second.status, 429)
    assert.equal((await errorOf(second)).code, 'HP_ERR_PANEL_TOO_MANY_DOWNLOADS')
    const dumping = async () =>
      // Only this run's restic: its snapshot is in the command line.
      (await run('ps', ['-eo', 'args'])).stdout
        .split('\n')
        .filter((line) => line.includes('restic dump') && line.includes(filesSnapshot))
    assert.ok((await dumping()).length > 0, 'restic dumps while the client holds the answer')
    stop.abort()
    await waitFor(async () => ((await dumping()).length === 0 ? true : undefined), {
      timeoutMs: 10_000,
      describe: () => 'restic still dumps after its client went away',
    })
    // The slot is free again.
    await waitFor(
      async () => {
        const again = await download(a.metadata.name, 'nightly/download?part=database')
        await again.arrayBuffer()
        return again.status === 200 ? true : undefined
      },
      { timeoutMs: 10_000, describe: () => 'the download slot was not given back' },
    )
  })

  it('every download is in the audit log as a read of the Backup, and no secret is in a log', async () => {
    await new Promise((resolve) => setTimeout(resolve, 500))
    const admin = new KubeRest((await env.get()).kubeConfig())
    try {
      const { entries } = await readAuditLog(admin, setup.auditNamespace)
      const downloads = entries.filter((entry) => entry.action === 'backup.download')
      const ofA = downloads.filter((entry) => entry.actingAs === a.metadata.name)
      assert.ok(
        ofA.some(
          (entry) =>
            entry.outcome === 'ok' &&
            entry.object?.name === 'nightly' &&
            entry.object.namespace === customerNamespace(a) &&
            entry.detail?.part === 'files',
        ),
        `no download of A's nightly recorded ok: ${JSON.stringify(ofA)}`,
      )
      assert.ok(
        ofA.some((entry) => entry.outcome === 'refused' && entry.code === 'HP_ERR_PANEL_BACKUP_NOT_READY'),
      )
      assert.ok(
        downloads.some(
          (entry) =>
            entry.actingAs === b.metadata.name &&
            entry.outcome === 'refused' &&
            entry.code === 'HP_ERR_PANEL_NOT_FOUND',
        ),
        `B's refused download is not recorded: ${JSON.stringify(downloads.filter((e) => e.actingAs !== a.metadata.name))}`,
      )
      const everything = JSON.stringify(entries) + JSON.stringify(recorded.lines)
      for (const [what, secret] of Object.entries({
        proxyToken,
        repositoryPassword,
        databasePassword: SHOP.password,
        ...tokens,
      }))
        assert.ok(!everything.includes(secret), `${what} reached a log`)
    } finally {
      admin.close()
    }
  })
})
