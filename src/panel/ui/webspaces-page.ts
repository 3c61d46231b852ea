/**
 * The customer's Webspaces, each with its state in words: ready, the release it runs, and its
 * last successful build. Pure.
 */
import type { WebspaceView } from '../schemas.js'
import { dataTable, shortCommit, statusWord, when } from './components.js'
import { customerPage, type Viewer } from './frame.js'
import { html, pathOf } from './html.js'
import type { PageProps } from './page.js'
import { servedAt } from './sites-page.js'

export const lastBuildText = (webspace: WebspaceView) => {
  const build = webspace.status.lastBuild
  return build
    ? html`<code>${build.release}</code> of <code>${build.branch}</code> at
        <code>${shortCommit(build.commit)}</code>, ${when(build.builtAt)}`
    : html`<span class="muted">none yet</span>`
}

export function webspacesPage(
  viewer: Viewer,
  webspaces: readonly WebspaceView[],
  notice?: PageProps['notice'],
) {
  const body = [
    html`<p class="actions"><a class="button" href="/webspaces/new">New webspace</a></p>`,
    webspaces.length === 0
      ? html`<p>
          No webspaces yet. A webspace runs your application (PHP, Node.js, …), built from each push to its
          Git repository.
        </p>`
      : dataTable(webspaces, [
          { header: 'Webspace', cell: (w) => html`<a href="${pathOf('webspaces', w.name)}">${w.name}</a>` },
          { header: 'Served at', cell: servedAt },
          { header: 'State', cell: (w) => statusWord(w.status.ready) },
          { header: 'Release', cell: (w) => statusWord(w.status.release) },
          { header: 'Last build', cell: lastBuildText },
        ]),
  ]
  return customerPage(viewer, {
    title: 'Webspaces',
    section: 'webspaces',
    ...(notice ? { notice } : {}),
    body,
  })
}
