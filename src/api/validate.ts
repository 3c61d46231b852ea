/**
 * Runtime validation of hostplane resources outside the API server (standalone mode, REST API).
 * It reads the very schema the CRD carries: Ajv checks the structure and applies defaults, then
 * every `x-kubernetes-validations` CEL rule is evaluated, so both paths accept and refuse the same
 * objects with the same messages.
 */
import { parse as parseCel } from '@marcbachmann/cel-js'
import { Ajv, type ErrorObject } from 'ajv'
import { type JsonSchema, objectSchema } from './crd.js'
import { API_VERSION, type KindDefinition } from './kind.js'
import { KINDS } from './kinds.js'
import type { CelRule } from './schema-kit.js'

export interface FieldError {
  /** Field in Kubernetes notation, e.g. `spec.domains[0]`. */
  readonly path: string
  readonly message: string
}

export interface HostplaneObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; [key: string]: unknown }
  spec: Record<string, unknown>
  status?: Record<string, unknown>
}

export type ValidationResult =
  | { readonly ok: true; readonly object: HostplaneObject; readonly definition: KindDefinition }
  | { readonly ok: false; readonly errors: readonly FieldError[] }

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Unknown fields are errors, as with `kubectl apply` (strict field validation). */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects)
  if (!isRecord(node)) return node
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === 'x-kubernetes-validations') continue
    out[key] =
      key === 'properties' && isRecord(value)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, closeObjects(v)]))
        : closeObjects(value)
  }
  if (out.type === 'object' && isRecord(out.properties) && out.additionalProperties === undefined) {
    out.additionalProperties = false
  }
  return out
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictRequired: false })
for (const keyword of [
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-preserve-unknown-fields',
]) {
  ajv.addKeyword(keyword)
}
ajv.addFormat('date-time', true)

const compiled = new Map(
  KINDS.map((def) => {
    const schema = objectSchema(def)
    const { properties } = schema as { properties: Record<string, JsonSchema> }
    const envelope = {
      type: 'object',
      required: ['spec'],
      properties: { spec: closeObjects(properties.spec) },
    }
    return [def.kind, { def, schema, check: ajv.compile(envelope) }] as const
  }),
)

const pointerToPath = (pointer: string): string =>
  pointer
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '')

function describeAjvError(error: ErrorObject): FieldError {
  const path = pointerToPath(error.instancePath)
  const params = error.params as Record<string, unknown>
  const at = (child: string) => (path ? `${path}.${child}` : child)
  switch (error.keyword) {
    case 'required':
      return { path: at(String(params.missingProperty)), message: 'Required value' }
    case 'additionalProperties':
      return {
        path: at(String(params.additionalProperty)),
        message: 'unknown field (not declared in the schema)',
      }
    case 'enum':
      return { path, message: `must be one of: ${(params.allowedValues as unknown[]).join(', ')}` }
    case 'maxItems':
      return { path, message: `must have at most ${params.limit} items` }
    case 'minItems':
      return { path, message: `must have at least ${params.limit} items` }
    case 'maxLength':
      return { path, message: `may not be longer than ${params.limit} characters` }
    case 'minimum':
    case 'maximum':
      return { path, message: `must be ${error.keyword === 'minimum' ? '>=' : '<='} ${params.limit}` }
    default:
      return { path, message: error.message ?? error.keyword }
  }
}

type Evaluator = (context: Record<string, unknown>) => unknown
const celCache = new Map<string, Evaluator>()
const celEvaluator = (rule: string): Evaluator => {
  let evaluator = celCache.get(rule)
  if (!evaluator) {
    evaluator = parseCel(rule) as Evaluator
    celCache.set(rule, evaluator)
  }
  return evaluator
}

/** `fieldPath` is relative to the rule's node and starts with a dot, e.g. `.size`. */
const joinFieldPath = (path: string, fieldPath: string | undefined) =>
  !fieldPath ? path : path ? `${path}${fieldPath}` : fieldPath.slice(1)

/** Evaluates every CEL rule of `schema` against `value`, depth-first like the API server. */
function celErrors(schema: JsonSchema, value: unknown, path: string, errors: FieldError[]): void {
  if (value === undefined) return
  for (const rule of (schema['x-kubernetes-validations'] as CelRule[] | undefined) ?? []) {
    let passed: unknown
    try {
      passed = celEvaluator(rule.rule)({ self: value })
    } catch {
      passed = false
    }
    if (passed !== true) errors.push({ path: joinFieldPath(path, rule.fieldPath), message: rule.message })
  }
  const properties = schema.properties as Record<string, JsonSchema> | undefined
  if (properties && isRecord(value)) {
    for (const [key, child] of Object.entries(properties)) {
      celErrors(child, value[key], path ? `${path}.${key}` : key, errors)
    }
  }
  const additional = schema.additionalProperties
  if (isRecord(additional) && isRecord(value)) {
    for (const [key, child] of Object.entries(value)) celErrors(additional, child, `${path}[${key}]`, errors)
  }
  const items = schema.items
  if (isRecord(items) && Array.isArray(value)) {
    for (const [index, child] of value.entries()) celErrors(items, child, `${path}[${index}]`, errors)
  }
}

const OBJECT_NAME = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'

function metadataErrors(metadata: unknown, def: KindDefinition): FieldError[] {
  if (!isRecord(metadata)) return [{ path: 'metadata', message: 'Required value' }]
  const errors: FieldError[] = []
  const { name, namespace } = metadata
  if (typeof name !== 'string' || name.length === 0)
    errors.push({ path: 'metadata.name', message: 'Required value' })
  else if (name.length > 253 || !new RegExp(OBJECT_NAME).test(name)) {
    errors.push({ path: 'metadata.name', message: 'must be lower-case letters, digits, - and . (RFC 1123)' })
  }
  if (namespace !== undefined && def.scope === 'Cluster') {
    errors.push({
      path: 'metadata.namespace',
      message: `${def.kind} is cluster-scoped and takes no namespace`,
    })
  }
  if (
    namespace !== undefined &&
    (typeof namespace !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
  ) {
    errors.push({ path: 'metadata.namespace', message: 'must be a DNS label of at most 63 characters' })
  }
  return errors
}

/**
 * Validates and defaults one resource. Returns a new object with defaults applied, or every
 * problem found, each naming the field.
 */
export function validateResource(input: unknown): ValidationResult {
  if (!isRecord(input)) return { ok: false, errors: [{ path: '', message: 'expected a YAML/JSON object' }] }
  if (input.apiVersion !== API_VERSION) {
    return { ok: false, errors: [{ path: 'apiVersion', message: `must be ${API_VERSION}` }] }
  }
  const entry = typeof input.kind === 'string' ? compiled.get(input.kind) : undefined
  if (!entry) {
    return {
      ok: false,
      errors: [{ path: 'kind', message: `must be one of: ${[...compiled.keys()].join(', ')}` }],
    }
  }
  const object = structuredClone(input)
  const errors = metadataErrors(object.metadata, entry.def)
  if (!entry.check(object)) errors.push(...(entry.check.errors ?? []).map(describeAjvError))
  celErrors(entry.schema, object, '', errors)
  if (errors.length > 0) return { ok: false, errors: dedupe(errors) }
  return { ok: true, object: object as unknown as HostplaneObject, definition: entry.def }
}

const dedupe = (errors: FieldError[]) =>
  errors.filter((e, i) => errors.findIndex((o) => o.path === e.path && o.message === e.message) === i)

export const formatFieldErrors = (errors: readonly FieldError[]) =>
  errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ')
