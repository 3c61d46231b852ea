/**
 * What `spec.ref` names: a full commit id, or a branch or tag name. Names are checked against
 * git's ref-name rules and never start with '-', so a ref can never be read as an option, and git
 * only ever sees them inside `refs/heads/…` or `refs/tags/…`.
 */
import { SyncError } from './sync-error.js'

export type GitRef =
  { readonly kind: 'commit'; readonly commit: string } | { readonly kind: 'name'; readonly name: string }

const COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/
const FORBIDDEN = [
  [/^-/, "starts with '-'"],
  [/[\0-\x20\x7f~^:?*[\\]/, 'contains a space, control character or one of ~ ^ : ? * [ \\'],
  [/\.\./, "contains '..'"],
  [/@\{/, "contains '@{'"],
  [/(^|\/)\./, "has a component starting with '.'"],
  [/(\.lock|\/|\.)$/, "ends with '/', '.' or '.lock'"],
  [/^\/|\/\//, "starts with '/' or contains '//'"],
  [/^@$/, "is '@'"],
] as const

export function parseRef(ref: string): GitRef {
  if (COMMIT.test(ref)) return { kind: 'commit', commit: ref }
  if (ref.length === 0 || ref.length > 255)
    throw new SyncError('HP_ERR_SYNC_REF_INVALID', 'ref refused: it must have 1 to 255 characters')
  for (const [pattern, why] of FORBIDDEN) {
    if (pattern.test(ref))
      throw new SyncError('HP_ERR_SYNC_REF_INVALID', `ref refused: ${JSON.stringify(ref)} ${why}`)
  }
  return { kind: 'name', name: ref }
}
