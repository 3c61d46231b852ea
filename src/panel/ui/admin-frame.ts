/**
 * The provider admins' pages in the cluster panel's frame: their own navigation (Customers, the
 * audit log), and the banner every page shows while an admin acts as a customer — which customer,
 * that changes are made as it and recorded with the admin's name, and the button that stops it.
 * Pure.
 */
import { actingAdmin, type Identity } from '../identity.js'
import { actionButton } from './components.js'
import { account, PANEL_NAME, type Viewer } from './frame.js'
import { type Html, html, type Interpolation } from './html.js'
import { type NavLink, page, type PageProps } from './page.js'

export const ADMIN_SECTIONS = {
  customers: { href: '/admin/customers', text: 'Customers' },
  audit: { href: '/admin/audit', text: 'Audit log' },
} as const satisfies Record<string, Omit<NavLink, 'current'>>

export type AdminSection = keyof typeof ADMIN_SECTIONS

/** `POST` (with `_csrf`, `customer`) starts acting as a customer; `POST …/stop` stops. */
export const ACT_AS_PATH = '/admin/act-as'
export const STOP_ACTING_PATH = '/admin/act-as/stop'

/** The banner of an admin acting as a customer; nothing for anyone else. */
export function actingBanner(identity: Identity, csrfToken: string): Html | undefined {
  if (actingAdmin(identity) === undefined || identity.actingAs === undefined) return undefined
  const customer = identity.actingAs
  return html`<p role="status">
    Acting as customer <strong>${customer}</strong>: every page shows what ${customer} sees, and every change
    is made as ${customer} and recorded in the audit log with you as its actor.
    ${actionButton({ action: STOP_ACTING_PATH, csrf: csrfToken, label: `Stop acting as ${customer}` })}
    <a href="${ADMIN_SECTIONS.customers.href}">Admin pages</a>
  </p>`
}

export interface AdminPageProps {
  readonly title: string
  readonly section?: AdminSection
  readonly notice?: PageProps['notice']
  readonly body: Interpolation
}

export function adminPage(viewer: Viewer, { title, section, notice, body }: AdminPageProps): Html {
  const banner = actingBanner(viewer.identity, viewer.csrfToken)
  return page({
    title,
    site: `${PANEL_NAME} · admin`,
    nav: Object.entries(ADMIN_SECTIONS).map(([key, link]) => ({ ...link, current: key === section })),
    account: account(viewer),
    ...(banner ? { banner } : {}),
    ...(notice ? { notice } : {}),
    body,
  })
}
