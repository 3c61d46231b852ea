/**
 * Quota refusal benchmark on a cluster this script starts: C shared/small Customers × W Webspaces
 * each asking for more storage than the namespace quota allows (10Gi against 5Gi), so the
 * ResourceQuota refuses every PersistentVolumeClaim. The operator runs as in production (compiled,
 * its own ServiceAccount, default flags apart from the test cluster's addresses). For the given
 * minutes it counts, every 30 s, the Events about these Webspaces, the operator's status writes
 * of Webspaces and all its API writes, and how many Webspaces report why they are not running.
 * A refusal the operator understands shows as one status and one Event per Webspace, then
 * nothing; a refusal it retries blindly grows both without bound.
 *
 *   npx tsx bench/quota-refusal.ts [--customers 7] [--webspaces 7] [--minutes 5]
 */
import { parseArgs } from 'node:util'
import type { Customer, Webspace } from '../src/api/resources.js'
import { findCondition } from '../src/kube/conditions.js'
import type { KubeList, KubeObject } from '../src/kube/object.js'
import { type KubeRest, resourcePath } from '../src/kube/rest.js'
import { CUSTOMERS } from '../src/operator/customer/owned.js'
import { WEBSPACES } from '../src/operator/webspace/owned.js'
import { sleep, waitFor } from '../test/cluster/process.js'
import { withOperatorBench } from './operator-process.js'

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '7' },
    webspaces: { type: 'string', default: '7' },
    minutes: { type: 'string', default: '5' },
    'metrics-port': { type: 'string', default: '18091' },
  },
})
const CUSTOMER_COUNT = Number(values.customers)
const PER_CUSTOMER = Number(values.webspaces)
const MINUTES = Number(values.minutes)
/** The operator's default full reconcile period (`--resync-seconds`). */
const DEFAULT_RESYNC_S = 600
const SAMPLE_MS = 30_000

const log = (line: string) => console.error(`[bench] ${line}`)

interface WebspaceEvent extends KubeObject {
  readonly regarding?: { readonly kind?: string }
  readonly reason?: string
}

/** Events about Webspaces in the benchmark's namespaces, by reason. */
async function webspaceEvents(
  admin: KubeRest,
  namespaces: readonly string[],
): Promise<Record<string, number>> {
  const byReason: Record<string, number> = {}
  for (const namespace of namespaces) {
    const list = await admin.request<KubeList<WebspaceEvent>>(
      'GET',
      resourcePath({ apiVersion: 'events.k8s.io/v1', plural: 'events', namespace }),
    )
    for (const event of list.items)
      if (event.regarding?.kind === 'Webspace')
        byReason[event.reason ?? ''] = (byReason[event.reason ?? ''] ?? 0) + 1
  }
  return byReason
}

/** Webspaces whose status says why they are not deployed, by the Deployed condition's reason. */
async function reportedReasons(admin: KubeRest): Promise<Record<string, number>> {
  const list = await admin.request<KubeList<Webspace>>('GET', resourcePath(WEBSPACES))
  const byReason: Record<string, number> = {}
  for (const webspace of list.items) {
    const reason = findCondition(webspace.status?.conditions, 'Deployed')?.reason ?? 'none'
    byReason[reason] = (byReason[reason] ?? 0) + 1
  }
  return byReason
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, n) => total + n, 0)

async function main(): Promise<void> {
  await withOperatorBench(
    { log, metricsPort: Number(values['metrics-port']), resyncSeconds: DEFAULT_RESYNC_S },
    async ({ admin, test, runtime, operator }) => {
      const namespaces: string[] = []
      for (let c = 0; c < CUSTOMER_COUNT; c++) {
        const name = `q${c}-${test.tag}`
        await test.createCustomer(name, { size: 'small' })
        const namespace = await waitFor(
          async () => {
            const customer = await admin.request<Customer>('GET', resourcePath({ ...CUSTOMERS, name }))
            return findCondition(customer.status?.conditions, 'Ready')?.status === 'True'
              ? customer.status?.namespace
              : undefined
          },
          { timeoutMs: 120_000, intervalMs: 250, describe: () => `customer ${name} did not become Ready` },
        )
        namespaces.push(namespace)
      }
      const before = await operator.writesBy()
      log(`creating ${CUSTOMER_COUNT * PER_CUSTOMER} webspaces asking 10Gi against a 5Gi storage quota`)
      const started = Date.now()
      for (const namespace of namespaces)
        for (let w = 0; w < PER_CUSTOMER; w++)
          await test.createWebspace(namespace, `app-${w}`, {
            runtime,
            size: 'small',
            replicas: 1,
            storage: { size: '10Gi', mountPath: '/data' },
          })
      const timeline: Record<string, unknown>[] = []
      for (let t = SAMPLE_MS; t <= MINUTES * 60_000; t += SAMPLE_MS) {
        await sleep(Math.max(0, started + t - Date.now()))
        const writes = await operator.writesBy()
        const grown = (key: string) => (writes[key] ?? 0) - (before[key] ?? 0)
        const sample = {
          seconds: Math.round((Date.now() - started) / 1000),
          events: sum(await webspaceEvents(admin, namespaces)),
          statusWrites: grown('apply-status webspaces'),
          apiWrites: Object.keys(writes).reduce((total, key) => total + grown(key), 0),
        }
        log(JSON.stringify(sample))
        timeline.push(sample)
      }
      const writes = await operator.writesBy()
      const result = {
        webspaces: CUSTOMER_COUNT * PER_CUSTOMER,
        minutes: MINUTES,
        eventsByReason: await webspaceEvents(admin, namespaces),
        webspacesByDeployedReason: await reportedReasons(admin),
        writesByVerb: Object.fromEntries(
          Object.entries(writes)
            .map(([key, n]) => [key, n - (before[key] ?? 0)] as const)
            .filter(([, n]) => n > 0),
        ),
        timeline,
      }
      console.log(JSON.stringify(result, null, 1))
    },
  )
}

await main()
