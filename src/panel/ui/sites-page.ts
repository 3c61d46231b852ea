/**
 * The customer's StaticSites, each with its state in words: routed or why not, its certificate,
 * and its last sync. Pure.
 */
import type { SiteView } from '../schemas.js'
import { dataTable, statusWord, when } from './components.js'
import { customerPage, type Viewer } from './frame.js'
import { href, html, pathOf } from './html.js'
import type { PageProps } from './page.js'

/** Where a site or webspace is served: its status URL, else its domains, else nothing yet. */
export const servedAt = (site: {
  readonly url?: string
  readonly spec: { readonly domains?: readonly string[] }
}) =>
  site.url
    ? html`<a href="${href(site.url)}">${site.url}</a>`
    : site.spec.domains?.length
      ? html`${site.spec.domains.join(', ')}`
      : html`<span class="muted">not yet known</span>`

export function sitesPage(viewer: Viewer, sites: readonly SiteView[], notice?: PageProps['notice']) {
  const body = [
    html`<p class="actions"><a class="button" href="/sites/new">New static site</a></p>`,
    sites.length === 0
      ? html`<p>No static sites yet. A static site publishes a Git repository’s files at its own domain.</p>`
      : dataTable(sites, [
          { header: 'Site', cell: (site) => html`<a href="${pathOf('sites', site.name)}">${site.name}</a>` },
          { header: 'Served at', cell: servedAt },
          { header: 'Routing', cell: (site) => statusWord(site.status.routed) },
          { header: 'Certificate', cell: (site) => statusWord(site.status.certificate) },
          {
            header: 'Last sync',
            cell: (site) => html`${statusWord(site.status.sync)}<br />${when(site.status.lastSync)}`,
          },
        ]),
  ]
  return customerPage(viewer, {
    title: 'Static sites',
    section: 'sites',
    ...(notice ? { notice } : {}),
    body,
  })
}
