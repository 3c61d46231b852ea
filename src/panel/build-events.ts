/**
 * A Webspace's build (`status.build`, written by the gitserver while it runs) as server-sent
 * events: what a stream sends when the build it has seen becomes the one the API server holds
 * now. Pure; build-routes.ts does the watching and the writing.
 *
 *   event: build    data: {"branch","commit","preview","startedAt","phase"}   a build (re)started
 *   event: line     data: {"n","text"}    line n (1-based) of the build's log
 *   event: skipped  data: {"lines"}       lines the stream missed (more than the status keeps)
 *   event: end      data: {"phase","release"?,"finishedAt"?}   the build ended; the stream closes
 *   event: none     data: {}              the webspace has no build on record; the stream closes
 *
 * Every data field is JSON, so no line of a build's log can end an event or forge another.
 */
import type { BuildStatus } from '../api/webspace.js'

export const BUILD_EVENTS = ['build', 'line', 'skipped', 'end', 'none'] as const

export interface BuildEvent {
  readonly event: (typeof BUILD_EVENTS)[number]
  readonly data: Readonly<Record<string, unknown>>
}

const sameBuild = (a: BuildStatus, b: BuildStatus) =>
  a.startedAt === b.startedAt && a.commit === b.commit && a.branch === b.branch

const isOver = (build: BuildStatus) => build.phase !== 'Building'

/** The events that take a client from `seen` (undefined: nothing yet) to `now`. */
export function buildEvents(seen: BuildStatus | undefined, now: BuildStatus | undefined): BuildEvent[] {
  if (!now) return []
  const fresh = !seen || !sameBuild(seen, now)
  const events: BuildEvent[] = []
  if (fresh)
    events.push({
      event: 'build',
      data: {
        branch: now.branch,
        commit: now.commit,
        preview: now.preview ?? false,
        startedAt: now.startedAt,
        phase: now.phase,
      },
    })
  const sent = fresh ? 0 : seen.lineCount
  const first = now.lineCount - now.lines.length + 1
  if (now.lineCount > sent && first > sent + 1)
    events.push({ event: 'skipped', data: { lines: first - sent - 1 } })
  now.lines.forEach((text, index) => {
    const n = first + index
    if (n > sent) events.push({ event: 'line', data: { n, text } })
  })
  if (isOver(now) && (fresh || !isOver(seen)))
    events.push({
      event: 'end',
      data: {
        phase: now.phase,
        ...(now.release ? { release: now.release } : {}),
        ...(now.finishedAt ? { finishedAt: now.finishedAt } : {}),
      },
    })
  return events
}

/** Whether a stream that has sent `seen` is done: the build it follows ended. */
export const streamDone = (seen: BuildStatus | undefined) => seen !== undefined && isOver(seen)

/** One event in the text/event-stream format. */
export const sseFrame = ({ event, data }: BuildEvent): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
