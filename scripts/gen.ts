/** Regenerates every committed artefact derived from the source: the CRDs, the API reference, the wordpress Runtime. */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { generatedFiles } from './generated-files.js'

const root = join(import.meta.dirname, '..')
for (const [path, content] of generatedFiles()) {
  await mkdir(dirname(join(root, path)), { recursive: true })
  await writeFile(join(root, path), content)
  console.log(`wrote ${path}`)
}
