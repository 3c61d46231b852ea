/**
 * Runtime validation of hostplane resources outside the API server (`hostplane validate`,
 * `hostplane serve`). It is the API server's twin for a create with strict field validation, in
 * the API server's order, reading the very schema the CRD carries: unknown fields refuse the
 * object outright; then nulls are pruned and defaults filled in; metadata, the structural schema
 * and the list types are checked; and the CEL rules run only when none of those found a
 * blocking error (a missing or mistyped field), as the API server skips them then too. Every
 * message is the API server's, so both refuse the same objects with the same words
 * (test/api/crds.test.ts compares them on a real kube-apiserver).
 */
import { celErrors } from './cel-validation.js'
import { type JsonSchema, objectSchema } from './crd.js'
import { type FieldError, type FieldErrorType, FieldErrors } from './field-error.js'
import { API_VERSION, type KindDefinition } from './kind.js'
import { KINDS } from './kinds.js'
import { coerce, listTypeErrors, schemaErrors } from './structural-schema.js'

export { type FieldError, formatFieldErrors } from './field-error.js'

export interface HostplaneObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; [key: string]: unknown }
  spec: Record<string, unknown>
}

export type ValidationResult =
  | { readonly ok: true; readonly object: HostplaneObject; readonly definition: KindDefinition }
  | { readonly ok: false; readonly errors: readonly FieldError[] }

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const schemas = new Map<string, { def: KindDefinition; schema: JsonSchema }>(
  KINDS.map((def) => [def.kind, { def, schema: objectSchema(def) }]),
)

const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const DNS_SUBDOMAIN = `${DNS_LABEL}(\\.${DNS_LABEL})*`

/** apimachinery's IsDNS1123Subdomain (object names) and IsDNS1123Label (namespaces), worded as it words them. */
const NAME_RULES = {
  name: {
    max: 253,
    pattern: DNS_SUBDOMAIN,
    says: "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', ",
  },
  namespace: {
    max: 63,
    pattern: DNS_LABEL,
    says: "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', ",
  },
}

function nameErrors(field: keyof typeof NAME_RULES, value: string): FieldError[] {
  const { max, pattern, says } = NAME_RULES[field]
  const path = `metadata.${field}`
  return [
    ...(value.length > max
      ? [FieldErrors.invalid(path, value, `must be no more than ${max} characters`)]
      : []),
    ...(new RegExp(`^${pattern}$`).test(value)
      ? []
      : [FieldErrors.invalid(path, value, `${says}regex used for validation is '${pattern}')`)]),
  ]
}

function metadataErrors({ name, namespace }: Record<string, unknown>): FieldError[] {
  return [
    ...(typeof name === 'string' && name.length > 0
      ? nameErrors('name', name)
      : [FieldErrors.required('metadata.name', 'name or generateName is required')]),
    ...(typeof namespace === 'string' ? nameErrors('namespace', namespace) : []),
  ]
}

/** The error kinds after which the API server does not run CEL rules (`hasBlockingErr`). */
const BLOCKING: ReadonlySet<FieldErrorType> = new Set([
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
])

export const RULES_NOT_CHECKED =
  'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation'

/**
 * Validates and defaults one resource as the API server would on create. Returns the object as
 * it would be stored (defaults applied, `status` dropped), or every problem, each naming the field.
 */
export function validateResource(input: unknown): ValidationResult {
  if (!isRecord(input))
    return { ok: false, errors: [FieldErrors.invalid('', input ?? null, 'expected a YAML/JSON object')] }
  if (input.apiVersion !== API_VERSION)
    return {
      ok: false,
      errors: [FieldErrors.notSupported('apiVersion', input.apiVersion ?? '', [API_VERSION])],
    }
  const entry = typeof input.kind === 'string' ? schemas.get(input.kind) : undefined
  if (!entry)
    return { ok: false, errors: [FieldErrors.notSupported('kind', input.kind ?? '', [...schemas.keys()])] }
  const unknown: string[] = []
  // A create cannot set status (the status subresource owns it): past the unknown-field check,
  // the API server drops it unvalidated.
  const coerced = coerce(entry.schema, input, unknown) as Record<string, unknown>
  const object = Object.fromEntries(Object.entries(coerced).filter(([key]) => key !== 'status'))
  if (unknown.length > 0) return { ok: false, errors: unknown.map(FieldErrors.unknown) }
  const { namespace, ...rest } = isRecord(object.metadata) ? object.metadata : {}
  // A cluster-scoped object has no namespace: the API server clears one given.
  const metadata = entry.def.scope === 'Cluster' || namespace === undefined ? rest : { ...rest, namespace }
  object.metadata = metadata
  const errors = [
    ...metadataErrors(metadata),
    ...schemaErrors(entry.schema, object),
    ...listTypeErrors(entry.schema, object),
  ]
  if (errors.some((e) => BLOCKING.has(e.type))) errors.push(FieldErrors.invalid('', null, RULES_NOT_CHECKED))
  else errors.push(...celErrors(entry.schema, object))
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, object: object as unknown as HostplaneObject, definition: entry.def }
}
