/**
 * The server-side apply field managers of hostplane, one per process that writes. Each owns its
 * own fields of a shared object (the operator `Routed`/`Ready`, the syncer `Synced` and the
 * revisions) and a forced apply by one never takes the other's fields. The operator is plain
 * `hostplane`, so objects it applied before this scheme keep their manager; every other process
 * is `hostplane-<component>`.
 */
export type Component = 'operator' | 'syncer' | 'gitserver'

export const fieldManagerOf = (component: Component): string =>
  component === 'operator' ? 'hostplane' : `hostplane-${component}`
