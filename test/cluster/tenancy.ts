/**
 * The install's tenancy objects on a test cluster, as the profiles in dist/ hold them: the fixed
 * ClusterRoles the operator binds in customer namespaces (deploy/rbac/tenant.yaml and the
 * syncer's `hostplane-syncer-secrets`) and every admission policy of src/admission. Runs share a
 * cluster, so the shared objects are applied by each run (same content, idempotent) and left in
 * place, while the operator guard, which names one operator's ServiceAccount, gets a name of the
 * run and is removed with it.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { OPERATOR_GUARD_NAME } from '../../src/admission/operator-guard.js'
import { API_VERSION } from '../../src/api/kind.js'
import type { Customer } from '../../src/api/resources.js'
import { type AdmissionOptions, renderAdmissionPolicies } from '../../src/admission/policies.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { Manifest } from '../../src/kube/object.js'
import { type KubeRest, resourcePath } from '../../src/kube/rest.js'
import { BOUND_ROLES } from '../../src/operator/customer/names.js'
import { renderCustomer, type TenancyConfig } from '../../src/operator/customer/render.js'
import { REPO_ROOT } from './paths.js'

const clusterRoles = async (file: string, only?: readonly string[]): Promise<Manifest[]> =>
  parseAllDocuments(await readFile(join(REPO_ROOT, file), 'utf8'))
    .map((document) => document.toJS() as Manifest)
    .filter((o) => o.kind === 'ClusterRole' && (!only || only.includes(o.metadata.name)))

/** The policies with the operator guard (policy and binding) renamed for one run. */
const forRun = (policies: readonly Manifest[], run: string): Manifest[] =>
  policies.map((object) => {
    if (object.metadata.name !== OPERATOR_GUARD_NAME) return object
    const name = `${OPERATOR_GUARD_NAME}-${run}`
    const spec =
      object.kind === 'ValidatingAdmissionPolicyBinding'
        ? { ...(object.spec as object), policyName: name }
        : object.spec
    return { ...object, metadata: { ...object.metadata, name }, spec }
  })

/**
 * The configuration tests render a Customer and the policies with when they run no operator.
 * Runs sharing a cluster apply the shared policies with their options, so the pages domain and
 * the issuers are the same as the operator tests' (test/operator/harness.ts): one policy content
 * for every run.
 */
export const TEST_TENANCY = {
  ingressNamespace: 'traefik',
  pagesDomain: 'pages.test',
  defaultIssuer: 'test-issuer',
  tenantClusterIssuers: ['letsencrypt-staging'],
  systemNamespace: 'hostplane-system',
  serviceAccounts: { operator: 'hostplane-operator', syncer: 'hostplane-syncer' },
} as const satisfies AdmissionOptions & TenancyConfig

export interface TenancyObjects {
  /** The run's operator guard: its policy and binding. */
  readonly guard: readonly Manifest[]
  /** Deletes the run's operator guard. */
  remove(): Promise<void>
}

/** Applies the tenancy objects for an operator running as `options.serviceAccounts.operator`. */
export async function applyTenancyObjects(
  admin: KubeRest,
  options: AdmissionOptions,
  run: string,
): Promise<TenancyObjects> {
  const objects = [
    ...(await clusterRoles('deploy/rbac/tenant.yaml')),
    ...(await clusterRoles('deploy/rbac/syncer.yaml', [BOUND_ROLES.syncerSecrets])),
    ...forRun(renderAdmissionPolicies(options), run),
  ]
  for (const object of objects)
    await admin.apply(manifestPath(object), object, { fieldManager: 'hostplane-test' })
  const guard = objects.filter((o) => o.metadata.name.startsWith(`${OPERATOR_GUARD_NAME}-`))
  return {
    guard,
    async remove() {
      for (const object of guard) await admin.request('DELETE', manifestPath(object)).catch(() => {})
    },
  }
}

/** A small shared-tier Customer that may claim `<name>.example`, as most tenancy tests need one. */
export const sharedCustomer = (name: string): Customer => ({
  apiVersion: API_VERSION,
  kind: 'Customer',
  metadata: { name },
  spec: {
    displayName: name,
    email: `ops@${name}.example`,
    tier: 'shared',
    size: 'small',
    domains: [`${name}.example`],
    suspended: false,
  },
})

/**
 * Creates each Customer and applies what the operator renders for it (namespace, quota, RBAC),
 * as tenancy tests that run no operator need; each Customer gets its UID, which its objects own.
 */
export async function createCustomers(admin: KubeRest, customers: readonly Customer[]): Promise<void> {
  for (const customer of customers) {
    const created = await admin.request<Customer>(
      'POST',
      resourcePath({ apiVersion: API_VERSION, plural: 'customers' }),
      { body: customer },
    )
    customer.metadata.uid = created.metadata.uid
    for (const object of renderCustomer(customer, TEST_TENANCY))
      await admin.apply(manifestPath(object), object, { fieldManager: 'hostplane' })
  }
}
