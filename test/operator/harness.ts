/**
 * What the operator tests and the benchmark share: a system namespace with the operator's RBAC
 * (deploy/rbac/operator.yaml, renamed per run) bound to its own ServiceAccount, the install's
 * tenancy objects (fixed ClusterRoles, admission policies with an operator guard for this run's
 * ServiceAccount), tenant namespaces, StaticSite helpers, and waits on conditions. The operator always runs with the
 * ServiceAccount's token, so a verb missing from the manifest fails the test that needs it.
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { KubeConfig } from '@kubernetes/client-node'
import { parse } from 'yaml'
import type { Condition } from '../../src/api/conditions.js'
import type { CustomerSpec } from '../../src/api/customer.js'
import type { Customer, Runtime, Webspace } from '../../src/api/resources.js'
import type { WebspaceSpec } from '../../src/api/webspace.js'
import type { StaticSiteSpec } from '../../src/api/staticsite.js'
import { API_WRITES_METRIC } from '../../src/kube/api-writes.js'
import { findCondition } from '../../src/kube/conditions.js'
import type { KubeList, KubeObject } from '../../src/kube/object.js'
import type { KubeRest } from '../../src/kube/rest.js'
import { isNotFound, KubeApiError, resourcePath } from '../../src/kube/rest.js'
import { silentLogger } from '../../src/ops/log.js'
import { BOUND_ROLES, customerNamespace } from '../../src/operator/customer/names.js'
import { CUSTOMERS } from '../../src/operator/customer/owned.js'
import { Operator, type OperatorOptions } from '../../src/operator/operator.js'
import type { OperatorConfig } from '../../src/operator/config.js'
import { config } from '../../src/operator/staticsite/fixtures.js'
import { GENERATED, type GeneratedKind } from '../../src/operator/staticsite/generated.js'
import { type StaticSite, STATICSITES } from '../../src/operator/staticsite/site.js'
import { RUNTIMES, WEBSPACE_OWNED, WEBSPACES } from '../../src/operator/webspace/owned.js'
import type { Deployment } from '../../src/operator/webspace/plan.js'
import type { TestCluster } from '../cluster/cluster.js'
import { applyManifest } from '../cluster/manifest.js'
import { applyTenancyObjects, sharedCustomer, type TenancyObjects } from '../cluster/tenancy.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'

export const SELECTOR_LABEL = 'hostplane.dev/test-run'
const RBAC_FILE = 'deploy/rbac/operator.yaml'

export type SiteSpec = Partial<StaticSiteSpec>

interface Pod extends KubeObject {
  spec: { containers: { name: string; image: string }[] }
  status?: { conditions?: { type: string; status: string }[] }
}

/** The image of a Webspace Deployment's app container. */
export const appImage = (d: Deployment) =>
  d.spec?.template?.spec?.containers?.find((c) => c.name === 'app')?.image

interface RecordedEvent {
  readonly regarding: { readonly kind: string; readonly name: string }
  readonly reason: string
  readonly eventTime: string
}

/** The site reports Routed=True for its current generation. */
export const isRouted = (site: StaticSite): boolean =>
  site.status?.observedGeneration === site.metadata.generation &&
  findCondition(site.status?.conditions, 'Routed')?.status === 'True'

export class OperatorEnv {
  readonly tag = randomBytes(3).toString('hex')
  readonly systemNamespace: string
  readonly selector: string
  /** The labels `selector` matches: the objects of this run (Customers, sites) carry them. */
  readonly labels: Readonly<Record<string, string>>
  private readonly tenants = new Set<string>()
  private readonly customers = new Set<string>()
  private readonly runtimes = new Set<string>()
  private operatorKubeConfig: { kubeConfig: KubeConfig; path: string } | undefined
  private tenancy: TenancyObjects | undefined

  constructor(
    readonly cluster: TestCluster,
    readonly admin: KubeRest,
    readonly name: string,
  ) {
    this.systemNamespace = `t-${name}-sys-${this.tag}`
    this.labels = { [SELECTOR_LABEL]: `${name}-${this.tag}` }
    this.selector = `${SELECTOR_LABEL}=${name}-${this.tag}`
  }

  get config(): OperatorConfig {
    return config({
      systemNamespace: this.systemNamespace,
      defaultIssuer: 'test-issuer',
      serviceAccounts: { operator: this.operatorAccount, syncer: 'hostplane-syncer' },
    })
  }

  /** The operator's ServiceAccount (in the system namespace). */
  get operatorAccount(): string {
    return `hostplane-operator-${this.tag}`
  }

  get kubeconfigPath(): string {
    if (!this.operatorKubeConfig) throw new Error('call setUp() first')
    return this.operatorKubeConfig.path
  }

  /**
   * Creates the system namespace, applies the operator RBAC bound to a ServiceAccount there and
   * the install's tenancy objects for that ServiceAccount.
   */
  async setUp(): Promise<void> {
    await this.createNamespace(this.systemNamespace)
    await applyManifest(this.admin, RBAC_FILE, {
      'namespace: hostplane-system': `namespace: ${this.systemNamespace}`,
      'name: hostplane-operator': `name: ${this.operatorAccount}`,
    })
    this.tenancy = await applyTenancyObjects(this.admin, this.config, this.tag)
    this.operatorKubeConfig = await this.cluster.serviceAccountKubeConfig(
      this.systemNamespace,
      this.operatorAccount,
    )
  }

  /** The operator's own client, authenticated as its ServiceAccount. */
  get operatorKube(): KubeConfig {
    if (!this.operatorKubeConfig) throw new Error('call setUp() first')
    return this.operatorKubeConfig.kubeConfig
  }

  /** An operator in this process, authenticated as its ServiceAccount. */
  startOperator(options: Partial<OperatorOptions> = {}): Promise<Operator> {
    if (!this.operatorKubeConfig) throw new Error('call setUp() first')
    return Operator.start({
      kubeConfig: this.operatorKubeConfig.kubeConfig,
      config: this.config,
      log: silentLogger(),
      siteSelector: this.selector,
      customerSelector: this.selector,
      ...options,
    })
  }

  /**
   * Binds the install's ClusterRole hostplane-operator-tls-secrets to the operator in a namespace
   * outside customers, as a platform admin does for its own sites (customer namespaces get it
   * from the Customer operator).
   */
  async grantTlsSecretReads(namespace: string): Promise<void> {
    const name = BOUND_ROLES.operatorTlsSecrets
    await this.admin.request(
      'POST',
      resourcePath({ apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespace }),
      {
        body: {
          metadata: { name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
          subjects: [{ kind: 'ServiceAccount', name: this.operatorAccount, namespace: this.systemNamespace }],
        },
      },
    )
  }

  async createNamespace(name: string): Promise<string> {
    await this.admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name } } })
    if (name !== this.systemNamespace) this.tenants.add(name)
    return name
  }

  customerPath(name?: string) {
    return resourcePath({ ...CUSTOMERS, name })
  }

  /** A Customer labelled for this run's operator: shared/small with a domain of its own. */
  createCustomer(name: string, spec: Partial<CustomerSpec> = {}): Promise<Customer> {
    this.customers.add(name)
    this.tenants.add(customerNamespace({ metadata: { name }, spec: { tier: spec.tier ?? 'shared' } }))
    const shared = sharedCustomer(name)
    return this.admin.request<Customer>('POST', this.customerPath(), {
      body: { ...shared, metadata: { name, labels: this.labels }, spec: { ...shared.spec, ...spec } },
    })
  }

  updateCustomer(name: string, spec: Partial<CustomerSpec>): Promise<Customer> {
    return this.admin.request<Customer>('PATCH', this.customerPath(name), {
      body: { spec },
      contentType: 'application/merge-patch+json',
    })
  }

  getCustomer(name: string): Promise<Customer | undefined> {
    return this.admin.request<Customer>('GET', this.customerPath(name)).catch((error: unknown) => {
      if (isNotFound(error)) return undefined
      throw error
    })
  }

  /** Waits until the customer's condition has this status and reason for its current generation. */
  waitForCustomer(
    name: string,
    type: string,
    status: Condition['status'],
    reason: string,
  ): Promise<Customer> {
    return this.waitUntil(`customer ${name}: ${type} is ${status}/${reason}`, async () => {
      const customer = await this.getCustomer(name)
      const condition = findCondition(customer?.status?.conditions, type)
      const current = customer?.status?.observedGeneration === customer?.metadata.generation
      return current && condition?.status === status && condition.reason === reason ? customer : undefined
    })
  }

  /** A copy of the built-in static Runtime under a name of this run; returns the name. */
  async createRuntime(): Promise<string> {
    const builtIn = parse(await readFile(join(REPO_ROOT, 'deploy/runtimes/static.yaml'), 'utf8')) as Runtime
    const name = `static-${this.tag}`
    await this.admin.request('POST', resourcePath(RUNTIMES), { body: { ...builtIn, metadata: { name } } })
    this.runtimes.add(name)
    return name
  }

  webspacePath(namespace: string, name?: string) {
    return resourcePath({ ...WEBSPACES, namespace, name })
  }

  createWebspace(namespace: string, name: string, spec: Partial<WebspaceSpec> & { runtime: string }) {
    return this.admin.request<Webspace>('POST', this.webspacePath(namespace), {
      body: { apiVersion: WEBSPACES.apiVersion, kind: WEBSPACES.kind, metadata: { name }, spec },
    })
  }

  /** Waits until the webspace's status is for its current generation and `check` holds. */
  waitForWebspace(namespace: string, name: string, what: string, check: (w: Webspace) => boolean) {
    return this.waitUntil(`${namespace}/${name}: ${what}`, async () => {
      const webspace = await this.admin.request<Webspace>('GET', this.webspacePath(namespace, name))
      const current = webspace.status?.observedGeneration === webspace.metadata.generation
      return current && check(webspace) ? webspace : undefined
    })
  }

  webspaceDeployment(namespace: string, name: string): Promise<Deployment> {
    return this.admin.request<Deployment>(
      'GET',
      resourcePath({ apiVersion: 'apps/v1', plural: 'deployments', namespace, name }),
    )
  }

  /**
   * The kubelet's part, as no kubelet runs: every Pod of the Webspace running `image` reports
   * Ready, until its Deployment runs `image` and completed the rollout.
   */
  podsReady(namespace: string, webspace: string, image: string, timeoutMs = 20_000): Promise<Deployment> {
    const pods = resourcePath({ apiVersion: 'v1', plural: 'pods', namespace })
    return this.waitUntil(
      `${webspace}: pods of ${image} Ready and the Deployment complete`,
      async () => {
        const list = await this.admin.request<KubeList<Pod>>('GET', pods, {
          query: { labelSelector: `hostplane.dev/webspace=${webspace}` },
        })
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
        for (const pod of list.items) {
          if (pod.spec.containers[0]?.image !== image) continue
          if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue
          await this.admin.request('PATCH', `${pods}/${pod.metadata.name}/status`, {
            body: {
              status: {
                phase: 'Running',
                conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
                  type,
                  status: 'True',
                  lastTransitionTime: now,
                })),
              },
            },
            contentType: 'application/merge-patch+json',
          })
        }
        const live = await this.webspaceDeployment(namespace, webspace)
        const progressing = live.status?.conditions?.find((c) => c.type === 'Progressing')
        return appImage(live) === image && progressing?.reason === 'NewReplicaSetAvailable' ? live : undefined
      },
      timeoutMs,
    )
  }

  /** The first Event of the namespace with this reason, as kubectl describe shows it. */
  async event(namespace: string, reason: string): Promise<{ type: string; note: string } | undefined> {
    const events = await this.admin.request<
      KubeList<KubeObject & { reason: string; type: string; note: string }>
    >('GET', resourcePath({ apiVersion: 'events.k8s.io/v1', plural: 'events', namespace }))
    return events.items.find((e) => e.reason === reason)
  }

  /** The reasons of the Events about one object (Customers' Events are in `default`), oldest first. */
  async eventReasons(kind: string, name: string, namespace = 'default'): Promise<string[]> {
    const list = await this.admin.request<KubeList<KubeObject & RecordedEvent>>(
      'GET',
      resourcePath({ apiVersion: 'events.k8s.io/v1', plural: 'events', namespace }),
    )
    return list.items
      .filter((e) => e.regarding.kind === kind && e.regarding.name === name)
      .sort((a, b) => a.eventTime.localeCompare(b.eventTime))
      .map((e) => e.reason)
  }

  sitePath(namespace: string, name?: string, subresource?: string) {
    return resourcePath({ ...STATICSITES, namespace, name, subresource })
  }

  createSite(namespace: string, name: string, spec: SiteSpec = {}): Promise<StaticSite> {
    return this.admin.request<StaticSite>('POST', this.sitePath(namespace), {
      body: {
        apiVersion: STATICSITES.apiVersion,
        kind: STATICSITES.kind,
        metadata: { name, namespace, labels: this.labels },
        spec: { repo: `https://git.example.com/${name}.git`, ...spec },
      },
    })
  }

  /** Merge-patches the spec (null removes a field). */
  updateSite(namespace: string, name: string, spec: Record<string, unknown>): Promise<StaticSite> {
    return this.admin.request<StaticSite>('PATCH', this.sitePath(namespace, name), {
      body: { spec },
      contentType: 'application/merge-patch+json',
    })
  }

  deleteSite(namespace: string, name: string): Promise<unknown> {
    return this.admin.request('DELETE', this.sitePath(namespace, name))
  }

  getSite(namespace: string, name: string): Promise<StaticSite | undefined> {
    return this.admin.request<StaticSite>('GET', this.sitePath(namespace, name)).catch((error: unknown) => {
      if (isNotFound(error)) return undefined
      throw error
    })
  }

  /** How many sites of the namespace report Routed=True for their current generation. */
  async routedCount(namespace: string): Promise<number> {
    const list = await this.admin.request<KubeList<StaticSite>>('GET', this.sitePath(namespace))
    return list.items.filter(isRouted).length
  }

  /** How many IngressRoutes and Certificates the namespace's webspaces have: 0 when none is routed. */
  async webspaceRoutes(namespace: string): Promise<number> {
    let count = 0
    for (const kind of [WEBSPACE_OWNED.IngressRoute, WEBSPACE_OWNED.Certificate]) {
      const list = await this.admin.request<KubeList<KubeObject>>('GET', resourcePath({ ...kind, namespace }))
      count += list.items.length
    }
    return count
  }

  /** Generated objects of one kind in the system namespace, optionally for one site key. */
  async generated(kind: GeneratedKind, siteKey?: string): Promise<KubeObject[]> {
    const list = await this.admin.request<KubeList<KubeObject>>(
      'GET',
      resourcePath({ ...GENERATED[kind], namespace: this.systemNamespace }),
      { query: { labelSelector: siteKey ? `hostplane.dev/site=${siteKey}` : undefined } },
    )
    return list.items
  }

  async getGenerated<T extends KubeObject>(kind: GeneratedKind, name: string): Promise<T | undefined> {
    return this.admin
      .request<T>('GET', resourcePath({ ...GENERATED[kind], namespace: this.systemNamespace, name }))
      .catch((error: unknown) => {
        if (isNotFound(error)) return undefined
        throw error
      })
  }

  /** Waits until the site's condition has this status (and reason, when given); returns the site. */
  waitForCondition(
    namespace: string,
    name: string,
    type: string,
    status: Condition['status'],
    reason?: string,
    timeoutMs = 20_000,
  ): Promise<StaticSite> {
    let last: Condition | undefined
    return this.waitUntil(
      `${namespace}/${name}: ${type} is ${status}${reason ? `/${reason}` : ''}`,
      async () => {
        const site = await this.getSite(namespace, name)
        last = findCondition(site?.status?.conditions, type)
        const current = site?.status?.observedGeneration === site?.metadata.generation
        return current && last?.status === status && (!reason || last.reason === reason) ? site : undefined
      },
      timeoutMs,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; last: ${JSON.stringify(last)}`)
    })
  }

  /** Polls `check`; a 429 or 5xx answer (a busy or restarting API server) counts as "not yet". */
  waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
    const patient = () =>
      check().catch((error: unknown) => {
        if (error instanceof KubeApiError && (error.status === 429 || error.status >= 500)) return undefined
        throw error
      })
    return waitFor(patient, { timeoutMs, intervalMs: 200, describe: () => `${what} within ${timeoutMs} ms` })
  }

  /** Removes every namespace and binding of this run; finalizers are dropped so nothing waits on an operator. */
  async tearDown(): Promise<void> {
    for (const name of this.customers) {
      await this.admin
        .request('PATCH', this.customerPath(name), {
          body: { metadata: { finalizers: null } },
          contentType: 'application/merge-patch+json',
        })
        .catch(() => {})
      await this.admin.request('DELETE', this.customerPath(name)).catch(() => {})
    }
    for (const namespace of this.tenants) {
      const list = await this.admin
        .request<KubeList<StaticSite>>('GET', this.sitePath(namespace))
        .catch(() => ({ items: [] as StaticSite[] }))
      await Promise.all(
        list.items.map((site) =>
          this.admin
            .request('PATCH', this.sitePath(namespace, site.metadata.name), {
              body: { metadata: { finalizers: null } },
              contentType: 'application/merge-patch+json',
            })
            .catch(() => {}),
        ),
      )
    }
    for (const namespace of [...this.tenants, this.systemNamespace])
      await this.admin.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => {})
    for (const name of this.runtimes)
      await this.admin.request('DELETE', resourcePath({ ...RUNTIMES, name })).catch(() => {})
    for (const plural of ['clusterroles', 'clusterrolebindings'])
      await this.admin
        .request('DELETE', `/apis/rbac.authorization.k8s.io/v1/${plural}/${this.operatorAccount}`)
        .catch(() => {})
    await this.tenancy?.remove()
  }
}

/** The sum of `hostplane_api_writes_total`, optionally without lease renewals. */
export async function apiWrites(operator: Operator, { leases = false } = {}): Promise<number> {
  const metric = operator.registry.getSingleMetric(API_WRITES_METRIC)
  if (!metric) return 0
  const { values } = await metric.get()
  return values.filter((v) => leases || v.labels.resource !== 'leases').reduce((sum, v) => sum + v.value, 0)
}
