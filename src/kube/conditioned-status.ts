/**
 * The status write every condition-keeping reconciler ends with: the stored status with `fields`
 * and `conditions` laid over it (each condition keeping its transition time while its status
 * holds), written only when something differs. The caller records Events for the changes.
 */
import type { Condition } from '../api/conditions.js'
import { type Applier, containsDesired } from './apply.js'
import { conditionsUpToDate, type DesiredCondition, storedConditions } from './conditions.js'
import type { KubeObject } from './object.js'

export interface StatusKind {
  readonly apiVersion: string
  readonly kind: string
  readonly plural: string
}

export async function writeConditionedStatus(
  applier: Pick<Applier, 'applyStatus'>,
  kind: StatusKind,
  object: KubeObject & { readonly status?: { readonly conditions?: readonly Condition[] } },
  conditions: readonly DesiredCondition[],
  fields: Readonly<Record<string, unknown>>,
  now: Date,
): Promise<'none' | 'status'> {
  const { generation, name, namespace } = object.metadata
  const current = object.status
  const status = { observedGeneration: generation, ...fields }
  if (conditionsUpToDate(conditions, current?.conditions, generation) && containsDesired(current, status))
    return 'none'
  await applier.applyStatus(
    { ...kind, namespace, name },
    {
      apiVersion: kind.apiVersion,
      kind: kind.kind,
      metadata: { name, namespace },
      status: {
        ...current,
        ...status,
        conditions: storedConditions(conditions, current?.conditions, generation, now),
      },
    },
  )
  return 'status'
}
