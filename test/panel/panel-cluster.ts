/**
 * What a panel test needs on the shared test cluster: the tenancy objects, deploy/rbac/panel.yaml
 * renamed for the run (panel-rbac.ts), the run's customers, and a token of the panel's
 * ServiceAccount; `remove` takes it all away again, as far as it got.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { API_VERSION } from '../../src/api/kind.js'
import type { Customer } from '../../src/api/resources.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { Manifest } from '../../src/kube/object.js'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import type { TestCluster } from '../cluster/cluster.js'
import {
  applyTenancyObjects,
  createCustomers,
  TEST_TENANCY,
  type TenancyObjects,
} from '../cluster/tenancy.js'
import { silentLogger } from '../../src/ops/log.js'
import { type PanelProcess, startPanel } from '../../src/panel/panel-service.js'
import { type TestProvider, testSignInOptions } from './oidc-fixture.js'
import { panelRbac } from './panel-rbac.js'

export interface PanelCluster {
  /** The cluster's admin, for arranging and checking objects behind the panel's back. */
  readonly admin: KubeRest
  /** The panel's ServiceAccount, which may only impersonate. */
  readonly kubeConfig: KubeConfig
  /** The run's `--token-namespace`. */
  readonly tokenNamespace: string
  /** The run's `--audit-namespace`. */
  readonly auditNamespace: string
  remove(): Promise<void>
}

export async function panelCluster(
  cluster: TestCluster,
  id: string,
  customers: readonly Customer[],
): Promise<PanelCluster> {
  const admin = new KubeRest(cluster.kubeConfig())
  let tenancy: TenancyObjects | undefined
  let rbac: Manifest[] = []
  const remove = async () => {
    for (const customer of customers)
      await admin
        .request(
          'DELETE',
          resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: customer.metadata.name }),
        )
        .catch(() => {})
    for (const object of [...rbac].reverse())
      await admin.request('DELETE', manifestPath(object)).catch(() => {})
    await admin.request('DELETE', `/api/v1/namespaces/hp-panel-${id}`).catch(() => {})
    await tenancy?.remove()
    admin.close()
  }
  try {
    tenancy = await applyTenancyObjects(admin, TEST_TENANCY, id)
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: `hp-panel-${id}` } } })
    rbac = await panelRbac(id)
    for (const object of rbac)
      await admin.apply(manifestPath(object), object, { fieldManager: 'hostplane-test' })
    await createCustomers(admin, customers)
    const { kubeConfig } = await cluster.serviceAccountKubeConfig(`hp-panel-${id}`, `hostplane-panel-${id}`)
    return {
      admin,
      kubeConfig,
      tokenNamespace: `hp-panel-tokens-${id}`,
      auditNamespace: `hp-panel-audit-${id}`,
      remove,
    }
  } catch (error) {
    await remove()
    throw error
  }
}

export interface SignedInPanelOptions {
  /** The loopback port: the provider's client redirects to it, so a restart keeps it. */
  readonly port: number
  readonly audit?: { readonly maxSegments?: number; readonly segmentBytes?: number }
  readonly clock?: () => number
  /** Failed token attempts an address may make per minute (a fuzzer makes many on purpose). */
  readonly failedSignIns?: { readonly perMinute: number }
}

/**
 * `hostplane panel` in-process as the run's ServiceAccount, with the run's namespaces and sign-in
 * at `provider` (whose client the caller starts once, with the same URL).
 */
export const startSignedInPanel = (
  setup: PanelCluster,
  provider: TestProvider,
  { port, audit = {}, clock, failedSignIns }: SignedInPanelOptions,
): Promise<PanelProcess> =>
  startPanel({
    kubeConfig: setup.kubeConfig,
    log: silentLogger(),
    listen: { host: '127.0.0.1', port },
    opsListen: { host: '127.0.0.1', port: 0 },
    tokenNamespace: setup.tokenNamespace,
    audit: { namespace: setup.auditNamespace, ...audit },
    signIn: { ...testSignInOptions(provider, `http://127.0.0.1:${port}`), ...(clock ? { clock } : {}) },
    ...(failedSignIns ? { failedSignIns } : {}),
  })
