/**
 * Every condition type and reason the Customer reconciler writes, in one place. The same reason
 * goes to the condition and to the Event; docs/tenancy.md explains each one.
 */
export const CONDITION = {
  /** The namespace and everything in it are applied as rendered. */
  Provisioned: 'Provisioned',
  Suspended: 'Suspended',
  Ready: 'Ready',
} as const

export const REASON = {
  // Provisioned
  TenantApplied: 'TenantApplied',
  Deleting: 'Deleting',
  // Suspended
  CustomerSuspended: 'CustomerSuspended',
  Active: 'Active',
  // Ready (False carries Suspended or Deleting)
  Ready: 'Ready',
  // Events only: steps of creation and deletion
  NamespaceCreated: 'NamespaceCreated',
  DeletingNamespace: 'DeletingNamespace',
  Deleted: 'Deleted',
} as const

/** Holds a deleted Customer until its namespace (and so every site's routes) is gone. */
export const FINALIZER = 'hostplane.dev/tenant'
