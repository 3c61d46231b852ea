/**
 * What the API server does with a custom resource's structural schema before CEL runs, read from
 * the very openAPIV3Schema the CRD carries: it drops unknown fields (refused under strict field
 * validation) and nulls, fills in defaults, checks types, enums and limits as kube-openapi
 * does, and checks `x-kubernetes-list-type` set and map lists for duplicates. The messages are
 * the API server's (field-error.ts); only the keywords hostplane's schemas use are implemented.
 */
import type { JsonSchema } from './crd.js'
import { type FieldError, FieldErrors } from './field-error.js'

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const child = (path: string, name: string) => (path ? `${path}.${name}` : name)
const index = (path: string, at: number | string) => `${path}[${at}]`

const propertiesOf = (schema: JsonSchema) =>
  isRecord(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : undefined
const additionalOf = (schema: JsonSchema) =>
  isRecord(schema.additionalProperties) ? (schema.additionalProperties as JsonSchema) : undefined
const itemsOf = (schema: JsonSchema) => (isRecord(schema.items) ? (schema.items as JsonSchema) : undefined)

/** The fields of ObjectMeta: `metadata` is typed by the API server, not by the CRD schema. */
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
])

/**
 * The object as the API server's decoding leaves it: unknown fields pruned (their paths
 * collected, for strict field validation to refuse), nulls of non-nullable fields dropped, and
 * defaults filled in. An object where the schema expects no fields (e.g. a map given for a list)
 * is all unknown; `metadata` is ObjectMeta, whatever the CRD schema says.
 */
export function coerce(schema: JsonSchema, value: unknown, unknown: string[], path = ''): unknown {
  if (Array.isArray(value)) {
    const items = itemsOf(schema)
    return items ? value.map((item, i) => coerce(items, item, unknown, index(path, i))) : value
  }
  if (!isRecord(value)) return value
  if (path === 'metadata') {
    for (const key of Object.keys(value)) if (!OBJECT_META_FIELDS.has(key)) unknown.push(child(path, key))
    return value
  }
  const properties = propertiesOf(schema) ?? {}
  const additional = additionalOf(schema)
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    const sub = properties[key] ?? additional
    if (!sub) {
      if (preserve) out[key] = item
      else unknown.push(child(path, key))
    } else if (item !== null || sub.nullable === true) out[key] = item
    else if ('default' in sub) out[key] = structuredClone(sub.default)
  }
  for (const [key, sub] of Object.entries(properties))
    if ('default' in sub && out[key] === undefined) out[key] = structuredClone(sub.default)
  for (const [key, item] of Object.entries(out)) {
    const sub = properties[key] ?? additional
    if (sub) out[key] = coerce(sub, item, unknown, child(path, key))
  }
  return out
}

/** The JSON type kube-openapi reports for a value. */
function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value === 'object' ? 'object' : typeof value
}

const typeMatches = (expected: unknown, actual: string) =>
  expected === undefined || expected === actual || (expected === 'number' && actual === 'integer')

/** kube-openapi's checks, with the API server's conversion into field errors. */
export function schemaErrors(schema: JsonSchema, value: unknown, path = ''): FieldError[] {
  const errors: FieldError[] = []
  const actual = jsonType(value)
  if (!typeMatches(schema.type, actual)) {
    errors.push(
      FieldErrors.typeInvalid(
        path,
        actual,
        `${path} in body must be of type ${String(schema.type)}: "${actual}"`,
      ),
    )
    return errors
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => allowed === value))
    errors.push(
      FieldErrors.notSupported(
        path,
        value,
        schema.enum.map((allowed) => (typeof allowed === 'string' ? allowed : JSON.stringify(allowed))),
      ),
    )
  if (typeof value === 'string') {
    const length = [...value].length
    if (typeof schema.maxLength === 'number' && length > schema.maxLength)
      errors.push(FieldErrors.tooLong(path, schema.maxLength))
    if (typeof schema.minLength === 'number' && length < schema.minLength)
      errors.push(
        FieldErrors.invalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`),
      )
  }
  if (typeof value === 'number') {
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      errors.push(
        FieldErrors.invalid(path, value, `${path} in body should be less than or equal to ${schema.maximum}`),
      )
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      errors.push(
        FieldErrors.invalid(
          path,
          value,
          `${path} in body should be greater than or equal to ${schema.minimum}`,
        ),
      )
  }
  if (Array.isArray(value)) {
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      errors.push(FieldErrors.tooMany(path, value.length, schema.maxItems))
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      errors.push(
        FieldErrors.invalid(
          path,
          value.length,
          `${path} in body should have at least ${schema.minItems} items`,
        ),
      )
    const items = itemsOf(schema)
    if (items)
      for (const [i, item] of value.entries()) errors.push(...schemaErrors(items, item, index(path, i)))
  }
  if (isRecord(value)) {
    const size = Object.keys(value).length
    if (typeof schema.maxProperties === 'number' && size > schema.maxProperties)
      errors.push(FieldErrors.tooMany(path, size, schema.maxProperties))
    if (typeof schema.minProperties === 'number' && size < schema.minProperties)
      errors.push(
        FieldErrors.invalid(
          path,
          size,
          `${path} in body should have at least ${schema.minProperties} properties`,
        ),
      )
    for (const name of (schema.required as string[] | undefined) ?? [])
      if (value[name] === undefined) errors.push(FieldErrors.required(child(path, name)))
    const properties = propertiesOf(schema)
    const additional = additionalOf(schema)
    for (const [key, item] of Object.entries(value)) {
      const sub = properties?.[key]
      // kube-openapi names a map entry like a property (`set.X-Test`), unlike CEL (`set[X-Test]`).
      if (sub ?? additional)
        errors.push(...schemaErrors((sub ?? additional) as JsonSchema, item, child(path, key)))
    }
  }
  return errors
}

/** Go's json.Marshal of a list entry, the identity a `set` list compares. */
const identity = (value: unknown) =>
  typeof value === 'object' && value !== null ? JSON.stringify(value) : value

/** The second appearance of each repeated identity, as the API server reports it. */
function repeated(identities: readonly unknown[]): number[] {
  const counts = new Map<unknown, number>()
  const indexes: number[] = []
  for (const [i, id] of identities.entries()) {
    const seen = counts.get(id) ?? 0
    if (seen === 1) indexes.push(i)
    counts.set(id, seen + 1)
  }
  return indexes
}

/** Duplicates in `x-kubernetes-list-type: set` and `map` lists. */
export function listTypeErrors(schema: JsonSchema, value: unknown, path = ''): FieldError[] {
  const errors: FieldError[] = []
  if (Array.isArray(value)) {
    if (schema['x-kubernetes-list-type'] === 'set') {
      for (const i of repeated(value.map(identity)))
        errors.push(FieldErrors.duplicate(index(path, i), value[i]))
    } else if (schema['x-kubernetes-list-type'] === 'map') {
      const keys = (schema['x-kubernetes-list-map-keys'] as string[] | undefined) ?? []
      const entryKeys = value.map((entry) =>
        Object.fromEntries(
          keys
            .filter((k) => isRecord(entry) && k in entry)
            .map((k) => [k, (entry as Record<string, unknown>)[k]]),
        ),
      )
      for (const i of repeated(entryKeys.map(identity)))
        errors.push(FieldErrors.duplicate(index(path, i), entryKeys[i]))
    }
    const items = itemsOf(schema)
    if (items)
      for (const [i, item] of value.entries()) errors.push(...listTypeErrors(items, item, index(path, i)))
  } else if (isRecord(value)) {
    const properties = propertiesOf(schema)
    const additional = additionalOf(schema)
    for (const [key, item] of Object.entries(value)) {
      const sub = properties?.[key]
      if (sub) errors.push(...listTypeErrors(sub, item, child(path, key)))
      else if (additional) errors.push(...listTypeErrors(additional, item, index(path, key)))
    }
  }
  return errors
}
