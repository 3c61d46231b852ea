import { celString } from '../api/schema-kit.js'

/** CEL for the value of a label of a CEL object expression, or '' when it has none. */
export const celLabel = (object: string, label: string) =>
  `(has(${object}.metadata.labels) && ${celString(label)} in ${object}.metadata.labels ? ${object}.metadata.labels[${celString(label)}] : '')`
