import { readFile } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { parseAllDocuments } from 'yaml'
import { formatFieldErrors, validateResource } from '../api/validate.js'

/** Validates every document of every file; returns the exit code (0 when all are valid). */
export async function validateCommand(
  files: readonly string[],
  out: Writable,
  err: Writable,
): Promise<number> {
  let invalid = 0
  for (const file of files) {
    let documents: ReturnType<typeof parseAllDocuments>
    try {
      documents = parseAllDocuments(await readFile(file, 'utf8'))
    } catch (error) {
      err.write(`${file}: ${(error as Error).message}\n`)
      invalid++
      continue
    }
    for (const [index, document] of (Array.isArray(documents) ? documents : [documents]).entries()) {
      const where = documents.length > 1 ? `${file} (document ${index + 1})` : file
      if (document.errors.length > 0) {
        err.write(`${where}: invalid YAML: ${document.errors[0]?.message}\n`)
        invalid++
        continue
      }
      const result = validateResource(document.toJS())
      if (result.ok) {
        out.write(`${where}: ${result.object.kind} ${result.object.metadata.name} is valid\n`)
      } else {
        err.write(`${where}: ${formatFieldErrors(result.errors)}\n`)
        invalid++
      }
    }
  }
  return invalid === 0 ? 0 : 1
}
