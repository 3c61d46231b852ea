/**
 * What operators before issue 19 created in a customer namespace and this one no longer does: a
 * Role `hostplane-tenant` with the tenant rules, and a RoleBinding of the same name to it. Tenant
 * rights now come from the install's ClusterRole of that name; a RoleBinding's roleRef cannot
 * change, so the old binding goes too and the next pass applies the new one (docs/operator.md,
 * "Upgrading"). Only these two objects, by name and shape, are ever removed.
 */
import type { KubeObject } from '../../kube/object.js'
import { BOUND_ROLES } from './names.js'

const LEGACY_NAME = BOUND_ROLES.tenant

/** The legacy objects among what a Customer owns (cached by the customer label), not yet being deleted. */
export const legacyTenantRbac = (owned: readonly KubeObject[]): KubeObject[] =>
  owned.filter(
    (object) =>
      !object.metadata.deletionTimestamp &&
      object.metadata.name === LEGACY_NAME &&
      (object.kind === 'Role' ||
        (object.kind === 'RoleBinding' &&
          (object as { roleRef?: { kind?: string } }).roleRef?.kind === 'Role')),
  )
