/**
 * Field errors worded exactly as the Kubernetes API server words them (apimachinery's
 * `field.Error`): `<type>[: <bad value>][: <detail>]`, the value printed the way Go prints it.
 * `hostplane validate` must say what `kubectl apply` would say, so these strings are part of the
 * contract, and a test compares them with a real kube-apiserver.
 */

/** apimachinery's ErrorType; `hasBlockingErr` in the API server looks at these. */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueDuplicate'
  /** Not an apimachinery type: a field strict field validation refuses before any other check. */
  | 'UnknownField'

export interface FieldError {
  readonly type: FieldErrorType
  /** Field in Kubernetes notation, e.g. `spec.domains[0]`; empty for the object itself. */
  readonly path: string
  /** The text after `<path>: ` in the API server's message. */
  readonly message: string
}

const TITLE: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueDuplicate: 'Duplicate value',
  UnknownField: 'unknown field',
}

/** The API server leaves the value out of a message (e.g. for a CEL rule on an object). */
export const OMIT_VALUE = Symbol('omit value')

const GO_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\',
}

/** Go's strconv.Quote for the printable and control characters YAML can carry. */
export const goQuote = (text: string) =>
  `"${[...text]
    .map((c) => {
      const code = c.charCodeAt(0)
      return GO_ESCAPES[c] ?? (code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c)
    })
    .join('')}"`

const sortKeys = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(sortKeys)
    : typeof value === 'object' && value !== null
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
        )
      : value

/** Go's json.Marshal: sorted keys, `<`, `>` and `&` escaped. */
const goJson = (value: unknown) =>
  (JSON.stringify(sortKeys(value)) ?? 'null').replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )

/** Go's `%v` of a float64: shortest form, exponent below 1e-4 and from 1e21. */
function goFloat(value: number): string {
  const magnitude = Math.abs(value)
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e21)) {
    const [mantissa, exponent = '0'] = value.toExponential().split('e')
    const sign = exponent.startsWith('-') ? '-' : '+'
    return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`
  }
  return String(value)
}

export function goValue(value: unknown): string {
  if (typeof value === 'string') return goQuote(value)
  if (typeof value === 'boolean') return String(value)
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : goFloat(value)
  return goJson(value)
}

function fieldError(type: FieldErrorType, path: string, value: unknown, detail = ''): FieldError {
  const omitted =
    value === OMIT_VALUE || ['FieldValueRequired', 'FieldValueForbidden', 'FieldValueTooLong'].includes(type)
  const head = omitted ? TITLE[type] : `${TITLE[type]}: ${goValue(value)}`
  return { type, path, message: detail ? `${head}: ${detail}` : head }
}

/** The constructors of apimachinery's `field` package that the API server uses for CRDs. */
export const FieldErrors = {
  required: (path: string, detail = '') => fieldError('FieldValueRequired', path, OMIT_VALUE, detail),
  forbidden: (path: string, detail: string) => fieldError('FieldValueForbidden', path, OMIT_VALUE, detail),
  invalid: (path: string, value: unknown, detail: string) =>
    fieldError('FieldValueInvalid', path, value, detail),
  typeInvalid: (path: string, value: unknown, detail: string) =>
    fieldError('FieldValueTypeInvalid', path, value, detail),
  notSupported: (path: string, value: unknown, supported: readonly string[]) =>
    fieldError(
      'FieldValueNotSupported',
      path,
      value,
      supported.length > 0 ? `supported values: ${supported.map(goQuote).join(', ')}` : '',
    ),
  tooLong: (path: string, max: number) =>
    fieldError(
      'FieldValueTooLong',
      path,
      OMIT_VALUE,
      `may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}`,
    ),
  tooMany: (path: string, actual: number, max: number) =>
    fieldError('FieldValueTooMany', path, actual, `must have at most ${max} ${max === 1 ? 'item' : 'items'}`),
  duplicate: (path: string, value: unknown) => fieldError('FieldValueDuplicate', path, value),
  /** The API server's `strict decoding error: unknown field "<path>"`, one per field. */
  unknown: (path: string): FieldError => ({
    type: 'UnknownField',
    path,
    message: `unknown field ${goQuote(path)}`,
  }),
}

/** `path: message`, the way the API server lists each cause. */
export const formatFieldError = ({ path, message }: FieldError) => (path ? `${path}: ${message}` : message)

export const formatFieldErrors = (errors: readonly FieldError[]) => errors.map(formatFieldError).join('; ')
