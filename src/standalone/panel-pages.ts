/**
 * The pages of `hostplane serve`'s panel (local-panel.ts): the sites with their status in words,
 * one site with its revisions, and the sign-in. Pure functions from data to HTML, in the frame and
 * with the stylesheet of the cluster panel's pages (src/panel/ui).
 */
import type { StatusWord } from '../panel/status-words.js'
import { actionButton, csrfField, shortCommit as short, statusWord as word } from '../panel/ui/components.js'
import { type Html, html, type Interpolation } from '../panel/ui/html.js'
import { page, type PageProps } from '../panel/ui/page.js'
import type { SiteSyncState } from './site-driver.js'
import type { SiteStatus } from './routed-sites.js'

export const PANEL_PREFIX = '/panel'
const SITE = 'hostplane serve'

/** One site as the pages show it: where it is routed and how its syncing stands. */
export interface SiteRow {
  readonly status: SiteStatus
  readonly sync: SiteSyncState
  /** `spec.ref` of its file. */
  readonly ref: string
}

export function routedWord(status: SiteStatus): StatusWord {
  return status.routed
    ? { state: 'ok', text: 'routed' }
    : { state: 'problem', text: `not routed: ${status.reason ?? 'unknown'}` }
}

export function syncWord(sync: SiteSyncState): StatusWord {
  switch (sync.state) {
    case 'pending':
      return { state: 'pending', text: 'waiting for its first sync' }
    case 'synced':
      return { state: 'ok', text: `synced at ${short(sync.commit)}` }
    case 'failing':
      return {
        state: 'problem',
        text: sync.commit ? `failing; still serving ${short(sync.commit)}` : 'failing; nothing published yet',
      }
  }
}

export const sitePath = (id: string) => `${PANEL_PREFIX}/sites/${id}`

const frame = (props: Omit<PageProps, 'site' | 'assetsPrefix' | 'nav'> & { current?: 'sites' }) =>
  page({
    ...props,
    site: SITE,
    assetsPrefix: PANEL_PREFIX,
    nav: props.current
      ? [{ href: `${PANEL_PREFIX}/`, text: 'Sites', current: props.current === 'sites' }]
      : [],
  })

const signOut = (csrf: string) =>
  html`<form class="inline" method="post" action="${PANEL_PREFIX}/sign-out">
    ${csrfField(csrf)}<button class="secondary" type="submit">Sign out</button>
  </form>`

export function sitesPage(rows: readonly SiteRow[], csrf: string, problems: readonly string[]): Html {
  const body: Interpolation = [
    rows.length === 0
      ? html`<p>No StaticSite files yet: add one to the sites directory and it appears here.</p>`
      : html`<table>
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Domains</th>
              <th scope="col">Routing</th>
              <th scope="col">Sync</th>
              <th scope="col">Last sync</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              ({ status, sync }) =>
                html`<tr>
                  <td data-label="Site"><a href="${sitePath(status.site)}">${status.site}</a></td>
                  <td data-label="Domains">
                    ${status.domains.join(', ') || html`<span class="muted">none</span>`}
                  </td>
                  <td data-label="Routing">${word(routedWord(status))}</td>
                  <td data-label="Sync">${word(syncWord(sync))}</td>
                  <td data-label="Last sync">${sync.lastSync ?? html`<span class="muted">never</span>`}</td>
                </tr>`,
            )}
          </tbody>
        </table>`,
    problems.length > 0 &&
      html`<h2>Problems in the site files</h2>
        <ul>
          ${problems.map((p) => html`<li><code>${p}</code></li>`)}
        </ul>`,
    html`<p>${signOut(csrf)}</p>`,
  ]
  return frame({ title: 'Sites', current: 'sites', body })
}

export type SiteNotice = 'synced' | 'rolled-back' | 'ref-changed'

const NOTICES: Readonly<Record<SiteNotice, string>> = {
  synced: 'Sync requested: the site is checked for a new commit now.',
  'rolled-back': 'Rolled back: the site’s file now pins that commit, which is served again.',
  'ref-changed': 'The site’s file now follows that ref; it is synced now.',
}

export const isSiteNotice = (value: unknown): value is SiteNotice =>
  typeof value === 'string' && value in NOTICES

export function sitePage(
  row: SiteRow,
  file: string,
  csrf: string,
  notice?:
    { readonly kind: 'ok'; readonly done: SiteNotice } | { readonly kind: 'problem'; readonly text: string },
): Html {
  const { status, sync, ref } = row
  const action = (what: string) => `${sitePath(status.site)}/${what}`
  const served = sync.revisions[0]?.commit
  const body: Interpolation = [
    html`<dl>
        <dt>File</dt>
        <dd><code>${file}</code></dd>
        <dt>Follows</dt>
        <dd><code>${ref}</code></dd>
        <dt>Domains</dt>
        <dd>${status.domains.join(', ') || html`<span class="muted">none</span>`}</dd>
        <dt>Routing</dt>
        <dd>
          ${word(routedWord(status))}${status.message && html` <span class="muted">${status.message}</span>`}
        </dd>
        <dt>Sync</dt>
        <dd>
          ${word(syncWord(sync))}${sync.failure && html` <span class="muted">${sync.failure.message}</span>`}
        </dd>
        <dt>Last sync</dt>
        <dd>${sync.lastSync ?? 'never'}</dd>
      </dl>
      <form method="post" action="${action('sync')}">
        ${csrfField(csrf)}<button type="submit">Sync now</button>
      </form>`,
    html`<h2 id="revisions">Revisions</h2>`,
    sync.revisions.length === 0
      ? html`<p>Nothing published yet.</p>`
      : html`<table aria-labelledby="revisions">
          <thead>
            <tr>
              <th scope="col">Commit</th>
              <th scope="col">Published</th>
              <th scope="col"><span class="muted">Action</span></th>
            </tr>
          </thead>
          <tbody>
            ${sync.revisions.map(
              (revision) =>
                html`<tr>
                  <td data-label="Commit"><code>${short(revision.commit)}</code></td>
                  <td data-label="Published">${revision.publishedAt}</td>
                  <td>
                    ${
                      revision.commit === served
                        ? html`<span class="word ok">served now</span>`
                        : actionButton({
                            action: action('ref'),
                            csrf,
                            label: 'Roll back',
                            which: `to ${short(revision.commit)}`,
                            fields: { ref: revision.commit },
                          })
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>`,
    html`<h2>Follow a branch or tag</h2>
      <form method="post" action="${action('ref')}">
        ${csrfField(csrf)}
        <label for="ref">Ref</label>
        <input
          id="ref"
          name="ref"
          required
          maxlength="255"
          value="${/^[0-9a-f]{40}$/.test(ref) ? 'main' : ref}"
          aria-describedby="ref-help"
        />
        <p id="ref-help" class="muted">
          Written to <code>spec.ref</code> in the site’s file, which keeps its comments.
        </p>
        <button type="submit">Follow</button>
      </form>
      <p>${signOut(csrf)}</p>`,
  ]
  return frame({
    title: status.site,
    current: 'sites',
    notice:
      notice?.kind === 'ok'
        ? { kind: 'ok', text: NOTICES[notice.done] }
        : notice && { kind: 'problem', text: notice.text },
    body,
  })
}

export function signInPage(tokenHint: string, problem?: string): Html {
  return frame({
    title: 'Sign in',
    notice: problem ? { kind: 'problem', text: problem } : undefined,
    body: html`<p>
        The panel of this <code>hostplane serve</code> takes its sync token, which only whoever can read
        <code>${tokenHint}</code> has.
      </p>
      <form method="post" action="${PANEL_PREFIX}/sign-in">
        <label for="token">Sync token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          required
          maxlength="256"
          aria-describedby="token-help"
        />
        <p id="token-help" class="muted">Print it with <code>cat ${tokenHint}</code>.</p>
        <button type="submit">Sign in</button>
      </form>`,
  })
}
