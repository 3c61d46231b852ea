/**
 * What a finished restore or drill Job said: `hostplane backup restore|verify` writes one JSON
 * line naming the restore point and what the restored data lacks against what the point
 * recorded (`problems`; none when it is whole). Checked against the schema before any of it
 * reaches a status: the problems name the tenant's tables and files. Pure.
 */
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

const RestoreAnswer = Type.Object({
  point: Type.String({ maxLength: 128 }),
  problems: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 1000 })),
})

export type RestoreAnswer =
  | { readonly ok: true; readonly problems: readonly string[] }
  | { readonly ok: false; readonly message: string }

/** The longest problem kept in a status. */
const MAX_PROBLEM = 512

export function restoreAnswer(message: string | undefined, point: string): RestoreAnswer {
  const line = (message ?? '').trim().split('\n').at(-1) ?? ''
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    return { ok: false, message: line }
  }
  if (!Value.Check(RestoreAnswer, parsed)) return { ok: false, message: 'its answer is not a restore answer' }
  if (parsed.point !== point)
    return { ok: false, message: `it answered for restore point ${parsed.point}, not ${point}` }
  return {
    ok: true,
    problems: (parsed.problems ?? []).map((problem) =>
      problem.length > MAX_PROBLEM ? `${problem.slice(0, MAX_PROBLEM - 1)}…` : problem,
    ),
  }
}
