/**
 * The kinds a Customer owns (as renderCustomer renders them) and how to find them: every owned
 * object carries the `hostplane.dev/customer` label, so one label-selected informer per kind
 * holds all of them.
 */
import { API_VERSION } from '../../api/kind.js'
import type { Customer } from '../../api/resources.js'
import type { ObjectRef } from '../../kube/apply.js'
import { CUSTOMER_LABEL, MANAGED_BY } from './names.js'

export const CUSTOMERS = { apiVersion: API_VERSION, kind: 'Customer', plural: 'customers' } as const

export const OWNED = {
  Namespace: { apiVersion: 'v1', plural: 'namespaces' },
  ResourceQuota: { apiVersion: 'v1', plural: 'resourcequotas' },
  LimitRange: { apiVersion: 'v1', plural: 'limitranges' },
  NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', plural: 'networkpolicies' },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'rolebindings' },
  ClusterRole: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'clusterroles' },
  ClusterRoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'clusterrolebindings' },
  /** Watched only to remove the legacy tenant Role (legacy.ts); renderCustomer renders none. */
  Role: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'roles' },
} as const

export const OWNED_KINDS = Object.values(OWNED)

/** Selects every object any Customer owns. */
export const OWNED_SELECTOR = `${Object.entries(MANAGED_BY)
  .map(([k, v]) => `${k}=${v}`)
  .join(',')},${CUSTOMER_LABEL}`

export const customerRef = (customer: Customer): ObjectRef => ({ ...CUSTOMERS, name: customer.metadata.name })
