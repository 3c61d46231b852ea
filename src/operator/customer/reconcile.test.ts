import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Customer } from '../../api/resources.js'
import { Applier } from '../../kube/apply.js'
import type { KubeObject } from '../../kube/object.js'
import { findCondition } from '../../kube/conditions.js'
import { RefusalBackoff } from '../../kube/refusal-backoff.js'
import { KubeApiError } from '../../kube/rest.js'
import { WriteRecorder } from '../../kube/write-recorder.js'
import { FINALIZER } from './conditions.js'
import { customer } from './fixtures.js'
import { CUSTOMER_LABEL } from './names.js'
import { CustomerReconciler } from './reconcile.js'

const CUSTOMER = '/apis/hostplane.dev/v1alpha1/customers/acme'
const NS = '/api/v1/namespaces/sh-acme'
const RBAC = '/apis/rbac.authorization.k8s.io/v1'
const TENANT_OBJECTS = [
  `APPLY ${NS}`,
  `APPLY ${RBAC}/clusterroles/hostplane-customer-acme`,
  `APPLY ${NS}/resourcequotas/hostplane-quota`,
  `APPLY ${NS}/limitranges/hostplane-limits`,
  `APPLY /apis/networking.k8s.io/v1/namespaces/sh-acme/networkpolicies/hostplane-isolation`,
  `APPLY /apis/networking.k8s.io/v1/namespaces/sh-acme/networkpolicies/hostplane-backup-egress`,
  `APPLY ${RBAC}/namespaces/sh-acme/rolebindings/hostplane-tenant`,
  `APPLY ${RBAC}/namespaces/sh-acme/rolebindings/hostplane-operator-tls-secrets`,
  `APPLY ${RBAC}/namespaces/sh-acme/rolebindings/hostplane-syncer-secrets`,
  `APPLY ${RBAC}/clusterrolebindings/hostplane-customer-acme`,
]

const CONFIG = {
  ingressNamespace: 'traefik',
  systemNamespace: 'hostplane-system',
  serviceAccounts: { operator: 'hostplane-operator', syncer: 'hostplane-syncer' },
}

/** One Customer on a recording API; `events()` drains the Event reasons recorded. */
function world(spec: Partial<Customer['spec']> = {}) {
  const initial = customer(spec)
  initial.metadata = { ...initial.metadata, generation: 1, resourceVersion: '7', finalizers: [FINALIZER] }
  const api = new WriteRecorder(initial)
  const recorded: string[] = []
  const retries: number[] = []
  const reconciler = new CustomerReconciler({
    cache: {
      customer: (name) => api.get<Customer>({ ...initial, metadata: { name } }),
      owned: (name) => api.list((o) => o.metadata.labels?.[CUSTOMER_LABEL] === name),
      customers: () => [api.get<Customer>(initial) as Customer],
    },
    applier: new Applier(api, () => {}),
    events: { record: async (_object, event) => void recorded.push(event.reason) },
    config: CONFIG,
    backoff: new RefusalBackoff({ now: () => 0, retry: (_key, afterMs) => retries.push(afterMs) }),
    clock: () => new Date('2026-03-01T12:00:00Z'),
  })
  const live = () => api.get<Customer>(initial) as Customer
  /** Changes the spec as a user's edit would: a new generation. */
  const edit = (change: Partial<Customer['spec']>) => {
    const current = live()
    current.spec = { ...current.spec, ...change }
    current.metadata.generation = (current.metadata.generation ?? 1) + 1
  }
  return { api, reconciler, live, edit, retries, events: () => recorded.splice(0) }
}

describe('CustomerReconciler', () => {
  it('adds its finalizer first, with the resourceVersion for optimistic concurrency', async () => {
    const w = world()
    w.live().metadata.finalizers = []
    assert.equal(await w.reconciler.reconcile('acme'), 'finalizer-added')
    assert.deepEqual(w.api.writes(), [`PATCH ${CUSTOMER}`])
    assert.deepEqual(w.live().metadata.finalizers, [FINALIZER])
  })

  it('creates the namespace and every tenant object, then the status, with a NamespaceCreated Event; a second pass writes nothing', async () => {
    const w = world()
    assert.equal(await w.reconciler.reconcile('acme'), 'applied')
    assert.deepEqual(w.api.writes(), [...TENANT_OBJECTS, `APPLY ${CUSTOMER}/status`])
    assert.deepEqual(w.events(), ['NamespaceCreated'])
    assert.equal(w.live().status?.namespace, 'sh-acme')

    assert.equal(await w.reconciler.reconcile('acme'), 'none')
    assert.deepEqual(w.api.writes(), [], 'nothing changed: nothing written')
    assert.deepEqual(w.events(), [])
  })

  it('a size change patches only the quota and the default limits, then the status', async () => {
    const w = world()
    await w.reconciler.reconcile('acme')
    w.api.writes()
    w.events()
    w.edit({ size: 'medium' })
    await w.reconciler.reconcile('acme')
    assert.deepEqual(w.api.writes(), [
      `APPLY ${NS}/resourcequotas/hostplane-quota`,
      `APPLY ${NS}/limitranges/hostplane-limits`,
      `APPLY ${CUSTOMER}/status`,
    ])
    assert.deepEqual(w.events(), [])
  })

  it('shared → dedicated keeps the namespace, relabels every object with the tier and applies the larger quota and limits', async () => {
    const w = world({ size: 'large' })
    await w.reconciler.reconcile('acme')
    w.api.writes()
    w.edit({ tier: 'dedicated' })
    await w.reconciler.reconcile('acme')
    // The tier label is on every object, so each is applied once; the namespace name stays.
    assert.deepEqual(w.api.writes(), [...TENANT_OBJECTS, `APPLY ${CUSTOMER}/status`])
    const quota = w.api.get<KubeObject & { spec: { hard: Record<string, string> } }>({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'hostplane-quota', namespace: 'sh-acme' },
    })
    assert.equal(quota?.spec.hard.pods, '50')
    assert.equal(w.live().status?.namespace, 'sh-acme')
  })

  it('suspending writes only the status and records CustomerSuspended; resuming records Active', async () => {
    const w = world()
    await w.reconciler.reconcile('acme')
    w.api.writes()
    w.events()
    w.edit({ suspended: true })
    assert.equal(await w.reconciler.reconcile('acme'), 'applied')
    assert.deepEqual(w.api.writes(), [`APPLY ${CUSTOMER}/status`])
    assert.deepEqual(w.events(), ['CustomerSuspended'])
    w.edit({ suspended: false })
    await w.reconciler.reconcile('acme')
    assert.deepEqual(w.events(), ['Active'])
  })

  it('deletes the tenant Role and its RoleBinding that operators before issue 19 created, then applies the bindings to the install’s ClusterRoles', async () => {
    const w = world()
    const legacy = { namespace: 'sh-acme', labels: { [CUSTOMER_LABEL]: 'acme' } }
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'hostplane-tenant', ...legacy },
    }
    w.api.put(role)
    w.api.put({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'hostplane-tenant', ...legacy },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'hostplane-tenant' },
    } as KubeObject)
    assert.equal(await w.reconciler.reconcile('acme'), 'legacy-removed')
    assert.deepEqual(w.api.writes().sort(), [
      `DELETE ${RBAC}/namespaces/sh-acme/rolebindings/hostplane-tenant`,
      `DELETE ${RBAC}/namespaces/sh-acme/roles/hostplane-tenant`,
    ])
    assert.equal(await w.reconciler.reconcile('acme'), 'applied')
    assert.deepEqual(w.api.writes(), [...TENANT_OBJECTS, `APPLY ${CUSTOMER}/status`])
    assert.equal(await w.reconciler.reconcile('acme'), 'none')
  })

  it('on delete reports Deleting, deletes what it owns, waits for the namespace to go, then drops the finalizer, with an Event per step', async () => {
    const w = world()
    await w.reconciler.reconcile('acme')
    w.api.writes()
    w.events()
    w.live().metadata.deletionTimestamp = '2026-03-01T12:00:00Z'
    assert.equal(await w.reconciler.reconcile('acme'), 'status')
    assert.deepEqual(w.api.writes(), [`APPLY ${CUSTOMER}/status`])
    assert.deepEqual(w.events(), ['Deleting'])
    assert.equal(await w.reconciler.reconcile('acme'), 'cleanup')
    assert.deepEqual(
      w.api.writes(),
      TENANT_OBJECTS.map((line) => line.replace('APPLY', 'DELETE')),
    )
    assert.deepEqual(w.events(), ['DeletingNamespace'])
    assert.equal(await w.reconciler.reconcile('acme'), 'finalizer-removed')
    assert.deepEqual(w.api.writes(), [`PATCH ${CUSTOMER}`])
    assert.deepEqual(w.events(), ['Deleted'])
  })

  it('a tenant object an admission policy denies: Provisioned and Ready say so, one Event, and the retry waits', async () => {
    const w = world()
    w.api.refuse(
      `${RBAC}/namespaces/sh-acme/rolebindings/hostplane-tenant`,
      new KubeApiError(
        422,
        'Invalid',
        'PATCH …',
        {},
        `rolebindings.rbac.authorization.k8s.io "hostplane-tenant" is forbidden: ValidatingAdmissionPolicy 'platform.example' with binding 'platform.example' denied request: no bindings here`,
      ),
    )
    assert.equal(await w.reconciler.reconcile('acme'), 'applied')
    assert.deepEqual(w.events(), ['NamespaceCreated', 'AdmissionDenied'])
    const provisioned = findCondition(w.live().status?.conditions, 'Provisioned')
    assert.deepEqual(
      [provisioned?.status, provisioned?.reason, provisioned?.message],
      [
        'False',
        'AdmissionDenied',
        'RoleBinding hostplane-tenant: denied by platform.example: no bindings here — change the customer as the message says',
      ],
    )
    assert.equal(findCondition(w.live().status?.conditions, 'Ready')?.reason, 'AdmissionDenied')
    assert.equal(w.retries.length, 1)
    w.api.writes()
    assert.equal(await w.reconciler.reconcile('acme'), 'refused')
    assert.deepEqual(w.api.writes(), [], 'held until the retry is due: nothing sent')
    assert.deepEqual(w.events(), [])
  })
})
