/**
 * Building blocks for hostplane's resource schemas. Each schema is written once with TypeBox and
 * serves three readers: the TypeScript types (`Static`), the CRD openAPIV3Schema (which must be
 * structural, so no `anyOf` of literals and no `additionalProperties: false`), and the runtime
 * validator used by the REST API and standalone mode. CEL rules are stored under the Kubernetes
 * keyword `x-kubernetes-validations` so the API server and our own validator evaluate the same text.
 */
import {
  type SchemaOptions,
  type StringOptions,
  type TObject,
  type TSchema,
  type TString,
  type TUnsafe,
  Type,
} from '@sinclair/typebox'

/** One CEL rule as the API server understands it; `fieldPath` points the error at a child field. */
export interface CelRule {
  readonly rule: string
  readonly message: string
  readonly fieldPath?: string
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate'
}

export const celRules = (...rules: CelRule[]) => ({ 'x-kubernetes-validations': rules })

/** A CEL single-quoted string literal of `value`. */
export const celString = (value: string) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`

/** A CEL `matches()` call for a JavaScript regex source. */
export const celMatches = (subject: string, regex: string) => `${subject}.matches(${celString(regex)})`

/** A string limited to a fixed set of values, rendered as a structural `enum`. */
export const StringEnum = <const T extends readonly string[]>(values: T, options: SchemaOptions = {}) =>
  Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] })

/** RFC 1123 DNS label: what Kubernetes accepts as a namespace or Service name. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'

/** A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export const LABEL_KEY =
  '^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'

/** A label value: empty, or at most 63 characters of letters, digits, `-`, `_`, `.`, alphanumeric at both ends. */
export const LABEL_VALUE = '^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$'

/** RFC 1123 hostname in lower case: labels of 1–63 characters, no leading or trailing hyphen. */
export const HOSTNAME = '^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'

/** A public hostname: at most 253 characters, lower-case RFC 1123. */
export const Hostname = (what: string): TString =>
  Type.String({
    maxLength: 253,
    ...celRules({
      rule: celMatches('self', HOSTNAME),
      message: `${what} must be a lower-case DNS name such as www.example.com (letters, digits, '-' and '.')`,
    }),
  })

/**
 * Most domains one StaticSite or Webspace may list: each is a name on one Certificate (an ACME
 * order validates every name) and a rule in the generated routes; more belong on more objects,
 * which the customer's domain limit counts (docs/tenancy.md).
 */
export const MAX_SITE_DOMAINS = 20

/** A list of hostnames without duplicates (`set`), bounded so CEL cost and object size stay small. */
export const HostnameList = (what: string, maxItems: number, options: SchemaOptions = {}) =>
  Type.Array(Hostname(what), { maxItems, 'x-kubernetes-list-type': 'set', ...options })

/** A Kubernetes object name (RFC 1123 subdomain) in a local reference. */
export const ObjectName = (what: string, options: StringOptions = {}): TString =>
  Type.String({
    minLength: 1,
    maxLength: 253,
    ...celRules({
      rule: celMatches('self', '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'),
      message: `${what} must be a Kubernetes object name (lower-case letters, digits, '-' and '.')`,
    }),
    ...options,
  })

export const LocalObjectReference = (field: string, description: string) =>
  Type.Object({ name: ObjectName(`${field}.name`) }, { description })

/** An absolute URL path without `..` segments, used for publish paths and prefixes. */
export const UrlPath = (what: string, options: SchemaOptions = {}): TString =>
  Type.String({
    maxLength: 512,
    ...options,
    ...celRules(
      {
        rule: celMatches('self', "^(/[A-Za-z0-9._~!$&'()*+,;=:@-]*)+$"),
        message: `${what} must start with '/' and use only letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @`,
      },
      {
        rule: `!${celMatches('self', '(^|/)\\.\\.?(/|$)')}`,
        message: `${what} must not contain '.' or '..' segments`,
      },
    ),
  })

/**
 * A git branch name (the short name, without `refs/heads/`): letters, digits and `. _ / + -`, not
 * starting with `-` (it would read as an option) and without `..` (git refuses it).
 */
/** A branch name as hostplane takes it (also never starting with '-' and without '..'). */
export const GIT_BRANCH = '^[A-Za-z0-9._/+-]+$'

export const GitBranch = (what: string, options: StringOptions = {}): TString =>
  Type.String({
    ...options,
    maxLength: 255,
    ...celRules({
      rule: `${celMatches('self', GIT_BRANCH)} && !self.startsWith('-') && !self.contains('..')`,
      message: `${what} must be a branch name (letters, digits and . _ / + -, not starting with '-')`,
    }),
  })

/** An absolute directory path without `.` or `..` segments (and not `/` itself). */
export const AbsoluteDirectory = (what: string, example: string, options: StringOptions = {}): TString =>
  Type.String({
    ...options,
    maxLength: 256,
    ...celRules({
      rule: `${celMatches('self', '^(/[A-Za-z0-9._-]+)+$')} && !${celMatches('self', '(^|/)\\.\\.?(/|$)')}`,
      message: `${what} must be an absolute directory such as ${example} (not '/')`,
    }),
  })

/** Key/value environment variable, optionally read from a Secret in the same namespace. */
export const EnvVar = Type.Object({
  name: Type.String({
    minLength: 1,
    maxLength: 128,
    ...celRules({
      rule: celMatches('self', '^[A-Za-z_][A-Za-z0-9_]*$'),
      message: 'env name must be a shell identifier (letters, digits and _; not starting with a digit)',
    }),
  }),
  value: Type.Optional(Type.String({ maxLength: 32768 })),
  secretKeyRef: Type.Optional(
    Type.Object({
      name: ObjectName('env.secretKeyRef.name'),
      key: Type.String({ minLength: 1, maxLength: 253 }),
    }),
  ),
})

/** A list of env entries, one per name, each with exactly one of value or secretKeyRef. */
export const envListOf = <T extends TObject>(entry: T) =>
  Type.Array(entry, {
    maxItems: 100,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
    ...celRules({
      rule: 'self.all(e, has(e.value) != has(e.secretKeyRef))',
      message: 'each env entry needs exactly one of value or secretKeyRef',
    }),
  })

export const EnvList = envListOf(EnvVar)

export type Schema = TSchema
export type Enum<T extends string> = TUnsafe<T>
