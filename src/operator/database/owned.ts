/**
 * The kinds of the Database controller and what a Database owns in its namespace: the Secret
 * with the connection details and, when its server says where it is, the NetworkPolicy that lets
 * the namespace reach it. Both are named `<database>-database`, labelled with the Database and
 * owned by it, so the garbage collector removes them with it.
 */
import { API_VERSION } from '../../api/kind.js'
import type { KubeObject } from '../../kube/object.js'

export const DATABASES = { apiVersion: API_VERSION, kind: 'Database', plural: 'databases' } as const
export const DATABASE_SERVERS = {
  apiVersion: API_VERSION,
  kind: 'DatabaseServer',
  plural: 'databaseservers',
} as const
export const NETWORK_POLICIES = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
} as const

export const DATABASE_LABEL = 'hostplane.dev/database'
/** The type of the connection Secret: the operator guard lets the operator write no other Secret of a tenant's by this name. */
export const DATABASE_SECRET_TYPE = 'hostplane.dev/database'

export const ownedName = (database: string) => `${database}-database`

/** The `namespace/name` key of the Database an owned object belongs to, by its name. */
export const databaseOf = (object: KubeObject): string | undefined => {
  const { name, namespace, labels } = object.metadata
  const owner = name.replace(/-database$/, '')
  return namespace && labels?.[DATABASE_LABEL] === owner ? `${namespace}/${owner}` : undefined
}
