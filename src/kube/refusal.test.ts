import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { classifyRefusal, refusalOf, refusedWrite, WriteRefused } from './refusal.js'
import { KubeApiError } from './rest.js'

/** A refusal as KubeRest reports the API server's Status object. */
const status = (code: number, reason: string, message: string) =>
  new KubeApiError(code, reason, `PATCH /api/v1/namespaces/sh-acme/x/y: ${code} ${message}`, {}, message)

const PVC = 'PersistentVolumeClaim data'

describe('classifyRefusal', () => {
  const cases: [string, KubeApiError, ReturnType<typeof classifyRefusal>][] = [
    [
      'a full ResourceQuota is QuotaExceeded with requested, used and limited per resource',
      status(
        403,
        'Forbidden',
        'persistentvolumeclaims "data" is forbidden: exceeded quota: hostplane, requested: requests.storage=10Gi, used: requests.storage=1Gi, limited: requests.storage=5Gi',
      ),
      {
        reason: 'QuotaExceeded',
        object: PVC,
        detail: 'exceeded quota requests.storage: requested 10Gi, used 1Gi, limited 5Gi',
        resources: ['requests.storage'],
      },
    ],
    [
      'a quota exceeded on several resources names each of them',
      status(
        403,
        'Forbidden',
        'persistentvolumeclaims "data" is forbidden: exceeded quota: hostplane, requested: persistentvolumeclaims=1,requests.storage=3Gi, used: persistentvolumeclaims=2,requests.storage=4Gi, limited: persistentvolumeclaims=2,requests.storage=5Gi',
      ),
      {
        reason: 'QuotaExceeded',
        object: PVC,
        detail:
          'exceeded quota persistentvolumeclaims: requested 1, used 2, limited 2; requests.storage: requested 3Gi, used 4Gi, limited 5Gi',
        resources: ['persistentvolumeclaims', 'requests.storage'],
      },
    ],
    [
      'a quota the object cannot satisfy at all (no limits set) is QuotaExceeded too',
      status(
        403,
        'Forbidden',
        'pods "web" is forbidden: failed quota: hostplane: must specify limits.cpu for: web',
      ),
      {
        reason: 'QuotaExceeded',
        object: PVC,
        detail: 'quota: must specify limits.cpu for: web',
        resources: [],
      },
    ],
    [
      'a ValidatingAdmissionPolicy denial is AdmissionDenied, naming the policy',
      status(
        422,
        'Invalid',
        "deployments.apps \"shop\" is forbidden: ValidatingAdmissionPolicy 'hostplane.dev-tier-quota' with binding 'hostplane.dev-tier-quota' denied request: replicas × size exceed the tier",
      ),
      {
        reason: 'AdmissionDenied',
        object: PVC,
        detail: 'denied by hostplane.dev-tier-quota: replicas × size exceed the tier',
        resources: [],
        admission: 'hostplane.dev-tier-quota',
      },
    ],
    [
      'a webhook denial is AdmissionDenied, naming the webhook',
      status(
        400,
        'BadRequest',
        'admission webhook "validate.kyverno.svc" denied the request: images must be signed',
      ),
      {
        reason: 'AdmissionDenied',
        object: PVC,
        detail: 'denied by webhook validate.kyverno.svc: images must be signed',
        resources: [],
        admission: 'validate.kyverno.svc',
      },
    ],
    [
      'an invalid object is ObjectInvalid with the field errors',
      status(
        422,
        'Invalid',
        'PersistentVolumeClaim "data" is invalid: spec.resources[storage]: Invalid value: "0": must be greater than zero',
      ),
      {
        reason: 'ObjectInvalid',
        object: PVC,
        detail: 'invalid: spec.resources[storage]: Invalid value: "0": must be greater than zero',
        resources: [],
      },
    ],
    [
      'a field the schema does not know (strict field validation) is ObjectInvalid',
      status(400, 'BadRequest', '.spec.sizeLimit: field not declared in schema'),
      {
        reason: 'ObjectInvalid',
        object: PVC,
        detail: 'invalid: .spec.sizeLimit: field not declared in schema',
        resources: [],
      },
    ],
    [
      "a write the operator's RBAC does not allow is WriteForbidden",
      status(
        403,
        'Forbidden',
        'persistentvolumeclaims "data" is forbidden: User "system:serviceaccount:hostplane-system:hostplane-operator" cannot patch resource "persistentvolumeclaims" in API group "" in the namespace "sh-acme"',
      ),
      {
        reason: 'WriteForbidden',
        object: PVC,
        detail:
          'forbidden: User "system:serviceaccount:hostplane-system:hostplane-operator" cannot patch resource "persistentvolumeclaims" in API group "" in the namespace "sh-acme"',
        resources: [],
      },
    ],
  ]
  for (const [name, error, expected] of cases)
    it(name, () => assert.deepEqual(classifyRefusal(error, PVC), expected))

  const transient: [string, unknown][] = [
    [
      'a quota whose usage the controller has not counted yet',
      status(
        403,
        'Forbidden',
        'persistentvolumeclaims "data" is forbidden: status unknown for quota: hostplane, resource: requests.storage',
      ),
    ],
    [
      'a namespace being deleted',
      status(
        403,
        'Forbidden',
        'persistentvolumeclaims "data" is forbidden: unable to create new content in namespace sh-acme because it is being terminated',
      ),
    ],
    ['a conflict', status(409, 'Conflict', 'Operation cannot be fulfilled: the object has been modified')],
    ['a server error', status(500, 'InternalError', 'etcdserver: request timed out')],
    ['a connection error', new Error('connect ECONNREFUSED 127.0.0.1:6443')],
  ]
  for (const [name, error] of transient)
    it(`leaves ${name} to the work queue's fast retry`, () =>
      assert.equal(classifyRefusal(error, PVC), undefined))
})

describe('refusedWrite', () => {
  it('wraps a refusal with the object it refused and keeps the API error as cause; other errors pass unchanged', () => {
    const quota = status(
      403,
      'Forbidden',
      'persistentvolumeclaims "data" is forbidden: exceeded quota: hostplane, requested: requests.storage=10Gi, used: requests.storage=0, limited: requests.storage=5Gi',
    )
    const wrapped = refusedWrite(quota, { kind: 'PersistentVolumeClaim', metadata: { name: 'data' } })
    assert.ok(wrapped instanceof WriteRefused)
    assert.equal(wrapped.cause, quota)
    assert.equal(refusalOf(wrapped)?.object, PVC)
    const conflict = status(409, 'Conflict', 'modified')
    assert.equal(
      refusedWrite(conflict, { kind: 'PersistentVolumeClaim', metadata: { name: 'data' } }),
      conflict,
    )
    assert.equal(refusalOf(conflict), undefined)
  })
})
