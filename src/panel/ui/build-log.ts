/**
 * A webspace's latest build on its page: its state in words and the last lines of its log as the
 * Webspace's status holds them, rendered by the server, so the page says where the build stands
 * without a script. The script (build-log-script.ts) then follows the build, and the builds after
 * it, live from `/api/v1/webspaces/<name>/build/events?follow=true` and writes the same words. Pure.
 */
import type { BuildStatus } from '../../api/webspace.js'
import type { StatusWord } from '../status-words.js'
import { shortCommit, statusWord, when } from './components.js'
import { type Html, html } from './html.js'

/** A build's phase in words; the script says the same of the events it receives. */
export function buildWord(build: BuildStatus | undefined): StatusWord {
  if (!build) return { state: 'pending', text: 'never built' }
  switch (build.phase) {
    case 'Building':
      return { state: 'pending', text: 'building' }
    case 'Succeeded':
      return { state: 'ok', text: build.release ? `succeeded: release ${build.release}` : 'succeeded' }
    case 'Failed':
      return { state: 'problem', text: 'failed' }
  }
}

/** The build section of a webspace's page; `events` is the stream the script follows. */
export function buildLog(build: BuildStatus | undefined, events: string): Html {
  const skipped = build ? build.lineCount - build.lines.length : 0
  return html`<h2 id="build">Last build</h2>
    <p aria-live="polite">
      <span id="build-state">${statusWord(buildWord(build))}</span>
      <span class="muted" id="build-of"
        >${
          build
            ? html`of <code>${build.branch}</code> at <code>${shortCommit(build.commit)}</code>, started
                ${when(build.startedAt)}`
            : 'Push to the webspace’s repository to build it.'
        }</span
      >
    </p>
    <pre class="log" id="build-log" role="log" tabindex="0" aria-labelledby="build" data-events="${events}">
${skipped > 0 && `… ${skipped} earlier lines not kept …\n`}${(build?.lines ?? []).map((line) => `${line}\n`)}</pre>`
}
