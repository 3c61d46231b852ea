/**
 * Standard Kubernetes conditions (metav1.Condition). The list is a map keyed by `type`, so the
 * operator and the syncer can each own their conditions through server-side apply without
 * overwriting each other's.
 */
import { type Static, Type } from '@sinclair/typebox'
import { StringEnum } from './schema-kit.js'

export const ConditionSchema = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 316 }),
  status: StringEnum(['True', 'False', 'Unknown']),
  reason: Type.String({ minLength: 1, maxLength: 1024 }),
  message: Type.String({ maxLength: 32768 }),
  lastTransitionTime: Type.String({ format: 'date-time' }),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
})
export type Condition = Static<typeof ConditionSchema>

export const ConditionList = Type.Array(ConditionSchema, {
  maxItems: 16,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
})

/** Fields every hostplane status carries. */
export const commonStatus = {
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  conditions: Type.Optional(ConditionList),
}

/** JSONPath of a condition's status, for printer columns and `kubectl wait --for=condition=X`. */
export const conditionColumn = (type: string) => `.status.conditions[?(@.type=="${type}")].status`
