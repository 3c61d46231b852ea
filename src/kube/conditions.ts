/**
 * Conditions as a controller computes them (type, status, reason, message) and as they are stored
 * (with lastTransitionTime and observedGeneration). The time only moves when the status does, so
 * re-computing the same conditions yields the same stored list and no write.
 */
import type { Condition } from '../api/conditions.js'

export type ConditionStatus = Condition['status']

export interface DesiredCondition {
  readonly type: string
  readonly status: ConditionStatus
  readonly reason: string
  readonly message: string
}

export const findCondition = (conditions: readonly Condition[] | undefined, type: string) =>
  conditions?.find((c) => c.type === type)

/** Kubernetes timestamps have second precision. */
export const kubeTime = (date: Date) => date.toISOString().replace(/\.\d+Z$/, 'Z')

export function storedConditions(
  desired: readonly DesiredCondition[],
  existing: readonly Condition[] | undefined,
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  return desired.map((condition) => {
    const previous = findCondition(existing, condition.type)
    return {
      ...condition,
      lastTransitionTime:
        previous && previous.status === condition.status ? previous.lastTransitionTime : kubeTime(now),
      ...(observedGeneration === undefined ? {} : { observedGeneration }),
    }
  })
}

/** True when every desired condition is already stored with the same status, reason, message and generation. */
export const conditionsUpToDate = (
  desired: readonly DesiredCondition[],
  existing: readonly Condition[] | undefined,
  observedGeneration: number | undefined,
) =>
  desired.every((condition) => {
    const stored = findCondition(existing, condition.type)
    return (
      stored !== undefined &&
      stored.status === condition.status &&
      stored.reason === condition.reason &&
      stored.message === condition.message &&
      stored.observedGeneration === observedGeneration
    )
  })
