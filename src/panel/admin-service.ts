/**
 * What a provider admin can do: manage Customers, over the client that impersonates the admin
 * (`hostplane:admin:<subject>` in `hostplane:admins`, whose ClusterRole in deploy/rbac/panel.yaml
 * allows the Customer verbs and reading the audit log), so Kubernetes RBAC decides every request
 * here too. Its changes, acting as a customer included, are recorded in the audit log here, as the
 * customer service records its own. The JSON API and the pages both call this. A Kubernetes error becomes a PanelError by the rule
 * of errors.ts; the API server's validation messages come back as fields.
 */
import type { CustomerSpec } from '../api/customer.js'
import { API_VERSION } from '../api/kind.js'
import type { Customer } from '../api/resources.js'
import type { KubeList } from '../kube/object.js'
import { type KubeRest, resourcePath } from '../kube/rest.js'
import { CONDITION } from '../operator/customer/conditions.js'
import { customerNamespace } from '../operator/customer/names.js'
import { type AuditTrail, readAuditLog } from './audit/audit-log.js'
import type { AuditEntry } from './audit/entry.js'
import { type AuditPage, auditPage, type AuditQuery, selectEntries } from './audit/query.js'
import { kubeCall } from './errors.js'
import type { Identity } from './identity.js'
import type { CustomerView, UpdateCustomer } from './schemas.js'
import { conditionWord } from './status-words.js'

const customersPath = (name?: string) => resourcePath({ apiVersion: API_VERSION, plural: 'customers', name })

/** A Customer as the admin API answers it: its spec, its namespace and its state in words. */
export function customerView(customer: Customer): CustomerView {
  const { metadata, spec, status } = customer
  const conditions = status?.conditions
  const generation = metadata.generation
  return {
    name: metadata.name,
    ...(metadata.creationTimestamp ? { createdAt: metadata.creationTimestamp } : {}),
    resourceVersion: metadata.resourceVersion ?? '',
    namespace: customerNamespace(customer),
    spec,
    status: {
      ready: conditionWord(conditions, CONDITION.Ready, { ok: 'ready', pending: 'setting up' }, generation),
      provisioned: conditionWord(
        conditions,
        CONDITION.Provisioned,
        { ok: 'namespace provisioned', pending: 'provisioning its namespace' },
        generation,
      ),
      suspended: spec.suspended
        ? { state: 'problem', text: 'suspended: every site and webspace is offline' }
        : { state: 'ok', text: 'not suspended' },
    },
  }
}

export class AdminService {
  constructor(
    readonly identity: Identity,
    private readonly rest: KubeRest,
    private readonly audit: AuditTrail,
    private readonly auditNamespace: string,
  ) {}

  private customerChange<T>(
    action: 'customer.create' | 'customer.update' | 'act-as.start' | 'act-as.stop',
    name: string,
    change: () => Promise<T>,
    detail?: Record<string, string>,
  ): Promise<T> {
    return this.audit.record(
      this.identity,
      { action, object: { kind: 'Customer', name }, ...(detail ? { detail } : {}) },
      change,
    )
  }

  async listCustomers(): Promise<CustomerView[]> {
    const list = await kubeCall(false, () => this.rest.request<KubeList<Customer>>('GET', customersPath()))
    return list.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)).map(customerView)
  }

  async getCustomer(name: string): Promise<CustomerView> {
    return customerView(await kubeCall(true, () => this.rest.request<Customer>('GET', customersPath(name))))
  }

  createCustomer(name: string, spec: CustomerSpec): Promise<CustomerView> {
    return this.customerChange('customer.create', name, () => this.create(name, spec), {
      tier: spec.tier,
      size: spec.size,
    })
  }

  private async create(name: string, spec: CustomerSpec): Promise<CustomerView> {
    const created = await kubeCall(false, () =>
      this.rest.request<Customer>('POST', customersPath(), {
        query: { fieldValidation: 'Strict' },
        body: { apiVersion: API_VERSION, kind: 'Customer', metadata: { name }, spec },
      }),
    )
    return customerView(created)
  }

  /** Changes the named fields of the Customer's spec; with `resourceVersion`, only if it is unchanged since. */
  updateCustomer(name: string, update: UpdateCustomer): Promise<CustomerView> {
    const detail = Object.fromEntries(
      Object.entries(update)
        .filter(([field]) => field !== 'resourceVersion')
        .map(([field, value]) => [field, String(value)]),
    )
    return this.customerChange('customer.update', name, () => this.update(name, update), detail)
  }

  private async update(name: string, { resourceVersion, ...change }: UpdateCustomer): Promise<CustomerView> {
    const patched = await kubeCall(true, () =>
      this.rest.request<Customer>('PATCH', customersPath(name), {
        query: { fieldValidation: 'Strict' },
        contentType: 'application/merge-patch+json',
        body: { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), spec: change },
      }),
    )
    return customerView(patched)
  }

  /**
   * Starts acting as `customer`, which must exist (read as the admin): `store` keeps the choice in
   * the session. Recorded with the customer as the object.
   */
  actAs<T>(customer: string, store: () => Promise<T>): Promise<T> {
    return this.customerChange('act-as.start', customer, async () => {
      await this.getCustomer(customer)
      return store()
    })
  }

  /** Stops acting as the identity's customer; recorded naming it, when there was one. */
  stopActing<T>(store: () => Promise<T>): Promise<T> {
    const { actingAs } = this.identity
    return this.audit.record(
      this.identity,
      {
        action: 'act-as.stop',
        ...(actingAs !== undefined ? { object: { kind: 'Customer', name: actingAs } } : {}),
      },
      store,
    )
  }

  /** One page of the audit log, newest first, read as the admin. */
  async auditLog(query: AuditQuery): Promise<AuditPage> {
    return auditPage((await readAuditLog(this.rest, this.auditNamespace)).entries, query)
  }

  /** Every entry the query's filters select, newest first, for an export. */
  async auditEntries(query: AuditQuery): Promise<AuditEntry[]> {
    return selectEntries((await readAuditLog(this.rest, this.auditNamespace)).entries, query)
  }
}
