/**
 * The documents `hostplane validate` checks: files, the `*.yaml` / `*.yml` files of a directory
 * (not its subdirectories, as `hostplane serve` reads a sites directory), and standard input for
 * `-`. Each document keeps its YAML nodes so a field path can be turned back into the line and
 * column it was written on. A path that cannot be read is one problem naming it, never a crash.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml'
import { isSiteFile } from '../standalone/site-files.js'

export const STDIN = '-'
/** How standard input is named in messages. */
export const STDIN_NAME = '<stdin>'

export interface Position {
  readonly line: number
  readonly column: number
}

export interface InputDocument extends Position {
  readonly file: string
  /** Place in its file, from 1. */
  readonly document: number
  readonly value: unknown
  /** Where a field (Kubernetes notation, e.g. `spec.domains[1]`) was written, or its nearest parent. */
  locate(field: string): Position
}

export interface InputProblem extends Partial<Position> {
  readonly file: string
  readonly document?: number
  readonly message: string
}

export interface Inputs {
  readonly documents: readonly InputDocument[]
  readonly problems: readonly InputProblem[]
}

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

/** `spec.headers[0].set[X-Test]` → `spec`, `headers`, 0, `set`, `X-Test`. */
const fieldSegments = (field: string): (string | number)[] =>
  [...field.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)].map(([, name, key]) =>
    name !== undefined ? name : /^\d+$/.test(key ?? '') ? Number(key) : (key ?? ''),
  )

function locator(document: Document, lines: LineCounter) {
  const at = (node: { range?: [number, number, number] | null } | null | undefined, fallback: Position) =>
    node?.range
      ? { line: lines.linePos(node.range[0]).line, column: lines.linePos(node.range[0]).col }
      : fallback
  const start = at(document.contents, { line: 1, column: 1 })
  return {
    start,
    locate(field: string): Position {
      let node: unknown = document.contents
      let position = start
      for (const segment of fieldSegments(field)) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment))
          if (!pair) break
          position = at(pair.key as Node, position)
          node = pair.value
        } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
          node = node.items[segment]
          position = at(node as Node, position)
        } else break
      }
      return position
    },
  }
}

/** Every document of one file's text; YAML errors become problems with their position. */
export function parseDocuments(file: string, text: string): Inputs {
  const lines = new LineCounter()
  const documents: InputDocument[] = []
  const problems: InputProblem[] = []
  for (const [index, document] of parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
  }).entries()) {
    const [error] = document.errors
    if (error) {
      const { line, col } = lines.linePos(error.pos[0])
      problems.push({
        file,
        document: index + 1,
        line,
        column: col,
        message: `invalid YAML: ${error.message}`,
      })
      continue
    }
    const { start, locate } = locator(document, lines)
    let value: unknown
    try {
      value = document.toJS()
    } catch (aliasError) {
      // The yaml library refuses alias bombs (a few lines expanding to millions of nodes) here.
      const message = `invalid YAML: ${(aliasError as Error).message}`
      problems.push({ file, document: index + 1, ...start, message })
      continue
    }
    if (value === null || value === undefined) continue
    documents.push({ file, document: index + 1, ...start, value, locate })
  }
  return { documents, problems }
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
