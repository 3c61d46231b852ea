/**
 * One Webspace: where it is served, its state in words (ready, deployed, domains, certificate,
 * release), Edit and Delete, its latest build with the live log, and its Releases, each but the
 * running one with a button that rolls the webspace back to it; a webspace pinned to a release
 * can follow its branch again. Pure.
 */
import type { BuildStatus } from '../../api/webspace.js'
import type { ReleaseView, WebspaceView } from '../schemas.js'
import { buildLog } from './build-log.js'
import { BUILD_LOG_SCRIPT } from './build-log-script.js'
import { actionButton, dataTable, shortCommit, statusWord, when } from './components.js'
import { customerPage, type Viewer } from './frame.js'
import { html, pathOf } from './html.js'
import type { PageProps } from './page.js'
import { servedAt } from './sites-page.js'

export interface WebspaceData {
  readonly webspace: WebspaceView
  readonly releases: readonly ReleaseView[]
  readonly build?: BuildStatus
}

export function webspacePage(viewer: Viewer, data: WebspaceData, notice?: PageProps['notice']) {
  const { webspace, releases, build } = data
  const { spec, status } = webspace
  const path = pathOf('webspaces', webspace.name)
  const csrf = viewer.csrfToken
  const facts = html`<dl>
      <dt>Served at</dt>
      <dd>${servedAt(webspace)}</dd>
      <dt>Runtime</dt>
      <dd><code>${spec.runtime}</code>${spec.size && html`, size ${spec.size}`}</dd>
      <dt>Builds from</dt>
      <dd>branch <code>${spec.git.branch}</code></dd>
      <dt>Ready</dt>
      <dd>${statusWord(status.ready)}</dd>
      <dt>Deployed</dt>
      <dd>${statusWord(status.deployed)}</dd>
      <dt>Domains</dt>
      <dd>${statusWord(status.domain)}</dd>
      <dt>Certificate</dt>
      <dd>${statusWord(status.certificate)}</dd>
      <dt>Release</dt>
      <dd>
        ${statusWord(status.release)}
        ${
          spec.release &&
          html`<span class="muted">(pinned by a rollback)</span>
            ${actionButton({ action: `${path}/follow`, csrf, label: 'Follow the branch again', look: 'secondary' })}`
        }
      </dd>
    </dl>
    <div class="actions">
      <a href="${path}/edit">Edit</a>
      <a href="${path}/delete">Delete…</a>
    </div>`
  const releaseTable = html`<h2 id="releases">Releases</h2>
    ${
      releases.length === 0
        ? html`<p class="muted">No release yet: each successful build makes one.</p>`
        : dataTable(
            releases,
            [
              { header: 'Release', cell: (r) => html`<code>${r.name}</code>` },
              {
                header: 'Commit',
                cell: (r) => html`<code>${shortCommit(r.commit)}</code> on <code>${r.branch}</code>`,
              },
              { header: 'Built', cell: (r) => when(r.createdAt) },
              {
                header: 'Action',
                cell: (r) =>
                  r.running
                    ? statusWord({ state: 'ok', text: 'running now' })
                    : actionButton({
                        action: `${path}/rollback`,
                        csrf,
                        label: 'Roll back',
                        which: `to ${r.name}`,
                        fields: { release: r.name },
                        look: 'secondary',
                      }),
              },
            ],
            'releases',
          )
    }`
  return customerPage(viewer, {
    title: webspace.name,
    section: 'webspaces',
    ...(notice ? { notice } : {}),
    scripts: [BUILD_LOG_SCRIPT],
    body: [facts, buildLog(build, `/api/v1${path}/build/events?follow=true`), releaseTable],
  })
}
