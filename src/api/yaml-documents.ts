/**
 * The documents of one YAML text, each with its YAML nodes kept so a field path can be turned back
 * into the line and column it was written on. YAML errors (and alias bombs, which the yaml library
 * refuses only when a document is converted) become problems with their position, never a throw.
 * `hostplane validate` and `hostplane serve` read their files through this one parser.
 */
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml'

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
