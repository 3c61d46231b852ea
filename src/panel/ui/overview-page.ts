/**
 * The overview, a customer's first page: the account (tier, size, suspended or not, the domain
 * suffixes it may claim), what it uses of its quota, and every domain its sites and webspaces use
 * with the claim in words and what to fix when it is not claimed. Pure.
 */
import type { DomainsView, MeView, UsageView } from '../schemas.js'
import { dataTable, statusWord } from './components.js'
import { customerPage, type Viewer } from './frame.js'
import { html, pathOf } from './html.js'
import type { PageProps } from './page.js'

export interface OverviewData {
  readonly me: MeView
  readonly usage: UsageView
  readonly domains: DomainsView
}

const usedBy = ({ kind, object }: DomainsView['used'][number]) =>
  html`${kind === 'StaticSite' ? 'site' : 'webspace'}
    <a href="${pathOf(kind === 'StaticSite' ? 'sites' : 'webspaces', object)}">${object}</a>`

const QUOTA_WORDS = { ok: 'fine', pending: 'nearly full', problem: 'limit reached' } as const

export function overviewPage(viewer: Viewer, data: OverviewData, notice?: PageProps['notice']) {
  const { me, usage, domains } = data
  const account = html`<h2 id="account">Account</h2>
    <dl>
      <dt>Customer</dt>
      <dd>${me.displayName} <span class="muted">(${me.customer})</span></dd>
      <dt>Tier and size</dt>
      <dd>${me.tier}, ${me.size}</dd>
      <dt>State</dt>
      <dd>
        ${statusWord(
          me.suspended
            ? { state: 'problem', text: 'suspended: your sites are not served; contact your provider' }
            : { state: 'ok', text: 'active' },
        )}
      </dd>
      <dt>Domains you may use</dt>
      <dd>
        ${
          domains.allowed.length > 0
            ? html`${domains.allowed.map((d, i) => html`${i > 0 && ', '}<code>${d}</code>`)}
                <span class="muted">and every subdomain</span>`
            : html`<span class="muted">only the default domain of each site</span>`
        }
      </dd>
    </dl>`
  const quota = html`<h2 id="usage">Usage</h2>
    ${
      usage.items.length === 0
        ? html`<p class="muted">Your namespace has no quota.</p>`
        : dataTable(
            usage.items,
            [
              { header: 'Limit', cell: (line) => line.label },
              {
                header: 'Used',
                cell: (line) =>
                  html`${line.used} of ${line.hard}
                    <meter
                      min="0"
                      max="100"
                      value="${line.percent}"
                      aria-label="${line.label}: ${line.percent}% used"
                    ></meter>`,
              },
              {
                header: 'State',
                cell: (line) => statusWord({ state: line.state, text: QUOTA_WORDS[line.state] }),
              },
            ],
            'usage',
          )
    }`
  const claims = html`<h2 id="domains">Domains</h2>
    ${
      domains.used.length === 0
        ? html`<p class="muted">No site or webspace uses a domain yet.</p>`
        : dataTable(
            domains.used,
            [
              { header: 'Domain', cell: (use) => html`<code>${use.domain}</code>` },
              { header: 'Used by', cell: usedBy },
              { header: 'Claim', cell: (use) => statusWord(use.claim) },
              {
                header: 'What to fix',
                cell: (use) => use.claim.fix ?? html`<span class="muted">nothing</span>`,
              },
            ],
            'domains',
          )
    }`
  return customerPage(viewer, {
    title: 'Overview',
    section: 'overview',
    ...(notice ? { notice } : {}),
    body: [account, quota, claims],
  })
}
