import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Customer, Release, Webspace } from '../../api/resources.js'
import { Applier } from '../../kube/apply.js'
import { findCondition } from '../../kube/conditions.js'
import { EventRecorder } from '../../kube/events.js'
import { splitKey } from '../../kube/object.js'
import { RefusalBackoff } from '../../kube/refusal-backoff.js'
import { KubeApiError } from '../../kube/rest.js'
import { WriteRecorder } from '../../kube/write-recorder.js'
import { silentLogger } from '../../ops/log.js'
import { customer } from '../customer/fixtures.js'
import { config, release, runtime, webspace } from './fixtures.js'
import type { Deployment } from './plan.js'
import { WebspaceReconciler } from './reconcile.js'
import { WEBSPACE_LABEL } from '../../api/webspace.js'

const APPS = '/apis/apps/v1/namespaces/sh-acme'
const CORE = '/api/v1/namespaces/sh-acme'
const WEBSPACE = '/apis/hostplane.dev/v1alpha1/namespaces/sh-acme/webspaces/shop'
const ORDER = 'PATCH /apis/hostplane.dev/v1alpha1/customers/acme/status'
const CREATED = [
  `APPLY ${APPS}/deployments/shop`,
  `APPLY ${CORE}/services/shop`,
  'APPLY /apis/traefik.io/v1alpha1/namespaces/sh-acme/ingressroutes/shop',
  'APPLY /apis/cert-manager.io/v1/namespaces/sh-acme/certificates/shop-tls',
  `APPLY ${WEBSPACE}/status`,
]

const QUOTA_FULL = new KubeApiError(
  403,
  'Forbidden',
  'PATCH …: 403 …',
  { name: 'shop', kind: 'persistentvolumeclaims' },
  'persistentvolumeclaims "shop" is forbidden: exceeded quota: hostplane, requested: requests.storage=10Gi, used: requests.storage=0, limited: requests.storage=5Gi',
)

/**
 * One Webspace of customer acme (shared/large) on a recording API; `events()` drains the reasons
 * of the Events the operator's recorder sent, `retries` the delays of refused writes' retries.
 */
function world(initial = webspace()) {
  const acme: Customer = { ...customer({ size: 'large' }), status: { namespace: 'sh-acme' } }
  const api = new WriteRecorder(initial, acme)
  const owner = () => api.get<Customer>(acme) as Customer
  const recorded: string[] = []
  let now = 0
  let quotaVersions = ['1']
  const retries: number[] = []
  const reconciler = new WebspaceReconciler({
    cache: {
      webspace: (key) => api.get<Webspace>({ ...initial, metadata: splitKey(key) }),
      runtime: (name) => (name === runtime.metadata.name ? runtime : undefined),
      customerOf: (namespace) => (namespace === owner().status?.namespace ? owner() : undefined),
      owned: (key) =>
        api.list((o) => `${o.metadata.namespace}/${o.metadata.labels?.[WEBSPACE_LABEL] ?? ''}` === key),
      releases: (namespace, name) =>
        api.list(
          (o) =>
            o.kind === 'Release' &&
            o.metadata.namespace === namespace &&
            (o as Release).spec.webspace === name,
        ) as Release[],
      rivals: () => [],
      neighbours: () => [],
      quotaVersions: () => quotaVersions,
    },
    applier: new Applier(api, () => {}),
    events: new EventRecorder({
      applier: { create: async (_ref, event) => void recorded.push((event as { reason: string }).reason) },
      controller: 'hostplane.dev/operator',
      instance: 'test',
      log: silentLogger(),
    }),
    config,
    readTlsSecret: async () => ({ kind: 'missing' }),
    backoff: new RefusalBackoff({
      random: () => 0.5,
      now: () => now,
      retry: (_key, afterMs) => retries.push(afterMs),
    }),
    clock: () => new Date('2026-03-01T12:00:00Z'),
  })
  const live = () => api.get<Webspace>(initial) as Webspace
  return {
    api,
    reconciler,
    live,
    events: () => recorded.splice(0),
    retries,
    advance: (ms: number) => (now += ms),
    /** The namespace's ResourceQuota changed (a new resourceVersion). */
    raiseQuota: () => (quotaVersions = ['2']),
    /** Changes the spec as a user's edit would: a new generation. */
    edit(change: Partial<Webspace['spec']>) {
      const current = live()
      current.spec = { ...current.spec, ...change }
      current.metadata.generation = (current.metadata.generation ?? 1) + 1
    },
    /** The first pass: the webspace's certificate order is recorded in the Customer status. */
    async orderRecorded() {
      assert.equal(await reconciler.reconcile('sh-acme/shop'), 'order-recorded')
      api.writes()
    },
    setCustomer(change: Partial<Customer['spec']>) {
      const current = owner()
      current.spec = { ...current.spec, ...change }
    },
  }
}

/** A world after its first reconcile, with writes and events drained. */
async function converged() {
  const w = world()
  await w.reconciler.reconcile('sh-acme/shop')
  await w.reconciler.reconcile('sh-acme/shop')
  w.api.writes()
  w.events()
  return w
}

describe('WebspaceReconciler', () => {
  it('records the certificate order in the Customer status, then creates Deployment, Service, IngressRoute and Certificate, then the status, with Events; a third pass writes nothing', async () => {
    const w = world()
    assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'order-recorded')
    assert.deepEqual(w.api.writes(), [ORDER])
    assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'applied')
    assert.deepEqual(w.api.writes(), CREATED)
    assert.deepEqual(w.events(), ['ObjectsApplied', 'DomainClaimed'])
    assert.equal(w.live().status?.url, 'https://shop-sh-acme.pages.test/')

    assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'none')
    assert.deepEqual(w.api.writes(), [], 'nothing changed: nothing written')
    assert.deepEqual(w.events(), [])
  })

  it('a replica change patches only the Deployment, then the status', async () => {
    const w = await converged()
    w.edit({ replicas: 1 })
    await w.reconciler.reconcile('sh-acme/shop')
    assert.deepEqual(w.api.writes(), [`APPLY ${APPS}/deployments/shop`, `APPLY ${WEBSPACE}/status`])
    assert.deepEqual(w.events(), [])
  })

  it('a domain change patches only the IngressRoute and the Certificate, then the status', async () => {
    const w = await converged()
    w.edit({ domains: ['shop.acme.example'] })
    assert.equal(
      await w.reconciler.reconcile('sh-acme/shop'),
      'order-recorded',
      'new domains are a new order',
    )
    await w.reconciler.reconcile('sh-acme/shop')
    assert.deepEqual(w.api.writes(), [
      ORDER,
      'APPLY /apis/traefik.io/v1alpha1/namespaces/sh-acme/ingressroutes/shop',
      'APPLY /apis/cert-manager.io/v1/namespaces/sh-acme/certificates/shop-tls',
      `APPLY ${WEBSPACE}/status`,
    ])
  })

  it('the customer moving shared → dedicated adds the HPA and the PDB (the Deployment, already as desired, is left to the HPA); back removes them', async () => {
    const w = await converged()
    w.setCustomer({ tier: 'dedicated' })
    await w.reconciler.reconcile('sh-acme/shop')
    assert.deepEqual(w.api.writes(), [
      'APPLY /apis/autoscaling/v2/namespaces/sh-acme/horizontalpodautoscalers/shop',
      'APPLY /apis/policy/v1/namespaces/sh-acme/poddisruptionbudgets/shop',
      `APPLY ${WEBSPACE}/status`,
    ])
    assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'none')

    w.setCustomer({ tier: 'shared' })
    await w.reconciler.reconcile('sh-acme/shop')
    assert.deepEqual(w.api.writes(), [
      'DELETE /apis/autoscaling/v2/namespaces/sh-acme/horizontalpodautoscalers/shop',
      'DELETE /apis/policy/v1/namespaces/sh-acme/poddisruptionbudgets/shop',
      `APPLY ${WEBSPACE}/status`,
    ])
  })

  it('a suspended customer removes the route and scales to 0, records CustomerSuspended, and resuming restores both', async () => {
    const w = await converged()
    w.setCustomer({ suspended: true })
    await w.reconciler.reconcile('sh-acme/shop')
    assert.deepEqual(w.api.writes(), [
      `APPLY ${APPS}/deployments/shop`,
      'DELETE /apis/traefik.io/v1alpha1/namespaces/sh-acme/ingressroutes/shop',
      `APPLY ${WEBSPACE}/status`,
    ])
    assert.deepEqual(w.events(), ['CustomerSuspended'])
    w.setCustomer({ suspended: false })
    await w.reconciler.reconcile('sh-acme/shop')
    assert.deepEqual(w.api.writes(), [
      `APPLY ${APPS}/deployments/shop`,
      'APPLY /apis/traefik.io/v1alpha1/namespaces/sh-acme/ingressroutes/shop',
      `APPLY ${WEBSPACE}/status`,
    ])
    assert.deepEqual(w.events(), ['ObjectsApplied'])
  })

  it('a missing Runtime writes only the status, once, and records RuntimeNotFound', async () => {
    const w = world()
    w.live().spec.runtime = 'gone'
    assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'status')
    assert.deepEqual(w.api.writes(), [`APPLY ${WEBSPACE}/status`])
    assert.deepEqual(w.events(), ['RuntimeNotFound'])
    assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'none')
    assert.deepEqual(w.api.writes(), [])
  })

  it('a PersistentVolumeClaim the quota refuses: one QuotaExceeded status and Event saying what to change, then nothing until the retry', async () => {
    const w = world(webspace({ storage: { size: '10Gi', mountPath: '/data' } }))
    const claim = `${CORE}/persistentvolumeclaims/shop`
    await w.orderRecorded()
    w.api.refuse(claim, QUOTA_FULL)
    assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'refused')
    assert.deepEqual(w.api.writes(), [...CREATED.slice(0, 4), `APPLY ${claim}`, `APPLY ${WEBSPACE}/status`])
    assert.deepEqual(w.events(), ['QuotaExceeded'])
    const deployed = findCondition(w.live().status?.conditions, 'Deployed')
    assert.equal(deployed?.reason, 'QuotaExceeded')
    assert.equal(
      deployed?.message,
      'PersistentVolumeClaim shop: exceeded quota requests.storage: requested 10Gi, used 0, limited 5Gi — lower spec.storage.size or ask for a larger tier',
    )
    assert.deepEqual(w.retries, [5000])

    w.advance(4000)
    assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'none', 'a resync before the retry is due')
    assert.deepEqual(w.api.writes(), [])

    w.advance(1000)
    assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'refused')
    assert.deepEqual(
      w.api.writes(),
      [`APPLY ${claim}`],
      'the retry sends the refused write alone, and no status',
    )
    assert.deepEqual(w.events(), [])
    assert.deepEqual(w.retries, [5000, 1000, 10_000], 'the held pass kept the retry scheduled')
  })

  it('a raised quota retries at once; the admitted claim turns Deployed back to ObjectsApplied', async () => {
    const w = world(webspace({ storage: { size: '10Gi', mountPath: '/data' } }))
    const claim = `${CORE}/persistentvolumeclaims/shop`
    await w.orderRecorded()
    w.api.refuse(claim, QUOTA_FULL)
    await w.reconciler.reconcile('sh-acme/shop')
    w.api.writes()
    w.events()
    w.api.refuse(claim, undefined)
    w.raiseQuota()
    assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'applied')
    assert.deepEqual(w.api.writes(), [`APPLY ${claim}`, `APPLY ${WEBSPACE}/status`])
    assert.deepEqual(w.events(), ['ObjectsApplied', 'DomainClaimed'])
    assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'none')
  })

  it('a failure a retry may fix is thrown for the fast retry, with one ApplyFailed Event however often it repeats', async () => {
    const w = world()
    await w.orderRecorded()
    w.api.refuse(`${APPS}/deployments/shop`, new KubeApiError(500, 'InternalError', 'etcd timed out'))
    for (let i = 0; i < 3; i++) await assert.rejects(w.reconciler.reconcile('sh-acme/shop'), /etcd timed out/)
    assert.deepEqual(w.events(), ['ApplyFailed'])
    assert.deepEqual(w.retries, [], 'not held back: the work queue retries it')
  })

  describe('Releases', () => {
    const RELEASES = '/apis/hostplane.dev/v1alpha1/namespaces/sh-acme/releases'
    /** The Deployment controller's report on the live Deployment. */
    const report = (w: Awaited<ReturnType<typeof converged>>, reason: string) => {
      const live = w.api.get<Deployment>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'shop', namespace: 'sh-acme' },
      })
      assert.ok(live)
      live.status = {
        conditions: [
          {
            type: 'Progressing',
            status: reason === 'NewReplicaSetAvailable' ? 'True' : 'False',
            reason,
            message: `ReplicaSet ${reason}`,
          },
        ],
      }
      return live
    }
    const image = (live: Deployment | undefined) => live?.spec?.template?.spec?.containers?.[0]?.image

    it('a pushed Release rolls the Deployment onto its digest, then a complete rollout is one status write and nothing after', async () => {
      const w = await converged()
      const r1 = release('1', 1)
      w.api.put(r1)
      assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'applied')
      assert.deepEqual(w.api.writes(), [`APPLY ${APPS}/deployments/shop`, `APPLY ${WEBSPACE}/status`])
      assert.equal(image(report(w, 'ReplicaSetUpdated')), r1.spec.image)
      assert.equal(w.live().status?.release, 'shop-1')
      assert.equal(w.live().status?.image, r1.spec.image)
      assert.deepEqual(w.events(), ['RolloutInProgress'])
      await w.reconciler.reconcile('sh-acme/shop')
      assert.deepEqual(w.api.writes(), [`APPLY ${WEBSPACE}/status`], 'Progressing mirrored')
      assert.deepEqual(w.events(), [], 'still rolling out')
      report(w, 'NewReplicaSetAvailable')
      await w.reconciler.reconcile('sh-acme/shop')
      assert.deepEqual(w.api.writes(), [`APPLY ${WEBSPACE}/status`])
      assert.deepEqual(w.events(), ['RolloutComplete'])
      assert.equal(await w.reconciler.reconcile('sh-acme/shop'), 'none')
      assert.deepEqual(w.api.writes(), [])
    })

    it('a Release that misses its progress deadline is rolled back to the previous one with a Warning, and not retried', async () => {
      const w = await converged()
      w.api.put(release('1', 1))
      await w.reconciler.reconcile('sh-acme/shop')
      report(w, 'NewReplicaSetAvailable')
      await w.reconciler.reconcile('sh-acme/shop')
      const r2 = release('2', 2)
      w.api.put(r2)
      await w.reconciler.reconcile('sh-acme/shop')
      assert.equal(image(report(w, 'ProgressDeadlineExceeded')), r2.spec.image)
      w.api.writes()
      w.events()
      await w.reconciler.reconcile('sh-acme/shop')
      assert.deepEqual(w.api.writes(), [`APPLY ${APPS}/deployments/shop`, `APPLY ${WEBSPACE}/status`])
      assert.deepEqual(w.events(), ['RolledBack'])
      const live = w.live()
      assert.equal(image(report(w, 'NewReplicaSetAvailable')), release('1', 1).spec.image)
      assert.deepEqual(
        [live.status?.release, live.status?.previousRelease, live.status?.failedReleases],
        ['shop-1', 'shop-2', ['shop-2']],
      )
      await w.reconciler.reconcile('sh-acme/shop')
      assert.deepEqual(w.api.writes(), [`APPLY ${WEBSPACE}/status`], 'Progressing mirrored')
      await w.reconciler.reconcile('sh-acme/shop')
      assert.deepEqual(w.api.writes(), [], 'rolled back: the failed Release is not tried again')
      assert.equal(w.live().status?.release, 'shop-1')
    })

    it('deletes Releases beyond releaseHistory once, never the running or previous one', async () => {
      const w = await converged()
      w.edit({ releaseHistory: 1 })
      for (const [i, d] of ['1', '2', '3'].entries()) w.api.put(release(d, i))
      w.live().status = { ...w.live().status, release: 'shop-2', conditions: [] }
      await w.reconciler.reconcile('sh-acme/shop')
      assert.deepEqual(
        w.api.writes().filter((line) => line.startsWith('DELETE')),
        [`DELETE ${RELEASES}/shop-1`],
      )
    })
  })
})
