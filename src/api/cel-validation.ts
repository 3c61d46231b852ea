/**
 * The `x-kubernetes-validations` CEL rules of a schema, evaluated depth-first as the API server
 * does, each failure worded as the API server words it (`fieldErrorForReason`): the value is
 * shown for scalars and left out for objects and lists.
 */
import { parse as parseCel } from '@marcbachmann/cel-js'
import type { JsonSchema } from './crd.js'
import { type FieldError, FieldErrors, OMIT_VALUE } from './field-error.js'
import type { CelRule } from './schema-kit.js'

type Evaluator = (context: Record<string, unknown>) => unknown
const compiled = new Map<string, Evaluator>()
const evaluator = (rule: string): Evaluator => {
  let evaluate = compiled.get(rule)
  if (!evaluate) {
    evaluate = parseCel(rule) as Evaluator
    compiled.set(rule, evaluate)
  }
  return evaluate
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** `fieldPath` is relative to the rule's node and starts with a dot, e.g. `.size`. */
const joinFieldPath = (path: string, fieldPath: string | undefined) =>
  !fieldPath ? path : path ? `${path}${fieldPath}` : fieldPath.slice(1)

function ruleError(rule: CelRule, schema: JsonSchema, value: unknown, path: string): FieldError {
  const at = joinFieldPath(path, rule.fieldPath)
  const shown = schema.type === 'object' || schema.type === 'array' ? OMIT_VALUE : value
  switch (rule.reason) {
    case 'FieldValueRequired':
      return FieldErrors.required(at, rule.message)
    case 'FieldValueForbidden':
      return FieldErrors.forbidden(at, rule.message)
    case 'FieldValueDuplicate':
      return FieldErrors.duplicate(at, shown)
    default:
      return FieldErrors.invalid(at, shown, rule.message)
  }
}

/** A transition rule (it reads `oldSelf`): the API server runs it only on update. */
const isTransitionRule = (rule: CelRule) => /\boldSelf\b/.test(rule.rule)

/** The rules of a create: transition rules have no old object to compare with. */
export function celErrors(schema: JsonSchema, value: unknown, path = ''): FieldError[] {
  if (value === undefined || value === null) return []
  const errors: FieldError[] = []
  for (const rule of (schema['x-kubernetes-validations'] as CelRule[] | undefined) ?? []) {
    if (isTransitionRule(rule)) continue
    let result: unknown
    try {
      result = evaluator(rule.rule)({ self: value })
    } catch (error) {
      errors.push(
        FieldErrors.invalid(
          path,
          String(schema.type),
          `${(error as Error).message} evaluating rule: ${rule.message}`,
        ),
      )
      continue
    }
    if (result !== true) errors.push(ruleError(rule, schema, value, path))
  }
  const properties = schema.properties as Record<string, JsonSchema> | undefined
  if (properties && isRecord(value)) {
    for (const [key, sub] of Object.entries(properties))
      errors.push(...celErrors(sub, value[key], path ? `${path}.${key}` : key))
  }
  const additional = schema.additionalProperties
  if (isRecord(additional) && isRecord(value)) {
    for (const [key, item] of Object.entries(value))
      errors.push(...celErrors(additional, item, `${path}[${key}]`))
  }
  const items = schema.items
  if (isRecord(items) && Array.isArray(value)) {
    for (const [i, item] of value.entries()) errors.push(...celErrors(items, item, `${path}[${i}]`))
  }
  return errors
}
