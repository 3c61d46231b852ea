/**
 * What a provider admin can do: manage Customers, over the client that impersonates the admin
 * (`hostplane:admin:<subject>` in `hostplane:admins`, whose ClusterRole in deploy/rbac/panel.yaml
 * allows the Customer verbs and nothing else), so Kubernetes RBAC decides every request here too.
 * The JSON API and the pages both call this. A Kubernetes error becomes a PanelError by the rule
 * of errors.ts; the API server's validation messages come back as fields.
 */
import type { CustomerSpec } from '../api/customer.js'
import { API_VERSION } from '../api/kind.js'
import type { Customer } from '../api/resources.js'
import type { KubeList } from '../kube/object.js'
import { type KubeRest, resourcePath } from '../kube/rest.js'
import { CONDITION } from '../operator/customer/conditions.js'
import { customerNamespace } from '../operator/customer/names.js'
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
  ) {}

  async listCustomers(): Promise<CustomerView[]> {
    const list = await kubeCall(false, () => this.rest.request<KubeList<Customer>>('GET', customersPath()))
    return list.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)).map(customerView)
  }

  async getCustomer(name: string): Promise<CustomerView> {
    return customerView(await kubeCall(true, () => this.rest.request<Customer>('GET', customersPath(name))))
  }

  async createCustomer(name: string, spec: CustomerSpec): Promise<CustomerView> {
    const created = await kubeCall(false, () =>
      this.rest.request<Customer>('POST', customersPath(), {
        query: { fieldValidation: 'Strict' },
        body: { apiVersion: API_VERSION, kind: 'Customer', metadata: { name }, spec },
      }),
    )
    return customerView(created)
  }

  /** Changes the named fields of the Customer's spec; with `resourceVersion`, only if it is unchanged since. */
  async updateCustomer(name: string, { resourceVersion, ...change }: UpdateCustomer): Promise<CustomerView> {
    const patched = await kubeCall(true, () =>
      this.rest.request<Customer>('PATCH', customersPath(name), {
        query: { fieldValidation: 'Strict' },
        contentType: 'application/merge-patch+json',
        body: { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), spec: change },
      }),
    )
    return customerView(patched)
  }
}
