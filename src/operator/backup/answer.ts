/**
 * What a finished backup Job said: the one JSON line `hostplane backup run` writes as its
 * termination message, checked against the schema before any of it reaches a status (table
 * names in it are the tenant's), or — when the Job failed — the message's last words. Pure.
 */
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { DatabaseResult, FilesResult } from '../../api/backup.js'

const RunAnswer = Type.Object({
  point: Type.String({ maxLength: 128 }),
  files: Type.Optional(FilesResult),
  database: Type.Optional(DatabaseResult),
})

export type BackupAnswer =
  | { readonly ok: true; readonly files?: FilesResult; readonly database?: DatabaseResult }
  | { readonly ok: false; readonly message: string }

/** The longest failure text kept in a condition: the end of a log, where the error is. */
const MAX_FAILURE = 1024

const FailureAnswer = Type.Object({ error: Type.String() })

/**
 * A failed container's message: the error of the `{"error": …}` answer a backup command leaves in
 * its answer file, or else the last line that says something (FallbackToLogsOnError keeps the
 * log's tail when the file is empty).
 */
export function failureText(message: string | undefined): string {
  const lines = (message ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const last = lines.at(-1)
  const text = last === undefined ? 'no message (the container left none)' : (answeredError(last) ?? last)
  return text.length > MAX_FAILURE ? `…${text.slice(-MAX_FAILURE)}` : text
}

function answeredError(line: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(line)
    return Value.Check(FailureAnswer, parsed) ? parsed.error : undefined
  } catch {
    return undefined
  }
}

/**
 * The answer of a Job that succeeded. A success whose message is not a valid answer is a failure:
 * a restore point nobody can describe is not one to trust.
 */
export function successAnswer(message: string | undefined, point: string): BackupAnswer {
  const line = (message ?? '').trim().split('\n').at(-1) ?? ''
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    return { ok: false, message: `the Job succeeded but its answer is not JSON: ${failureText(line)}` }
  }
  if (!Value.Check(RunAnswer, parsed))
    return { ok: false, message: 'the Job succeeded but its answer is not a backup answer' }
  if (parsed.point !== point)
    return { ok: false, message: `the Job answered for restore point ${parsed.point}, not ${point}` }
  return { ok: true, files: parsed.files, database: parsed.database }
}

/** Why a restore point is empty, if it is: no file in the volume, no table in the database. */
export function emptiness(answer: {
  readonly files?: FilesResult
  readonly database?: DatabaseResult
}): string | undefined {
  const empty = [
    ...(answer.files && answer.files.files === 0 ? ['the volume holds no file'] : []),
    ...(answer.database && answer.database.tables === 0 ? ['the database holds no table'] : []),
  ]
  return empty.length > 0 ? `${empty.join(' and ')}: nothing to restore` : undefined
}
