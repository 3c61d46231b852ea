/**
 * One StaticSite: where it is served, its state in words (ready, routed, domains, certificate,
 * last sync), Sync now, Edit and Delete, and its kept revisions, each but the served one with a
 * button that rolls the site back to it. Pure.
 */
import type { SiteView } from '../schemas.js'
import { actionButton, dataTable, shortCommit, statusWord, when } from './components.js'
import { customerPage, type Viewer } from './frame.js'
import { html, pathOf } from './html.js'
import type { PageProps } from './page.js'
import { servedAt } from './sites-page.js'

export function sitePage(viewer: Viewer, site: SiteView, notice?: PageProps['notice']) {
  const { spec, status } = site
  const path = pathOf('sites', site.name)
  const served = status.lastCommit ?? status.revisions[0]?.commit
  const csrf = viewer.csrfToken
  const facts = html`<dl>
      <dt>Served at</dt>
      <dd>${servedAt(site)}</dd>
      <dt>Repository</dt>
      <dd>
        <code>${spec.repo}</code>,
        <code>${spec.ref}</code>${spec.path !== '/' && html`, path <code>${spec.path}</code>`}
      </dd>
      <dt>Ready</dt>
      <dd>${statusWord(status.ready)}</dd>
      <dt>Routing</dt>
      <dd>${statusWord(status.routed)}</dd>
      <dt>Domains</dt>
      <dd>${statusWord(status.domain)}</dd>
      <dt>Certificate</dt>
      <dd>${statusWord(status.certificate)}</dd>
      <dt>Last sync</dt>
      <dd>
        ${statusWord(status.sync)}, ${when(status.lastSync)}
        <span class="muted">(checked every ${spec.syncInterval})</span>
      </dd>
    </dl>
    <div class="actions">
      ${actionButton({ action: `${path}/sync`, csrf, label: 'Sync now' })}
      <a href="${path}/edit">Edit</a>
      <a href="${path}/delete">Delete…</a>
    </div>`
  const revisions = html`<h2 id="revisions">Revisions</h2>
    ${
      status.revisions.length === 0
        ? html`<p class="muted">Nothing published yet.</p>`
        : dataTable(
            status.revisions,
            [
              { header: 'Commit', cell: (revision) => html`<code>${shortCommit(revision.commit)}</code>` },
              { header: 'Published', cell: (revision) => when(revision.publishedAt) },
              {
                header: 'Action',
                cell: (revision) =>
                  revision.commit === served
                    ? statusWord({ state: 'ok', text: 'served now' })
                    : actionButton({
                        action: `${path}/rollback`,
                        csrf,
                        label: 'Roll back',
                        which: `to ${shortCommit(revision.commit)}`,
                        fields: { commit: revision.commit },
                        look: 'secondary',
                      }),
              },
            ],
            'revisions',
          )
    }`
  return customerPage(viewer, {
    title: site.name,
    section: 'sites',
    ...(notice ? { notice } : {}),
    body: [facts, revisions],
  })
}
