/**
 * The documents `hostplane validate` checks: files, the `*.yaml` / `*.yml` files of a directory
 * (not its subdirectories, as `hostplane serve` reads a sites directory), and standard input for
 * `-`, parsed by ../api/yaml-documents.ts. A path that cannot be read is one problem naming it,
 * never a crash.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { type InputDocument, type InputProblem, type Inputs, parseDocuments } from '../api/yaml-documents.js'
import { isSiteFile } from '../standalone/site-files.js'

export const STDIN = '-'
/** How standard input is named in messages. */
export const STDIN_NAME = '<stdin>'

const FS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many symbolic links',
}

const readProblem = (file: string, error: unknown): InputProblem => {
  const code = (error as NodeJS.ErrnoException).code ?? ''
  return { file, message: `cannot read: ${FS_ERRORS[code] ?? (error as Error).message}` }
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
  return Buffer.concat(chunks).toString('utf8')
}

/** The files a path stands for: itself, or a directory's YAML files in name order. */
async function filesOf(path: string): Promise<{ files: string[] } | { problem: InputProblem }> {
  try {
    if (!(await stat(path)).isDirectory()) return { files: [path] }
    const names = (await readdir(path)).filter(isSiteFile).sort()
    if (names.length === 0)
      return { problem: { file: path, message: 'directory holds no *.yaml or *.yml file' } }
    return { files: names.map((name) => join(path, name)) }
  } catch (error) {
    return { problem: readProblem(path, error) }
  }
}

export async function readInputs(paths: readonly string[], stdin: Readable): Promise<Inputs> {
  const documents: InputDocument[] = []
  const problems: InputProblem[] = []
  const add = (parsed: Inputs) => {
    documents.push(...parsed.documents)
    problems.push(...parsed.problems)
  }
  for (const path of paths) {
    if (path === STDIN) {
      add(parseDocuments(STDIN_NAME, await readAll(stdin)))
      continue
    }
    const found = await filesOf(path)
    if ('problem' in found) {
      problems.push(found.problem)
      continue
    }
    for (const file of found.files) {
      const text = await readFile(file, 'utf8').catch((error: unknown) => {
        problems.push(readProblem(file, error))
        return undefined
      })
      if (text !== undefined) add(parseDocuments(file, text))
    }
  }
  return { documents, problems }
}
