import { stringify } from 'yaml'
import { CRD_HEADER, crdPath, renderCrd } from '../src/api/crd.js'
import { KINDS } from '../src/api/kinds.js'
import { renderReference } from '../src/api/reference.js'

export const API_REFERENCE_PATH = 'docs/reference/api.md'

/** Every generated file and its exact content, so `npm run gen` and the staleness test agree. */
export function generatedFiles(): Map<string, string> {
  return new Map([
    ...KINDS.map((def): [string, string] => [
      crdPath(def),
      CRD_HEADER + stringify(renderCrd(def), { lineWidth: 0, aliasDuplicateObjects: false }),
    ]),
    [API_REFERENCE_PATH, renderReference(KINDS)],
  ])
}
