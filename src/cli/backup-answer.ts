/**
 * A backup command's answer: one JSON line on stdout, whole, and with `--answer-file` the same
 * answer in a file a Job keeps as its container's termination message, which Kubernetes cuts at
 * 4096 bytes. Cut there, a line is no longer JSON, so the file's copy is made to fit instead:
 * every list is shortened, a `<list>NotShown` count beside it, and long texts end in `…`.
 */
import { writeFile } from 'node:fs/promises'

export const TERMINATION_MESSAGE_BYTES = 4096
const MAX_TEXT = 300
const MAX_ITEMS = 32

function shortened(value: unknown, maxItems: number): unknown {
  if (typeof value === 'string') return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value
  if (Array.isArray(value)) return value.slice(0, maxItems).map((item) => shortened(item, maxItems))
  if (value === null || typeof value !== 'object') return value
  const fitted: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    fitted[key] = shortened(item, maxItems)
    if (Array.isArray(item) && item.length > maxItems) fitted[`${key}NotShown`] = item.length - maxItems
  }
  return fitted
}

/** `answer` as one JSON line of fewer than `maxBytes` bytes (with its newline): lists are cut until it fits. */
export function fittedAnswer(answer: object, maxBytes = TERMINATION_MESSAGE_BYTES): string {
  // Dates and other values as JSON has them, before any is cut.
  const plain: unknown = JSON.parse(JSON.stringify(answer))
  for (let maxItems = MAX_ITEMS; ; maxItems = Math.floor(maxItems / 2)) {
    const line = `${JSON.stringify(shortened(plain, maxItems))}\n`
    if (Buffer.byteLength(line) <= maxBytes || maxItems === 0) return line
  }
}

/** Writes `answer` to stdout, and fitted to `answerFile` when given. */
export async function writeAnswer(answer: object, answerFile: string | undefined): Promise<void> {
  process.stdout.write(`${JSON.stringify(answer)}\n`)
  if (answerFile) await writeFile(answerFile, fittedAnswer(answer))
}

/** A command that failed says why in its answer file too: the termination message is where a controller looks. */
export async function writeFailure(error: unknown, answerFile: string | undefined): Promise<void> {
  if (answerFile)
    await writeFile(
      answerFile,
      fittedAnswer({ error: error instanceof Error ? error.message : String(error) }),
    ).catch(() => undefined)
}
