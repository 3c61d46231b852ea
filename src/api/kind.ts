/**
 * The description of one hostplane kind: its names, scope, schemas and table columns. CRDs, the
 * runtime validator and the clients are all derived from these records.
 */
import type { TObject } from '@sinclair/typebox'
import type { CelRule } from './schema-kit.js'

export const GROUP = 'hostplane.dev'
export const VERSION = 'v1alpha1'
export const API_VERSION = `${GROUP}/${VERSION}`

export interface PrinterColumn {
  readonly name: string
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date'
  readonly jsonPath: string
  readonly description?: string
  readonly priority?: number
}

export interface KindDefinition {
  readonly kind: string
  readonly plural: string
  readonly singular: string
  readonly shortNames: readonly string[]
  readonly scope: 'Namespaced' | 'Cluster'
  readonly description: string
  readonly spec: TObject
  readonly status: TObject
  /** Rules about the whole object, e.g. limits on `metadata.name`. */
  readonly objectRules?: readonly CelRule[]
  readonly printerColumns: readonly PrinterColumn[]
}
