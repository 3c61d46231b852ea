/**
 * Fastify's own refusals (schema validation, body parsing, size) as PanelErrors, so every error
 * answer has the same shape. A malformed name in the path can name no object: 404, as for any
 * other missing object. A body that fails its schema is 422 with the fields, like the API
 * server's own refusals. Pure.
 */
import { type FieldProblem, PanelError } from './errors.js'

interface AjvError {
  readonly instancePath?: string
  readonly message?: string
  readonly params?: { readonly missingProperty?: string; readonly additionalProperty?: string }
}

interface FastifyRefusal {
  readonly code?: string
  readonly statusCode?: number
  readonly message: string
  readonly validation?: readonly AjvError[]
  readonly validationContext?: string
}

/** `/spec/domains/0` → `spec.domains[0]`, the API server's way of naming a field. */
export function fieldPath(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').filter(Boolean)
  if (child) parts.push(child)
  return parts.reduce(
    (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part),
    '',
  )
}

const problems = (errors: readonly AjvError[]): FieldProblem[] =>
  errors.map((e) => {
    const field = fieldPath(e.instancePath ?? '', e.params?.missingProperty ?? e.params?.additionalProperty)
    return { field, message: e.params?.missingProperty ? 'Required value' : (e.message ?? 'invalid') }
  })

/** The PanelError for an error fastify raised before a handler ran; undefined when it is not one. */
export function requestError(error: FastifyRefusal): PanelError | undefined {
  if (error.validation) {
    if (error.validationContext === 'params') return new PanelError('HP_ERR_PANEL_NOT_FOUND')
    if (error.validationContext === 'body') {
      const fields = problems(error.validation)
      const said = fields.map((f) => (f.field ? `${f.field}: ${f.message}` : f.message)).join('; ')
      return new PanelError('HP_ERR_PANEL_INVALID', said, fields)
    }
    return new PanelError('HP_ERR_PANEL_BAD_REQUEST', error.message)
  }
  if (error.statusCode === 413) return new PanelError('HP_ERR_PANEL_TOO_LARGE')
  if (error.statusCode === 415) return new PanelError('HP_ERR_PANEL_UNSUPPORTED_MEDIA')
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
    return new PanelError('HP_ERR_PANEL_BAD_REQUEST', error.message)
  return undefined
}
