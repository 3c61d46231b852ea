/**
 * What a ServiceAccount was granted by an install's RBAC, and what it used according to the API
 * server's audit log, as (verb, resource) pairs such as `patch hostplane.dev/staticsites/status`.
 * The audit log records the request's verb; a server-side apply that created its object (201)
 * was also authorized as `create`, which the log does not show separately, so it counts as both.
 */
import type { Manifest } from '../../src/kube/object.js'

interface Rule {
  apiGroups?: string[]
  resources?: string[]
  verbs: string[]
  resourceNames?: string[]
}
type RoleObject = Manifest & { rules?: Rule[] }
type Binding = Manifest & {
  roleRef: { kind: string; name: string }
  subjects?: { kind: string; name: string; namespace?: string }[]
}

interface AuditEvent {
  readonly stage: string
  readonly verb: string
  readonly user: { readonly username: string }
  readonly objectRef?: {
    readonly resource?: string
    readonly subresource?: string
    readonly apiGroup?: string
    readonly namespace?: string
    readonly name?: string
  }
  readonly responseStatus?: { readonly code?: number }
  readonly annotations?: Readonly<Record<string, string>>
}

const resourceOf = (group: string | undefined, resource: string) =>
  group ? `${group}/${resource}` : resource

/**
 * The pairs the install grants `account` (namespace/name): its ClusterRoleBindings' and
 * RoleBindings' rules, and those of the ClusterRoles named in `boundAtRuntime` (which the operator
 * binds in customer namespaces).
 */
export function grantsOf(
  objects: readonly Manifest[],
  account: { namespace: string; name: string },
  boundAtRuntime: readonly string[] = [],
): Set<string> {
  const roles = new Map(
    objects
      .filter((o): o is RoleObject => o.kind === 'ClusterRole' || o.kind === 'Role')
      .map((o) => [`${o.kind}/${o.metadata.name}`, o]),
  )
  const bound = objects
    .filter((o): o is Binding => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')
    .filter((b) =>
      b.subjects?.some(
        (s) => s.kind === 'ServiceAccount' && s.name === account.name && s.namespace === account.namespace,
      ),
    )
    .map((b) => `${b.roleRef.kind}/${b.roleRef.name}`)
  const grants = new Set<string>()
  for (const key of [...bound, ...boundAtRuntime.map((name) => `ClusterRole/${name}`)]) {
    const role = roles.get(key)
    if (!role) throw new Error(`${account.name} is bound to ${key}, which the install does not hold`)
    for (const rule of role.rules ?? [])
      for (const group of rule.apiGroups ?? [''])
        for (const resource of rule.resources ?? [])
          for (const verb of rule.verbs) grants.add(`${verb} ${resourceOf(group, resource)}`)
  }
  return grants
}

/** The pairs `username` used (allowed) and was refused (forbidden), from the audit log's lines. */
export function usedBy(log: string, username: string): { used: Set<string>; refused: Set<string> } {
  const used = new Set<string>()
  const refused = new Set<string>()
  for (const line of log.split('\n')) {
    if (!line.trim()) continue
    const event = JSON.parse(line) as AuditEvent
    const ref = event.objectRef
    if (event.user.username !== username || !ref?.resource || event.stage === 'RequestReceived') continue
    const resource = resourceOf(
      ref.apiGroup,
      ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource,
    )
    const pair = `${event.verb} ${resource}`
    if (event.annotations?.['authorization.k8s.io/decision'] === 'forbid') refused.add(pair)
    else {
      used.add(pair)
      if (event.verb === 'patch' && event.responseStatus?.code === 201) used.add(`create ${resource}`)
    }
  }
  return { used, refused }
}
