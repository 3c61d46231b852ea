import { stringify } from 'yaml'
import { CRD_HEADER, crdPath, renderCrd } from '../src/api/crd.js'
import { KINDS } from '../src/api/kinds.js'

/** Every generated file and its exact content, so `npm run gen` and the staleness test agree. */
export function generatedFiles(): Map<string, string> {
  return new Map(
    KINDS.map((def) => [crdPath(def), CRD_HEADER + stringify(renderCrd(def), { lineWidth: 0, aliasDuplicateObjects: false })]),
  )
}
