/**
 * Tenancy benchmark on a cluster this script starts: C Customers × W Webspaces created at once →
 * seconds until every webspace has its Deployment, Service, IngressRoute and Certificate and a
 * status for its generation with Deployed=True (`deployedSeconds`), and until that status also
 * mirrors the Deployment's Available condition (`convergedSeconds`), which kube-controller-manager
 * reports: no kubelet runs, so the pods stay Pending and Available is False; nothing is faked
 * through the API. Then API writes per generated object, writes during three idle resync periods,
 * and the operator's peak RSS.
 *
 * Customers are shared/medium and each webspace runs one `small` replica, so the ten pods of a
 * customer fit its quota (pods are created by the ReplicaSet controller as in production).
 *
 *   npx tsx bench/tenancy.ts [--customers 100] [--webspaces 10] [--resync-seconds 10]
 */
import { parseArgs } from 'node:util'
import type { Customer, Webspace } from '../src/api/resources.js'
import { findCondition } from '../src/kube/conditions.js'
import type { KubeList, KubeObject } from '../src/kube/object.js'
import { type KubeRest, resourcePath } from '../src/kube/rest.js'
import { CUSTOMERS } from '../src/operator/customer/owned.js'
import { REASON } from '../src/operator/webspace/conditions.js'
import { WEBSPACE_OWNED, WEBSPACES } from '../src/operator/webspace/owned.js'
import { sleep, waitFor } from '../test/cluster/process.js'
import { withOperatorBench } from './operator-process.js'
import { inParallel } from './parallel.js'
import { WEBSPACE_LABEL } from '../src/api/webspace.js'

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '100' },
    webspaces: { type: 'string', default: '10' },
    'resync-seconds': { type: 'string', default: '10' },
    'metrics-port': { type: 'string', default: '18090' },
  },
})
const CUSTOMER_COUNT = Number(values.customers)
const PER_CUSTOMER = Number(values.webspaces)
const WEBSPACE_COUNT = CUSTOMER_COUNT * PER_CUSTOMER
const RESYNC_S = Number(values['resync-seconds'])
/** What a Customer generates (namespace, quota, limits, policy, role, binding, policy binding). */
const PER_CUSTOMER_OBJECTS = 7
const ROUTED_KINDS = [
  WEBSPACE_OWNED.Deployment,
  WEBSPACE_OWNED.Service,
  WEBSPACE_OWNED.IngressRoute,
  WEBSPACE_OWNED.Certificate,
]

const log = (line: string) => console.error(`[bench] ${line}`)

/**
 * Webspaces whose status is for their generation with Deployed=True and a URL (`deployed`: the
 * operator's part), and of those the ones mirroring the Deployment's Available (`mirrored`:
 * kube-controller-manager has reported on the Deployment and the operator has copied it).
 */
async function webspaceProgress(admin: KubeRest): Promise<{ deployed: number; mirrored: number }> {
  const list = await admin.request<KubeList<Webspace>>('GET', resourcePath(WEBSPACES))
  const deployed = list.items.filter(
    (w) =>
      w.status?.observedGeneration === w.metadata.generation &&
      findCondition(w.status?.conditions, 'Deployed')?.reason === REASON.ObjectsApplied &&
      w.status?.url !== undefined,
  )
  const mirrored = deployed.filter((w) => {
    const available = findCondition(w.status?.conditions, 'Available')
    return available !== undefined && available.reason !== REASON.DeploymentPending
  })
  return { deployed: deployed.length, mirrored: mirrored.length }
}

/** The fewest objects of any routed kind labelled with a webspace. */
async function generatedPerKind(admin: KubeRest): Promise<number> {
  let least = Infinity
  for (const kind of ROUTED_KINDS) {
    const list = await admin.request<KubeList<KubeObject>>('GET', resourcePath(kind), {
      query: { labelSelector: WEBSPACE_LABEL },
    })
    least = Math.min(least, list.items.length)
  }
  return least
}

async function main(): Promise<void> {
  await withOperatorBench(
    { log, metricsPort: Number(values['metrics-port']), resyncSeconds: RESYNC_S },
    async ({ admin, test, runtime, operator }) => {
      log(`creating ${CUSTOMER_COUNT} customers × ${PER_CUSTOMER} webspaces`)
      const started = Date.now()
      await inParallel(CUSTOMER_COUNT, 50, async (c) => {
        const name = `c${c}-${test.tag}`
        await test.createCustomer(name, { size: 'medium' })
        // A webspace can be created once the operator has made the customer's namespace.
        const namespace = await waitFor(
          async () => {
            const customer = await admin.request<Customer>('GET', resourcePath({ ...CUSTOMERS, name }))
            const ns = customer.status?.namespace
            return ns && (await admin.request('GET', `/api/v1/namespaces/${ns}`).catch(() => undefined))
              ? ns
              : undefined
          },
          { timeoutMs: 10 * 60_000, intervalMs: 250, describe: () => `no namespace for ${name}` },
        )
        for (let w = 0; w < PER_CUSTOMER; w++)
          await test.createWebspace(namespace, `app-${w}`, { runtime, size: 'small', replicas: 1 })
      })
      const created = (Date.now() - started) / 1000
      log(`all created after ${created.toFixed(1)} s; waiting for convergence`)
      let deployedAt: number | undefined
      await waitFor(
        async () => {
          const [progress, objects] = [await webspaceProgress(admin), await generatedPerKind(admin)]
          if (deployedAt === undefined && progress.deployed === WEBSPACE_COUNT && objects === WEBSPACE_COUNT)
            deployedAt = Date.now()
          return deployedAt !== undefined && progress.mirrored === WEBSPACE_COUNT ? true : undefined
        },
        { timeoutMs: 60 * 60_000, intervalMs: 2000, describe: () => 'the webspaces did not converge' },
      )
      const converged = (Date.now() - started) / 1000
      // Late Deployment status changes (Progressing) still arrive: wait until writes stop for 5 s.
      let settled = await operator.writes()
      for (;;) {
        await sleep(5000)
        const now = await operator.writes()
        if (now === settled) break
        settled = now
      }
      const byVerb = await operator.writesBy()
      log(`idle for three resync periods (${3 * RESYNC_S} s)`)
      await sleep((3 * RESYNC_S + 2) * 1000)
      const after = await operator.writesBy()
      const idle = Object.fromEntries(
        Object.entries(after)
          .map(([key, n]) => [key, n - (byVerb[key] ?? 0)] as const)
          .filter(([, n]) => n > 0),
      )
      const generated = CUSTOMER_COUNT * PER_CUSTOMER_OBJECTS + WEBSPACE_COUNT * ROUTED_KINDS.length
      const result = {
        customers: CUSTOMER_COUNT,
        webspaces: WEBSPACE_COUNT,
        generatedObjects: generated,
        createSeconds: Number(created.toFixed(1)),
        deployedSeconds: Number((((deployedAt ?? 0) - started) / 1000).toFixed(1)),
        convergedSeconds: Number(converged.toFixed(1)),
        writes: settled,
        writesPerGeneratedObject: Number((settled / generated).toFixed(2)),
        writesByVerb: byVerb,
        idleWrites: Object.values(idle).reduce((sum, n) => sum + n, 0),
        idleWritesByVerb: idle,
        peakRssMiB: await operator.rssMiB('VmHWM'),
        idleRssMiB: await operator.rssMiB('VmRSS'),
      }
      console.log(JSON.stringify(result, null, 1))
    },
  )
}

await main()
