import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Webspace } from '../../src/api/resources.js'
import type { WebspaceSpec } from '../../src/api/webspace.js'
import { findCondition } from '../../src/kube/conditions.js'
import type { KubeList, KubeObject } from '../../src/kube/object.js'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import type { Operator } from '../../src/operator/operator.js'
import { REASON } from '../../src/operator/webspace/conditions.js'
import { WEBSPACE_OWNED, type WebspaceOwnedKind } from '../../src/operator/webspace/owned.js'
import { REASON as CUSTOMER_REASON } from '../../src/operator/customer/conditions.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { OperatorEnv } from '../operator/harness.js'
import { sleep } from '../cluster/process.js'
import { API_WRITES_METRIC } from '../../src/kube/api-writes.js'
import { TIER_QUOTAS } from '../../src/operator/customer/tiers.js'

/** The operator's writes so far, by `verb resource`: a failed comparison shows which grew. */
async function writesBy(operator: Operator): Promise<Record<string, number>> {
  const values = (await operator.registry.getSingleMetric(API_WRITES_METRIC)?.get())?.values ?? []
  return Object.fromEntries(values.map((v) => [`${v.labels.verb} ${v.labels.resource}`, v.value]))
}

const env = await clusterForTests()

describe('the Webspace operator on a real API server', { skip: env.skip }, () => {
  let test: OperatorEnv
  let operator: Operator
  let runtime: string
  const customer = () => `ws-${test.tag}`
  const namespace = () => `sh-${customer()}`
  const createWebspace = (name: string, spec: Partial<WebspaceSpec> = {}) =>
    test.createWebspace(namespace(), name, { runtime, ...spec })
  const kinds = async (name: string) => {
    const found: string[] = []
    for (const kind of Object.keys(WEBSPACE_OWNED) as WebspaceOwnedKind[]) {
      const list = await test.admin.request<KubeList<KubeObject>>(
        'GET',
        resourcePath({ ...WEBSPACE_OWNED[kind], namespace: namespace() }),
        { query: { labelSelector: `hostplane.dev/webspace=${name}` } },
      )
      if (list.items.length > 0) found.push(kind)
    }
    return found.sort().join(',')
  }
  const waitFor = (name: string, what: string, check: (w: Webspace) => boolean) =>
    test.waitForWebspace(namespace(), name, what, check)
  const reason = (webspace: Webspace, type: string) =>
    findCondition(webspace.status?.conditions, type)?.reason

  before(async () => {
    const cluster = await env.get()
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'ws')
    await test.setUp()
    runtime = await test.createRuntime()
    // Short waits for refused writes, so that a test sees several retries.
    operator = await test.startOperator({ resyncMs: 1000, refusalBackoff: { baseMs: 500, maxMs: 1000 } })
    await test.createCustomer(customer(), { size: 'large' })
    await test.waitForCustomer(customer(), 'Ready', 'True', CUSTOMER_REASON.Ready)
  })

  after(async () => {
    await operator?.stop()
    await test?.tearDown()
    test?.admin.close()
    await env.release()
  })

  it('runs a webspace: objects accepted by the real schemas, status from the Deployment, no idle writes', async () => {
    await createWebspace('shop')
    const webspace = await waitFor('shop', 'Deployed', (w) => reason(w, 'Deployed') === REASON.ObjectsApplied)
    assert.equal(webspace.status?.url, `https://shop-${namespace()}.pages.test/`)
    assert.equal(await kinds('shop'), 'Certificate,Deployment,IngressRoute,Service')
    // No kubelet runs: the Deployment controller reports the replicas unavailable, and so does the webspace.
    const reported = await waitFor(
      'shop',
      'Available mirrored',
      (w) => reason(w, 'Available') !== REASON.DeploymentPending,
    )
    assert.equal(findCondition(reported.status?.conditions, 'Ready')?.status, 'False')
    assert.equal(reported.status?.readyReplicas, 0)

    assert.deepEqual(
      (await test.eventReasons('Webspace', 'shop', namespace())).sort(),
      [REASON.DomainClaimed, REASON.ObjectsApplied],
      'kubectl describe shows the objects applied and the domain held',
    )

    const before = await writesBy(operator)
    await sleep(2500)
    assert.deepEqual(await writesBy(operator), before, 'idle resyncs write nothing')
  })

  it('reports a missing Runtime and a size the tier does not offer, writing no objects', async () => {
    await createWebspace('lost', { runtime: 'no-such-runtime' })
    const lost = await waitFor(
      'lost',
      'RuntimeNotFound',
      (w) => reason(w, 'Ready') === REASON.RuntimeNotFound,
    )
    assert.match(findCondition(lost.status?.conditions, 'Ready')?.message ?? '', /no-such-runtime/)
    await createWebspace('huge', { size: 'xlarge' })
    await waitFor('huge', 'SizeNotOffered', (w) => reason(w, 'Ready') === REASON.SizeNotOffered)
    assert.equal(await kinds('lost'), '')
    assert.equal(await kinds('huge'), '')
  })

  it('a Deployment above the quota is refused by the admission policy and reported as QuotaExceeded', async () => {
    await createWebspace('big', { replicas: 9 })
    const big = await waitFor('big', 'QuotaExceeded', (w) => reason(w, 'Ready') === REASON.QuotaExceeded)
    assert.match(findCondition(big.status?.conditions, 'Ready')?.message ?? '', /quota/)
    assert.deepEqual(await test.eventReasons('Webspace', 'big', namespace()), [REASON.QuotaExceeded])
  })

  it('a claim the namespace quota refuses: one QuotaExceeded status and Event over many retries; a larger tier deploys it', async () => {
    const small = `wsq-${test.tag}`
    await test.createCustomer(small, { size: 'small' })
    const smallNamespace = (await test.waitForCustomer(small, 'Ready', 'True', CUSTOMER_REASON.Ready)).status
      ?.namespace as string
    // Storage a medium customer may have and a small one may not.
    const storage = TIER_QUOTAS.shared.medium?.['requests.storage'] ?? ''
    await test.createWebspace(smallNamespace, 'vault', {
      runtime,
      storage: { size: storage, mountPath: '/data' },
    })
    // The Deployment is applied (only the claim is refused) and reports its one replica, once.
    const refused = await test.waitForWebspace(
      smallNamespace,
      'vault',
      'QuotaExceeded with the replica count',
      (w) => reason(w, 'Deployed') === REASON.QuotaExceeded && w.status?.replicas === 1,
    )
    assert.equal(
      findCondition(refused.status?.conditions, 'Ready')?.message,
      `PersistentVolumeClaim vault: exceeded quota requests.storage: requested ${storage}, used 0, limited ${TIER_QUOTAS.shared.small?.['requests.storage'] ?? ''} — lower spec.storage.size or ask for a larger tier`,
    )

    const claimWrites = async () => (await writesBy(operator))['apply persistentvolumeclaims'] ?? 0
    const attempts = await claimWrites()
    await sleep(5000)
    assert.ok((await claimWrites()) >= attempts + 3, 'the refused claim is retried (every 0.5-1 s here)')
    const after = await test.admin.request<Webspace>('GET', test.webspacePath(smallNamespace, 'vault'))
    assert.equal(
      after.metadata.resourceVersion,
      refused.metadata.resourceVersion,
      'no status write per retry',
    )
    assert.deepEqual(
      await test.eventReasons('Webspace', 'vault', smallNamespace),
      [REASON.QuotaExceeded],
      'one Event for the one transition',
    )

    await test.updateCustomer(small, { size: 'medium' })
    await test.waitForWebspace(
      smallNamespace,
      'vault',
      'deployed with the larger quota',
      (w) => reason(w, 'Deployed') === REASON.ObjectsApplied,
    )
    // The Events follow the status write.
    const events = await test.waitUntil('the Events of the deploy', async () => {
      const reasons = await test.eventReasons('Webspace', 'vault', smallNamespace)
      return reasons.length >= 3 ? reasons : undefined
    })
    assert.deepEqual(events, [REASON.QuotaExceeded, REASON.ObjectsApplied, REASON.DomainClaimed])
  })

  it('suspending the customer takes the webspace offline; moving it to dedicated adds HPA and PDB', async () => {
    await test.updateCustomer(customer(), { suspended: true })
    await waitFor('shop', 'suspended', (w) => reason(w, 'Ready') === REASON.CustomerSuspended)
    await test.waitUntil('no route while suspended', async () =>
      (await kinds('shop')).includes('IngressRoute') ? undefined : true,
    )
    const deployment = await test.admin.request<{ spec: { replicas: number } }>(
      'GET',
      resourcePath({ ...WEBSPACE_OWNED.Deployment, namespace: namespace(), name: 'shop' }),
    )
    assert.equal(deployment.spec.replicas, 0)

    await test.updateCustomer(customer(), { suspended: false, tier: 'dedicated' })
    await test.waitUntil('HPA and PDB on the dedicated tier', async () => {
      const found = await kinds('shop')
      return found ===
        'Certificate,Deployment,HorizontalPodAutoscaler,IngressRoute,PodDisruptionBudget,Service'
        ? found
        : undefined
    })
  })
})
