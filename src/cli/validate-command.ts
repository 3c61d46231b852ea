/**
 * `hostplane validate`: every document of the given files, directories and standard input is
 * checked as the API server would check it on create, then the valid StaticSites and Webspaces
 * are checked together for domain claims they would lose. Findings carry file, line and column,
 * as text lines (`file:line:column: Kind name: field: message`) or one JSON document.
 */
import type { Readable, Writable } from 'node:stream'
import { validateResource } from '../api/validate.js'
import { type ClaimSubject, claimProblems } from './validate-claims.js'
import type { InputDocument, Position } from '../api/yaml-documents.js'
import { readInputs } from './validate-input.js'

export type OutputFormat = 'text' | 'json'
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json']

export interface ValidateOptions {
  readonly output: OutputFormat
  /** Default domains are `<name>-<namespace>.<pagesDomain>`; names under it are reserved. */
  readonly pagesDomain: string
}

export interface ValidateIo {
  readonly stdin: Readable
  readonly out: Writable
  readonly err: Writable
}

interface Identity {
  readonly kind?: string
  readonly namespace?: string
  readonly name?: string
}

/** One problem found; only `file` and `message` are always set. */
export interface Finding extends Identity, Partial<Position> {
  readonly file: string
  readonly document?: number
  readonly field?: string
  /** For claim problems, the operator's condition reason. */
  readonly reason?: string
  readonly message: string
}

interface Checked extends Identity, Position {
  readonly file: string
  readonly document: number
  readonly valid: boolean
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** What a document says it is, as far as it can be read. */
function identityOf(value: unknown): Identity {
  if (!isRecord(value)) return {}
  const metadata = isRecord(value.metadata) ? value.metadata : {}
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined)
  return { kind: text(value.kind), namespace: text(metadata.namespace), name: text(metadata.name) }
}

const DEFAULT_NAMESPACE = 'default'

function claimSubject(value: Record<string, unknown>): ClaimSubject | undefined {
  const { kind, namespace = DEFAULT_NAMESPACE, name } = identityOf(value)
  if ((kind !== 'StaticSite' && kind !== 'Webspace') || !name) return undefined
  const spec = value.spec as { domains?: string[]; pathPrefix?: string }
  return { kind, namespace, name, domains: spec.domains, pathPrefix: spec.pathPrefix }
}

export async function validateCommand(paths: readonly string[], options: ValidateOptions, io: ValidateIo) {
  const { documents, problems } = await readInputs(paths, io.stdin)
  const findings: Finding[] = problems.map((p) => ({ ...p }))
  const subjects: { document: InputDocument; subject: ClaimSubject }[] = []
  for (const document of documents) {
    const { file } = document
    const identity = identityOf(document.value)
    const result = validateResource(document.value)
    if (result.ok) {
      const subject = claimSubject(result.object as unknown as Record<string, unknown>)
      if (subject) subjects.push({ document, subject })
      continue
    }
    for (const error of result.errors)
      findings.push({
        file,
        document: document.document,
        ...document.locate(error.path),
        ...identity,
        ...(error.path ? { field: error.path } : {}),
        message: error.message,
      })
  }
  for (const problem of claimProblems(
    subjects.map((s) => s.subject),
    options.pagesDomain,
  )) {
    const { document, subject } = subjects[problem.subject] ?? {}
    if (!document || !subject) continue
    findings.push({
      file: document.file,
      document: document.document,
      ...document.locate(problem.field),
      kind: subject.kind,
      namespace: subject.namespace,
      name: subject.name,
      field: problem.field,
      reason: problem.reason,
      message: problem.message,
    })
  }
  const valid = findings.length === 0
  const checked: Checked[] = documents.map(({ file, document, line, column, value }) => ({
    file,
    document,
    line,
    column,
    ...identityOf(value),
    valid: !findings.some((f) => f.file === file && f.document === document),
  }))
  if (options.output === 'json') {
    io.out.write(`${JSON.stringify({ valid, documents: checked, errors: findings }, null, 2)}\n`)
  } else {
    for (const c of checked.filter((c) => c.valid))
      io.out.write(`${c.file}:${c.line}:${c.column}: ${describe(c)} is valid\n`)
    for (const f of findings) io.err.write(`${formatFinding(f)}\n`)
  }
  return valid ? 0 : 1
}

const describe = ({ kind, namespace, name }: Identity) =>
  [kind, namespace && name ? `${namespace}/${name}` : name].filter(Boolean).join(' ')

/** `file:line:column: Kind namespace/name: field: [reason: ]message`, one line. */
export function formatFinding(f: Finding): string {
  const where = [f.file, f.line, f.column].filter((part) => part !== undefined).join(':')
  const parts = [where, describe(f), f.field, f.reason, f.message.replace(/\s*\n\s*/g, ' ')]
  return parts.filter(Boolean).join(': ')
}
