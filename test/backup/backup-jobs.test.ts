/**
 * Backups on a real API server, with the operator as its own ServiceAccount under the operator
 * guard, the real Job controller, real restic, moto's S3 server behind the repository proxy and a
 * real MariaDB. There is no kubelet: the test plays it for each backup Pod — it mounts the Pod's
 * Secrets and volumes as directories, runs the Pod's own `hostplane backup` command line as a
 * process, and writes the Pod's end with the answer as its termination message.
 *
 * A Backup of a Webspace's volume and a Database becomes a restore point in the customer's own
 * repository (the bucket holds none of it in the clear); the Job is admitted in the restricted
 * namespace, owned by its Backup, without a ServiceAccount token. An empty backup, a failed Job,
 * a missed scheduled run and a Backup that cannot start are each a condition, an Event and a metric,
 * never silent.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type {
  BackupScheduleStatus,
  BackupSpec,
  BackupTargetSpec,
  BackupTargetStatus,
  RestoreSpec,
} from '../../src/api/backup.js'
import type { Backup, Database, Restore } from '../../src/api/resources.js'
import { repositoryProxy } from '../../src/backup/repository-proxy.js'
import { findCondition } from '../../src/kube/conditions.js'
import type { KubeList, KubeObject } from '../../src/kube/object.js'
import { isNotFound, KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { REASON, RESTORE_REASON, TARGET_REASON } from '../../src/operator/backup/conditions.js'
import {
  BACKUP_SCHEDULES,
  BACKUP_TARGETS,
  BACKUPS,
  FINAL_BACKUP,
  keysSecretName,
  repositorySecretName,
  RESTORES,
  SECRET_TYPE,
  tokensSecretName,
} from '../../src/operator/backup/owned.js'
import { DATABASES } from '../../src/operator/database/owned.js'
import { WEBSPACES } from '../../src/operator/webspace/owned.js'
import type { Operator } from '../../src/operator/operator.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { finishPod } from '../cluster/job-pod.js'
import { startTogether } from '../cluster/process.js'
import { binaryUnavailable } from '../cluster/paths.js'
import {
  createDatabaseServer,
  type DatabaseServerUnderTest,
  databasesUnavailable,
  startMariaDb,
} from '../database/servers.js'
import { runHostplane } from '../e2e/cli-process.js'
import { OperatorEnv } from '../operator/harness.js'
import { motoClient, motoUnavailable, type S3UnderTest, startMoto } from './moto.js'

const env = await clusterForTests()
const unavailable =
  (await binaryUnavailable('backup', '/usr/bin/restic', 'restic')) ||
  (await motoUnavailable()) ||
  (await databasesUnavailable())

const BUCKET = 'hostplane-operator-backups'
const PREFIX = 'backups/'
const IMAGE = `registry.test/hostplane@sha256:${'b'.repeat(64)}`

interface Secret extends KubeObject {
  readonly type?: string
  readonly data?: Record<string, string>
}
interface Volume {
  readonly name: string
  readonly secret?: { readonly secretName: string }
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean }
  readonly emptyDir?: object
}
interface Pod extends KubeObject {
  readonly spec: {
    readonly automountServiceAccountToken?: boolean
    readonly serviceAccountName?: string
    readonly securityContext?: { readonly runAsNonRoot?: boolean }
    readonly containers: readonly {
      readonly name: string
      readonly image: string
      readonly args: readonly string[]
      readonly volumeMounts: readonly { readonly name: string; readonly mountPath: string }[]
    }[]
    readonly volumes: readonly Volume[]
  }
  readonly status?: { readonly phase?: string }
}
interface Job extends KubeObject {
  readonly spec: { readonly template: { readonly spec: Pod['spec'] } }
}

const decoded = (secret: Secret) =>
  Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  )
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe(
  'Backups as Jobs on a real API server, with real restic, S3 and MariaDB',
  { skip: env.skip || unavailable },
  () => {
    let test: OperatorEnv
    let operator: Operator
    let s3: S3UnderTest
    let mariadb: DatabaseServerUnderTest
    let proxy: Server
    let proxyAddress: string
    let work: string
    let a: string
    let b: string
    let target: string
    let runtime: string
    /** The proxy reads its tokens from the target's Secret, as the mounted Secret the real one reads. */
    let tokenHashes: Record<string, string> = {}
    /** Each Webspace volume's directory, by claim (namespace/claim). */
    const claims = new Map<string, string>()

    const ns = (customer: string) => `sh-${customer}`
    const backupPath = (namespace: string, name?: string) => resourcePath({ ...BACKUPS, namespace, name })
    const secretPath = (namespace: string, name?: string) =>
      resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace, name })
    const createBackup = (namespace: string, name: string, spec: BackupSpec) =>
      test.admin.request<Backup>('POST', backupPath(namespace), {
        body: { apiVersion: BACKUPS.apiVersion, kind: BACKUPS.kind, metadata: { name }, spec },
      })
    const waitForBackup = (
      namespace: string,
      name: string,
      phase: string,
      reason: string,
      timeoutMs = 30_000,
    ) =>
      test.waitUntil(
        `Backup ${namespace}/${name}: ${phase}/${reason}`,
        async () => {
          const backup = await test.admin.request<Backup>('GET', backupPath(namespace, name))
          const ready = findCondition(backup.status?.conditions, 'Ready')
          return backup.status?.phase === phase && ready?.reason === reason ? backup : undefined
        },
        timeoutMs,
      )
    const jobOf = (namespace: string, backup: string) =>
      test.waitUntil(`the Job of Backup ${backup}`, async () =>
        test.admin
          .request<Job>(
            'GET',
            resourcePath({ apiVersion: 'batch/v1', plural: 'jobs', namespace, name: `backup-${backup}` }),
          )
          .catch(() => undefined),
      )
    /** The Job's newest Pod that has not ended, once the Job controller made it. */
    const podOf = (namespace: string, backup: string, label = 'hostplane.dev/backup') =>
      test.waitUntil(`a running Pod of ${label} ${backup}`, async () => {
        const list = await test.admin.request<KubeList<Pod>>(
          'GET',
          resourcePath({ apiVersion: 'v1', plural: 'pods', namespace }),
          { query: { labelSelector: `${label}=${backup}` } },
        )
        return list.items.find((pod) => !pod.status?.phase?.match(/Succeeded|Failed/))
      })
    const restorePodOf = (namespace: string, restore: string) =>
      podOf(namespace, restore, 'hostplane.dev/restore')
    const restorePath = (namespace: string, name?: string) => resourcePath({ ...RESTORES, namespace, name })
    /** Waits until the object at `path` is gone. */
    const waitGone = (what: string, path: string) =>
      test.waitUntil(`${what} gone`, () =>
        test.admin.request('GET', path).then(
          () => undefined,
          (error: unknown) => (isNotFound(error) ? true : undefined),
        ),
      )
    /** A Webspace with a volume, its claim played by a directory holding `files`. */
    const webspaceWithVolume = async (namespace: string, name: string, files: Record<string, string>) => {
      await test.createWebspace(namespace, name, { runtime, storage: { size: '1Gi', mountPath: '/data' } })
      const volume = join(work, `volume-${namespace}-${name}`)
      await mkdir(volume)
      for (const [file, text] of Object.entries(files)) await writeFile(join(volume, file), text)
      claims.set(`${namespace}/${name}`, volume)
      return volume
    }
    const createRestore = (namespace: string, name: string, spec: Partial<RestoreSpec>) =>
      test.admin.request<Restore>('POST', restorePath(namespace), {
        body: { apiVersion: RESTORES.apiVersion, kind: RESTORES.kind, metadata: { name }, spec },
      })
    const waitForRestore = (namespace: string, name: string, phase: string, reason: string) =>
      test.waitUntil(`Restore ${namespace}/${name}: ${phase}/${reason}`, async () => {
        const restore = await test.admin.request<Restore>('GET', restorePath(namespace, name))
        const ready = findCondition(restore.status?.conditions, 'Ready')
        return restore.status?.phase === phase && ready?.reason === reason ? restore : undefined
      })
    /** Each try of a Job that fails: the kubelet's part for every Pod the Job controller makes. */
    async function runUntilJobEnds(namespace: string, restore: string, tries: number) {
      const codes: number[] = []
      for (let i = 0; i < tries; i++) codes.push((await runPod(await restorePodOf(namespace, restore))).code)
      return codes
    }

    /**
     * The kubelet's part for one backup Pod: its Secrets and volumes as directories, its command line
     * run with the paths moved there (and the proxy's cluster DNS name pointing at the local proxy),
     * its end and termination message written back.
     */
    async function runPod(pod: Pod): Promise<{ code: number; stderr: string }> {
      const namespace = pod.metadata.namespace ?? ''
      const dir = await mkdtemp(join(work, 'pod-'))
      const container = pod.spec.containers[0]
      assert.ok(container)
      const places = new Map<string, string>()
      for (const mount of container.volumeMounts) {
        const volume = pod.spec.volumes.find((v) => v.name === mount.name)
        const local = join(dir, mount.name)
        if (volume?.secret) {
          const secret = await test.admin.request<Secret>(
            'GET',
            secretPath(namespace, volume.secret.secretName),
          )
          await mkdir(local)
          for (const [key, value] of Object.entries(decoded(secret)))
            await writeFile(
              join(local, key),
              key === 'repository' ? value.replace(/@[^/]+\.svc:\d+\//, `@${proxyAddress}/`) : value,
            )
          places.set(mount.mountPath, local)
        } else if (volume?.persistentVolumeClaim) {
          const claim = claims.get(`${namespace}/${volume.persistentVolumeClaim.claimName}`)
          assert.ok(claim, `the test holds claim ${volume.persistentVolumeClaim.claimName}`)
          places.set(mount.mountPath, claim)
        } else {
          await mkdir(local)
          places.set(mount.mountPath, local)
        }
      }
      places.set('/dev/termination-log', join(dir, 'termination-log'))
      const args = container.args.map((arg) => {
        const [flag, value] = arg.split('=', 2)
        if (value === undefined) return arg
        const mounted = [...places.entries()].find(([path]) => value === path || value.startsWith(`${path}/`))
        return mounted ? `${flag}=${mounted[1]}${value.slice(mounted[0].length)}` : arg
      })
      const tokens = await test.admin.request<Secret>(
        'GET',
        secretPath(test.systemNamespace, tokensSecretName(target)),
      )
      tokenHashes = decoded(tokens)
      const ran = await runHostplane(args)
      const code = ran.code ?? 1
      // As the kubelet under FallbackToLogsOnError: the file, or the log's tail when a failed
      // container left the file empty.
      const written = await readFile(join(dir, 'termination-log'), 'utf8').catch(() => '')
      const message = written || (code === 0 ? '' : `${ran.stdout}${ran.stderr}`.slice(-2048))
      await finishPod(test.admin, pod, { [container.name]: { exitCode: code, message } })
      return { code, stderr: ran.stderr }
    }

    /** Waits until the operator has counted `count` Backups of this outcome (it counts after the status write). */
    const counted = (outcome: string, count: number) =>
      test.waitUntil(`${count} Backups counted ${outcome}`, async () => {
        const text = await operator.registry.getSingleMetricAsString('hostplane_backups_finished_total')
        return Number(new RegExp(`outcome="${outcome}"} (\\d+)`).exec(text)?.[1] ?? 0) === count
          ? true
          : undefined
      })
    const warnings = async (namespace: string, name: string) => {
      const list = await test.admin.request<
        KubeList<{ reason: string; type: string; regarding: { name: string } }>
      >('GET', resourcePath({ apiVersion: 'events.k8s.io/v1', plural: 'events', namespace }))
      return list.items.filter((e) => e.regarding.name === name && e.type === 'Warning').map((e) => e.reason)
    }

    before(async () => {
      const cluster = await env.get()
      ;[s3, mariadb] = await startTogether([startMoto(), startMariaDb()])
      await s3.createBucket(BUCKET)
      work = await mkdtemp(join(tmpdir(), 'hp-backup-jobs-'))
      proxy = createServer(
        repositoryProxy({
          s3: motoClient(s3, BUCKET),
          prefix: PREFIX,
          tokenHash: (customer) => tokenHashes[customer],
        }),
      )
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
      proxyAddress = `127.0.0.1:${(proxy.address() as AddressInfo).port}`

      test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'bk')
      await test.setUp()
      a = `bka-${test.tag}`
      b = `bkb-${test.tag}`
      target = `s3-${test.tag}`
      for (const name of [a, b]) await test.createCustomer(name)
      runtime = await test.createRuntime()
      await createDatabaseServer(test, `maria-${test.tag}`, mariadb, { default: true })
      const targetSpec: BackupTargetSpec = {
        s3: { endpoint: s3.endpoint, bucket: BUCKET, region: 'us-east-1', prefix: PREFIX },
        credentialsSecretRef: { name: 'bucket' },
        default: true,
      }
      await test.admin.request('POST', resourcePath(BACKUP_TARGETS), {
        body: {
          apiVersion: BACKUP_TARGETS.apiVersion,
          kind: BACKUP_TARGETS.kind,
          metadata: { name: target, labels: Object.fromEntries([test.selector.split('=')]) },
          spec: targetSpec,
        },
      })
      operator = await test.startOperator({
        config: { ...test.config, backupImage: IMAGE },
        databaseRecheckMs: 1500,
      })
      for (const name of [a, b]) await test.waitForCustomer(name, 'Ready', 'True', 'Ready')
    })

    after(async () => {
      await operator?.stop()
      for (const customer of [a, b])
        await test?.admin
          .request('PATCH', resourcePath({ ...DATABASES, namespace: ns(customer), name: 'shop' }), {
            body: { metadata: { finalizers: null } },
            contentType: 'application/merge-patch+json',
          })
          .catch(() => {})
      await test?.admin.request('DELETE', resourcePath({ ...BACKUP_TARGETS, name: target })).catch(() => {})
      await test?.tearDown()
      test?.admin.close()
      proxy?.close()
      await Promise.all([s3?.stop(), mariadb?.stop()])
      if (work) await rm(work, { recursive: true, force: true })
      await env.release()
    })

    it("takes a Webspace's volume and a Database as one restore point in the customer's own repository, by a Job under restricted with no token", async () => {
      const namespace = ns(a)
      await test.createWebspace(namespace, 'shop', {
        runtime,
        storage: { size: '1Gi', mountPath: '/var/www/uploads' },
      })
      const volume = join(work, 'volume-a')
      await mkdir(join(volume, 'img'), { recursive: true })
      await writeFile(join(volume, 'img/logo.svg'), '<svg>the acme logo</svg>\n')
      await writeFile(
        join(volume, 'notes.txt'),
        'customer notes that must never be in the bucket in the clear\n',
      )
      claims.set(`${namespace}/shop`, volume)
      await test.admin.request('POST', resourcePath({ ...DATABASES, namespace }), {
        body: {
          apiVersion: DATABASES.apiVersion,
          kind: DATABASES.kind,
          metadata: { name: 'shop' },
          spec: { engine: 'MariaDB' },
        },
      })
      const database = await test.waitUntil('Database shop is ready', async () => {
        const db = await test.admin.request<Database>(
          'GET',
          resourcePath({ ...DATABASES, namespace, name: 'shop' }),
        )
        return db.status?.secret ? db : undefined
      })
      const login = decoded(
        await test.admin.request<Secret>('GET', secretPath(namespace, database.status?.secret)),
      )
      await mariadb.sql(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT); INSERT INTO orders VALUES (1, 'anvil'), (2, 'rocket skates');",
        { username: login.username ?? '', password: login.password ?? '', database: login.database ?? '' },
      )

      await createBackup(namespace, 'first', { webspace: 'shop', database: 'shop' })
      const job = await jobOf(namespace, 'first')
      assert.equal(job.metadata.ownerReferences?.[0]?.kind, 'Backup')
      assert.equal(job.spec.template.spec.automountServiceAccountToken, false)
      const pod = await podOf(namespace, 'first')
      // The Job controller's Pod passed the namespace's Pod Security admission (restricted).
      assert.equal(pod.spec.securityContext?.runAsNonRoot, true)
      assert.equal(pod.spec.containers[0]?.image, IMAGE)
      const ran = await runPod(pod)
      assert.equal(ran.code, 0, ran.stderr)
      const done = await waitForBackup(namespace, 'first', 'Succeeded', REASON.BackupSucceeded)
      assert.equal(done.status?.files?.files, 2)
      assert.deepEqual([done.status?.database?.tables, done.status?.database?.rows], [1, 2])
      assert.ok(done.status?.completionTime)
      await counted('succeeded', 1)

      // The customer's repository Secret: the proxy URL with its token, and the password — and the
      // operator's copies in the system namespace: the token's hash only, the same password.
      const repository = await test.admin.request<Secret>(
        'GET',
        secretPath(namespace, repositorySecretName(target)),
      )
      assert.equal(repository.type, SECRET_TYPE.repository)
      const { repository: url = '', password = '' } = decoded(repository)
      const token = decodeURIComponent(new URL(url.slice('rest:'.length)).password)
      const keys = decoded(
        await test.admin.request<Secret>('GET', secretPath(test.systemNamespace, keysSecretName(target))),
      )
      assert.equal(keys[a], password)
      assert.equal(tokenHashes[a], sha256(token))
      assert.ok(
        !JSON.stringify(done.status).includes(token) && !JSON.stringify(done.status).includes(password),
      )

      const stored = await s3.objects(BUCKET)
      assert.ok(stored.size > 0 && [...stored.keys()].every((key) => key.startsWith(`${PREFIX}${a}/`)))
      for (const body of stored.values())
        for (const plain of [
          'acme logo',
          'never be in the bucket',
          'rocket skates',
          'notes.txt',
          'CREATE TABLE',
        ])
          assert.ok(!body.includes(plain), `the bucket holds "${plain}" in the clear`)
    })

    it('runs the target’s repository proxy in the system namespace, owned by the target, and says it is not available yet', async () => {
      const name = `backup-proxy-${target}`
      const deployment = await test.waitUntil('the proxy Deployment', () =>
        test.admin
          .request<Job>(
            'GET',
            resourcePath({
              apiVersion: 'apps/v1',
              plural: 'deployments',
              namespace: test.systemNamespace,
              name,
            }),
          )
          .catch(() => undefined),
      )
      assert.equal(deployment.metadata.ownerReferences?.[0]?.kind, 'BackupTarget')
      assert.equal(deployment.spec.template.spec.automountServiceAccountToken, false)
      for (const plural of ['services', 'networkpolicies'])
        await test.admin.request(
          'GET',
          resourcePath({
            apiVersion: plural === 'services' ? 'v1' : 'networking.k8s.io/v1',
            plural,
            namespace: test.systemNamespace,
            name,
          }),
        )
      const status = await test.waitUntil('the BackupTarget status', async () => {
        const found = await test.admin.request<{ status?: BackupTargetStatus }>(
          'GET',
          resourcePath({ ...BACKUP_TARGETS, name: target }),
        )
        const ready = findCondition(found.status?.conditions, 'Ready')
        return ready?.reason === TARGET_REASON.ProxyUnavailable && found.status?.customers === 1
          ? found.status
          : undefined
      })
      assert.equal(status.proxy, `http://${name}.${test.systemNamespace}.svc:8000`)
      // Only backup Pods of a customer namespace may reach the proxies.
      await test.admin.request(
        'GET',
        resourcePath({
          apiVersion: 'networking.k8s.io/v1',
          plural: 'networkpolicies',
          namespace: ns(a),
          name: 'hostplane-backup-egress',
        }),
      )
    })

    it('drills a Backup: restores it into a scratch directory and a scratch Database, finds it whole, and removes the scratch Database', async () => {
      const namespace = ns(a)
      await createRestore(namespace, 'drill-first', { backup: 'first', verify: true })
      const pod = await restorePodOf(namespace, 'drill-first')
      const args = pod.spec.containers[0]?.args ?? []
      assert.ok(args.includes('verify') && args.includes('--point=first'), args.join(' '))
      // Nothing of the customer's is mounted: the files go to the Pod's own scratch directory.
      assert.ok(!pod.spec.volumes.some((volume) => volume.persistentVolumeClaim))
      const running = await test.admin.request<Restore>('GET', restorePath(namespace, 'drill-first'))
      const scratch = running.status?.scratch
      assert.match(scratch ?? '', /^drill-[0-9a-f]{12}$/)
      const ran = await runPod(pod)
      assert.equal(ran.code, 0, ran.stderr)
      await waitForRestore(namespace, 'drill-first', 'Succeeded', RESTORE_REASON.DrillPassed)
      await waitGone('the scratch Database', resourcePath({ ...DATABASES, namespace, name: scratch }))
    })

    it('restores a Backup into its Webspace and Database after a Backup of what is there now: byte for byte, row for row', async () => {
      const namespace = ns(a)
      const volume = claims.get(`${namespace}/shop`) ?? ''
      const before = await readFile(join(volume, 'notes.txt'), 'utf8')
      await writeFile(join(volume, 'notes.txt'), 'overwritten by a bad plugin update\n')
      await writeFile(join(volume, 'stale.txt'), 'not in the backup\n')
      const database = await test.admin.request<Database>(
        'GET',
        resourcePath({ ...DATABASES, namespace, name: 'shop' }),
      )
      const login = decoded(
        await test.admin.request<Secret>('GET', secretPath(namespace, database.status?.secret)),
      )
      const as = {
        username: login.username ?? '',
        password: login.password ?? '',
        database: login.database ?? '',
      }
      await mariadb.sql('DELETE FROM orders WHERE id = 2; CREATE TABLE junk (id INTEGER);', as)

      await createRestore(namespace, 'undo', { backup: 'first', webspace: 'shop', database: 'shop' })
      // What is there now is backed up first, so the restore can itself be undone.
      const saving = await podOf(namespace, 'undo-before')
      assert.equal((await runPod(saving)).code, 0)
      const saved = await waitForBackup(namespace, 'undo-before', 'Succeeded', REASON.BackupSucceeded)
      assert.equal(saved.status?.files?.files, 3)
      const pod = await restorePodOf(namespace, 'undo')
      const args = pod.spec.containers[0]?.args ?? []
      assert.ok(args.includes('restore') && args.includes('--replace'), args.join(' '))
      const ran = await runPod(pod)
      assert.equal(ran.code, 0, ran.stderr)
      const restored = await waitForRestore(namespace, 'undo', 'Succeeded', RESTORE_REASON.Restored)
      assert.match(findCondition(restored.status?.conditions, 'Ready')?.message ?? '', /Backup first/)
      assert.equal(await readFile(join(volume, 'notes.txt'), 'utf8'), before)
      assert.equal(await readFile(join(volume, 'img/logo.svg'), 'utf8'), '<svg>the acme logo</svg>\n')
      await assert.rejects(readFile(join(volume, 'stale.txt')))
      assert.equal(
        await mariadb.sql('SELECT id, item FROM orders ORDER BY id', as),
        '1\tanvil\n2\trocket skates\n',
      )
      assert.equal(await mariadb.sql("SHOW TABLES LIKE 'junk'", as), '')
    })

    it('fails the drill of a Backup whose data was damaged in the bucket, with a Warning Event — never silent', async () => {
      const namespace = ns(b)
      await webspaceWithVolume(namespace, 'docs', { 'guide.md': '# a guide worth keeping\n'.repeat(100) })
      await createBackup(namespace, 'docs-1', { webspace: 'docs' })
      assert.equal((await runPod(await podOf(namespace, 'docs-1'))).code, 0)
      await waitForBackup(namespace, 'docs-1', 'Succeeded', REASON.BackupSucceeded)
      const packs = [...(await s3.objects(BUCKET)).keys()].filter((key) =>
        key.startsWith(`${PREFIX}${b}/data/`),
      )
      assert.ok(packs.length > 0)
      // Damaged in the bucket: the same objects, other bytes (restic finds it by their MACs).
      const stored = await s3.objects(BUCKET)
      for (const key of packs) await s3.put(BUCKET, key, Buffer.alloc(stored.get(key)?.length ?? 1024, 7))
      await createRestore(namespace, 'drill-docs', { backup: 'docs-1', verify: true })
      const codes = await runUntilJobEnds(namespace, 'drill-docs', 2)
      assert.ok(codes.every((code) => code !== 0))
      const failed = await waitForRestore(namespace, 'drill-docs', 'Failed', RESTORE_REASON.DrillFailed)
      assert.match(findCondition(failed.status?.conditions, 'Ready')?.message ?? '', /docs-1/)
      await test.waitUntil('a Warning Event DrillFailed', async () =>
        (await warnings(namespace, 'drill-docs')).includes(RESTORE_REASON.DrillFailed) ? true : undefined,
      )
      await test.waitUntil('the failed drill counted', async () => {
        const text = await operator.registry.getSingleMetricAsString('hostplane_restores_finished_total')
        return /kind="drill",outcome="failed"} 1/.test(text) ? true : undefined
      })
    })

    it('takes a scheduled backup at its time, in its group, with its retention applied by the Job', async () => {
      const namespace = ns(a)
      await test.admin.request('POST', resourcePath({ ...BACKUP_SCHEDULES, namespace }), {
        body: {
          apiVersion: BACKUP_SCHEDULES.apiVersion,
          kind: BACKUP_SCHEDULES.kind,
          metadata: { name: 'often' },
          spec: { webspace: 'shop', schedule: '* * * * *', retention: { last: 2 } },
        },
      })
      const scheduled = await test.waitUntil(
        'a Backup of schedule often',
        async () => {
          const list = await test.admin.request<KubeList<Backup>>('GET', backupPath(namespace), {
            query: { labelSelector: 'hostplane.dev/backup-schedule=often' },
          })
          return list.items[0]
        },
        75_000,
      )
      assert.match(scheduled.metadata.name, /^often-\d{12}$/)
      // Every minute is due: suspended now, a run while this one runs (a miss) cannot come.
      await test.admin.request('PATCH', resourcePath({ ...BACKUP_SCHEDULES, namespace, name: 'often' }), {
        body: { spec: { suspend: true } },
        contentType: 'application/merge-patch+json',
      })
      const pod = await podOf(namespace, scheduled.metadata.name)
      const args = pod.spec.containers[0]?.args ?? []
      for (const arg of ['--group=often', '--keep-last=2', '--keep-daily=7', '--time-zone=UTC', '--prune'])
        assert.ok(args.includes(arg), `${arg} in ${args.join(' ')}`)
      const ran = await runPod(pod)
      assert.equal(ran.code, 0, ran.stderr)
      await waitForBackup(namespace, scheduled.metadata.name, 'Succeeded', REASON.BackupSucceeded)
      const status = await test.waitUntil('the schedule says its backup succeeded', async () => {
        const found = await test.admin.request<{ status?: BackupScheduleStatus }>(
          'GET',
          resourcePath({ ...BACKUP_SCHEDULES, namespace, name: 'often' }),
        )
        return findCondition(found.status?.conditions, 'BackedUp')?.status === 'True'
          ? found.status
          : undefined
      })
      assert.equal(status.lastSuccessfulBackup, scheduled.metadata.name)
      assert.equal(findCondition(status.conditions, 'Scheduled')?.reason, 'Suspended')
      assert.equal(status.missedRuns ?? 0, 0)
    })

    it('misses a run while the previous backup still runs: MissedSchedule, a Warning Event and the missed-runs metric — never silent', async () => {
      const namespace = ns(a)
      const schedulePath = resourcePath({ ...BACKUP_SCHEDULES, namespace, name: 'busy' })
      await test.admin.request('POST', resourcePath({ ...BACKUP_SCHEDULES, namespace }), {
        body: {
          apiVersion: BACKUP_SCHEDULES.apiVersion,
          kind: BACKUP_SCHEDULES.kind,
          metadata: { name: 'busy' },
          spec: { webspace: 'shop', schedule: '* * * * *' },
        },
      })
      const first = await test.waitUntil(
        'a Backup of schedule busy',
        async () => {
          const list = await test.admin.request<KubeList<Backup>>('GET', backupPath(namespace), {
            query: { labelSelector: 'hostplane.dev/backup-schedule=busy' },
          })
          return list.items[0]
        },
        75_000,
      )
      // Its Pod is not run, so the Backup still runs when the next minute is due.
      const missed = await test.waitUntil(
        'the schedule says it missed a run',
        async () => {
          const found = await test.admin.request<{ status?: BackupScheduleStatus }>('GET', schedulePath)
          return findCondition(found.status?.conditions, 'Scheduled')?.reason === 'MissedSchedule'
            ? found.status
            : undefined
        },
        75_000,
      )
      assert.ok((missed.missedRuns ?? 0) >= 1)
      assert.equal(findCondition(missed.conditions, 'Ready')?.status, 'False')
      assert.match(findCondition(missed.conditions, 'Scheduled')?.message ?? '', /did not run/)
      await test.waitUntil('a Warning Event MissedSchedule', async () =>
        (await warnings(namespace, 'busy')).includes('MissedSchedule') ? true : undefined,
      )
      const counted = await operator.registry.getSingleMetricAsString(
        'hostplane_backup_schedule_missed_runs_total',
      )
      assert.ok(Number(/ (\d+)$/m.exec(counted)?.[1] ?? 0) >= 1, counted)
      await test.admin.request('PATCH', schedulePath, {
        body: { spec: { suspend: true } },
        contentType: 'application/merge-patch+json',
      })
      const ran = await runPod(await podOf(namespace, first.metadata.name))
      assert.equal(ran.code, 0, ran.stderr)
      await waitForBackup(namespace, first.metadata.name, 'Succeeded', REASON.BackupSucceeded)
    })

    it('takes a final backup of a deleted Webspace that a schedule backs up, and lets it go once the backup is done', async () => {
      const namespace = ns(b)
      await webspaceWithVolume(namespace, 'leaving', { 'last-words.txt': 'kept after the delete\n' })
      await test.admin.request('POST', resourcePath({ ...BACKUP_SCHEDULES, namespace }), {
        body: {
          apiVersion: BACKUP_SCHEDULES.apiVersion,
          kind: BACKUP_SCHEDULES.kind,
          metadata: { name: 'keep' },
          // Suspended: no scheduled run, yet the delete is still backed up.
          spec: { webspace: 'leaving', schedule: '@daily', suspend: true },
        },
      })
      const webspacePath = resourcePath({ ...WEBSPACES, namespace, name: 'leaving' })
      await test.waitUntil('the final-backup finalizer on the Webspace', async () =>
        (await test.admin.request<KubeObject>('GET', webspacePath)).metadata.finalizers?.includes(
          FINAL_BACKUP,
        )
          ? true
          : undefined,
      )
      await test.admin.request('DELETE', webspacePath)
      const final = await test.waitUntil('the final Backup of schedule keep', async () => {
        const list = await test.admin.request<KubeList<Backup>>('GET', backupPath(namespace), {
          query: { labelSelector: 'hostplane.dev/backup-schedule=keep' },
        })
        return list.items[0]
      })
      assert.match(final.metadata.name, /^keep-final-\d{12}$/)
      assert.deepEqual(final.spec, { webspace: 'leaving' })
      const pod = await podOf(namespace, final.metadata.name)
      // The Webspace (and so its volume) is still there while its last backup runs.
      assert.ok((await test.admin.request<KubeObject>('GET', webspacePath)).metadata.deletionTimestamp)
      const ran = await runPod(pod)
      assert.equal(ran.code, 0, ran.stderr)
      const done = await waitForBackup(namespace, final.metadata.name, 'Succeeded', REASON.BackupSucceeded)
      assert.equal(done.status?.files?.files, 1)
      await waitGone('the Webspace', webspacePath)
    })

    it('calls a backup with no file in it empty: Failed, a Warning Event, counted', async () => {
      const namespace = ns(b)
      await webspaceWithVolume(namespace, 'blank', {})
      await createBackup(namespace, 'nothing', { webspace: 'blank' })
      const ran = await runPod(await podOf(namespace, 'nothing'))
      assert.equal(ran.code, 0, ran.stderr)
      const empty = await waitForBackup(namespace, 'nothing', 'Failed', REASON.BackupEmpty)
      assert.match(findCondition(empty.status?.conditions, 'Ready')?.message ?? '', /no file/)
      await counted('empty', 1)
      await test.waitUntil('a Warning Event BackupEmpty', async () =>
        (await warnings(namespace, 'nothing')).includes(REASON.BackupEmpty) ? true : undefined,
      )
      // Its own repository: customer b's token and password are not customer a's.
      const keys = decoded(
        await test.admin.request<Secret>('GET', secretPath(test.systemNamespace, keysSecretName(target))),
      )
      assert.ok(keys[a] && keys[b] && keys[a] !== keys[b])
    })

    it('reports a Job that failed twice with its last words, and never starts a third', async () => {
      const namespace = ns(b)
      await createBackup(namespace, 'broken', { webspace: 'blank' })
      for (let attempt = 0; attempt < 2; attempt++) {
        const pod = await podOf(namespace, 'broken')
        await finishPod(test.admin, pod, {
          backup: {
            exitCode: 1,
            message:
              'restic: starting\nhostplane backup run: the repository cannot be opened (connection refused)\n',
          },
        })
      }
      const failed = await waitForBackup(namespace, 'broken', 'Failed', REASON.BackupFailed)
      assert.match(findCondition(failed.status?.conditions, 'Ready')?.message ?? '', /connection refused/)
      await counted('failed', 1)
    })

    it('says why a Backup cannot start', async () => {
      const namespace = ns(b)
      await createBackup(namespace, 'ghost', { webspace: 'nowhere' })
      await waitForBackup(namespace, 'ghost', 'Pending', REASON.WebspaceNotFound)
      await test.createWebspace(namespace, 'stateless', { runtime })
      await createBackup(namespace, 'stateless', { webspace: 'stateless' })
      await waitForBackup(namespace, 'stateless', 'Pending', REASON.NoStorage)
      await createBackup(namespace, 'elsewhere', { webspace: 'blank', target: 'nowhere' })
      await waitForBackup(namespace, 'elsewhere', 'Pending', REASON.TargetNotFound)
    })

    it('refuses a Backup naming nothing, and a change of what it backs up', async () => {
      const namespace = ns(b)
      const refused = await createBackup(namespace, 'nothing-named', {}).catch((error: unknown) => error)
      assert.ok(refused instanceof KubeApiError && refused.status === 422)
      assert.match(refused.message, /name a webspace, a database or both/)
      const changed = await test.admin
        .request('PATCH', backupPath(namespace, 'broken'), {
          body: { spec: { webspace: 'other' } },
          contentType: 'application/merge-patch+json',
        })
        .catch((error: unknown) => error)
      assert.ok(changed instanceof KubeApiError && changed.status === 422)
      assert.match(changed.message, /webspace cannot be changed/)
    })

    it('lets the operator write no Job but a backup Job without a token, and no other Secret in the system namespace', async () => {
      const asOperator = new KubeRest(test.operatorKube)
      try {
        const job = await test.admin.request<Job>(
          'GET',
          resourcePath({ apiVersion: 'batch/v1', plural: 'jobs', namespace: ns(a), name: 'backup-first' }),
        )
        const withToken = {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: 'sneaky', namespace: ns(a), labels: job.metadata.labels },
          spec: {
            template: {
              metadata: { labels: job.metadata.labels },
              spec: { ...job.spec.template.spec, automountServiceAccountToken: true },
            },
          },
        }
        const refused = await asOperator
          .request('POST', resourcePath({ apiVersion: 'batch/v1', plural: 'jobs', namespace: ns(a) }), {
            body: withToken,
          })
          .catch((error: unknown) => error)
        assert.ok(refused instanceof KubeApiError && refused.status === 403, String(refused))
        const secret = await asOperator
          .request('POST', secretPath(test.systemNamespace), {
            body: { metadata: { name: 'backup-keys-x' }, type: 'Opaque', stringData: { a: 'b' } },
          })
          .catch((error: unknown) => error)
        assert.ok(secret instanceof KubeApiError && secret.status === 403, String(secret))
        const deleted = await asOperator
          .request('DELETE', secretPath(test.systemNamespace, keysSecretName(target)))
          .catch((error: unknown) => error)
        assert.ok(deleted instanceof KubeApiError && deleted.status === 403, String(deleted))
      } finally {
        asOperator.close()
      }
    })
  },
)
