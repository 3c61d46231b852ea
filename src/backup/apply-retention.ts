/**
 * A group's retention applied to the repository: its restore points gathered, the rules decided
 * (retention.ts, restic's forget semantics), every snapshot of each forgotten point forgotten, and
 * — when asked — the data nothing refers to any more pruned. `hostplane backup forget` runs it, and
 * `hostplane backup run` after a scheduled backup.
 */
import type { Restic } from './restic.js'
import { restorePoints } from './restore-point.js'
import { pointsToForget, type RetentionPolicy } from './retention.js'

export interface AppliedRetention {
  readonly kept: readonly { readonly point: string; readonly why: readonly string[] }[]
  readonly forgotten: readonly string[]
  readonly pruned: boolean
}

/** True when the policy has a rule: without one, every point of the group would be forgotten. */
export const hasRule = (policy: RetentionPolicy) => Object.values(policy).some((count) => count !== undefined)

export async function applyRetention(
  restic: Restic,
  group: string,
  policy: RetentionPolicy,
  { timeZone, prune }: { readonly timeZone: string; readonly prune: boolean },
): Promise<AppliedRetention> {
  if (!hasRule(policy))
    throw new Error(`no retention rule: that would forget every restore point of group ${group}`)
  const points = await restorePoints(restic, group)
  const retention = pointsToForget(
    points.map(({ point, time }) => ({ id: point, time })),
    policy,
    timeZone,
  )
  const forgotten = new Set(retention.forget)
  await restic.forget(
    points.filter(({ point }) => forgotten.has(point)).flatMap(({ snapshots }) => snapshots),
  )
  const pruned = prune && forgotten.size > 0
  if (pruned) await restic.prune()
  return {
    kept: retention.kept.map(({ id, why }) => ({ point: id, why })),
    forgotten: retention.forget,
    pruned,
  }
}
