/**
 * Database benchmark on a cluster and a real database server this script starts: N Databases
 * created at once on one DatabaseServer → seconds until all are Ready, API writes per Database,
 * writes during three idle resync periods (each pass also runs the Database's statements and
 * measures it on the server), and the operator's peak and idle RSS. The operator runs as
 * `node build/src/cli/main.js operator` with its defaults (its own ServiceAccount token, one
 * connection pool of 4 per server) and is measured from /proc and /metrics.
 *
 *   npx tsx bench/databases.ts [--databases 500] [--engine MariaDB|PostgreSQL] [--resync-seconds 30]
 */
import { parseArgs } from 'node:util'
import type { Database } from '../src/api/resources.js'
import { findCondition } from '../src/kube/conditions.js'
import type { KubeList } from '../src/kube/object.js'
import { KubeRest, resourcePath } from '../src/kube/rest.js'
import { DATABASES } from '../src/operator/database/owned.js'
import { TestCluster } from '../test/cluster/cluster.js'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { runOrThrow, sleep, waitFor } from '../test/cluster/process.js'
import { createDatabaseServer, startMariaDb, startPostgres } from '../test/database/servers.js'
import { OperatorEnv } from '../test/operator/harness.js'
import { OperatorProcess } from './operator-process.js'

const { values } = parseArgs({
  options: {
    databases: { type: 'string', default: '500' },
    engine: { type: 'string', default: 'MariaDB' },
    'resync-seconds': { type: 'string', default: '30' },
    'metrics-port': { type: 'string', default: '18091' },
  },
})
const DATABASE_COUNT = Number(values.databases)
const ENGINE = values.engine === 'PostgreSQL' ? 'PostgreSQL' : 'MariaDB'
const RESYNC_S = Number(values['resync-seconds'])
/** Databases one dedicated/xlarge customer's quota holds (src/operator/customer/tiers.ts). */
const PER_CUSTOMER = 40

async function main(): Promise<void> {
  const log = (line: string) => console.error(`[bench] ${line}`)
  await runOrThrow('npm', ['run', 'build'], { cwd: REPO_ROOT })
  const cluster = await TestCluster.start({ log })
  const server = await (ENGINE === 'MariaDB' ? startMariaDb() : startPostgres())
  const admin = new KubeRest(cluster.kubeConfig())
  const test = new OperatorEnv(cluster, admin, 'dbbench')
  let operator: OperatorProcess | undefined
  try {
    await test.setUp()
    const customers = Array.from(
      { length: Math.ceil(DATABASE_COUNT / PER_CUSTOMER) },
      (_, i) => `db${i}-${test.tag}`,
    )
    for (const name of customers) await test.createCustomer(name, { tier: 'dedicated', size: 'xlarge' })
    await createDatabaseServer(test, `bench-${test.tag}`, server, {
      tiers: ['dedicated'],
      default: true,
      limits: { maxDatabaseSize: '1Gi', maxConnectionsPerUser: 10 },
    })
    operator = await OperatorProcess.start({
      test,
      metricsPort: Number(values['metrics-port']),
      resyncSeconds: RESYNC_S,
      // The run's ServiceAccount, which the operator guard expects in each Customer's bindings.
      extraArgs: ['--service-account', test.operatorAccount],
    })
    for (const name of customers) await test.waitForCustomer(name, 'Ready', 'True', 'Ready')
    const baseline = await operator.writes()

    log(`creating ${DATABASE_COUNT} ${ENGINE} Databases in ${customers.length} namespaces`)
    const started = Date.now()
    let next = 0
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < DATABASE_COUNT) {
          const i = next++
          const namespace = `ded-${customers[Math.floor(i / PER_CUSTOMER)] ?? ''}`
          await admin.request('POST', resourcePath({ ...DATABASES, namespace }), {
            body: {
              apiVersion: DATABASES.apiVersion,
              kind: DATABASES.kind,
              metadata: { name: `db-${i}` },
              spec: { engine: ENGINE },
            },
          })
        }
      }),
    )
    const created = (Date.now() - started) / 1000
    await waitFor(
      async () => {
        const list = await admin.request<KubeList<Database>>(
          'GET',
          `/apis/${DATABASES.apiVersion}/${DATABASES.plural}`,
        )
        const ready = list.items.filter(
          (d) => findCondition(d.status?.conditions, 'Ready')?.status === 'True',
        ).length
        return ready === DATABASE_COUNT ? true : undefined
      },
      { timeoutMs: 30 * 60_000, intervalMs: 1000, describe: () => 'not all Databases became Ready' },
    )
    const allReady = (Date.now() - started) / 1000
    await sleep(3000)
    const afterConverge = await operator.writes()
    log(`idle for three resync periods (${3 * RESYNC_S} s)`)
    await sleep((3 * RESYNC_S + 2) * 1000)
    const idleWrites = (await operator.writes()) - afterConverge
    const result = {
      engine: ENGINE,
      databases: DATABASE_COUNT,
      createSeconds: Number(created.toFixed(1)),
      allReadySeconds: Number(allReady.toFixed(1)),
      writesPerDatabase: Number(((afterConverge - baseline) / DATABASE_COUNT).toFixed(2)),
      writesBy: await operator.writesBy(),
      idleWrites,
      peakRssMiB: await operator.rssMiB('VmHWM'),
      idleRssMiB: await operator.rssMiB('VmRSS'),
    }
    console.log(JSON.stringify(result))
  } finally {
    await operator?.stop()
    admin.close()
    await server.stop()
    await cluster.stop()
  }
}

await main()
