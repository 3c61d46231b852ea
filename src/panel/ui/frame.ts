/**
 * The cluster panel's frame around page.ts: its name, the customer's navigation, who is signed in
 * with the sign-out form, and the banner slot (an admin's pages put who they act as there). Every
 * customer page is `customerPage(viewer, …)`. Pure.
 */
import type { Identity } from '../identity.js'
import { csrfField } from './components.js'
import { type Html, html, type Interpolation } from './html.js'
import { type Asset, type NavLink, page, type PageProps } from './page.js'

export const PANEL_NAME = 'hostplane panel'

/** Who looks at a page, and what the frame needs to let them sign out. */
export interface Viewer {
  readonly identity: Identity
  readonly csrfToken: string
  readonly signOutPath: string
  /** A strip above the header on every page (page.ts `banner`). */
  readonly banner?: Interpolation
}

export const SECTIONS = {
  overview: { href: '/', text: 'Overview' },
  sites: { href: '/sites', text: 'Static sites' },
  webspaces: { href: '/webspaces', text: 'Webspaces' },
  backups: { href: '/backups', text: 'Backups' },
  keys: { href: '/ssh-keys', text: 'SSH keys' },
  tokens: { href: '/tokens', text: 'API tokens' },
} as const satisfies Record<string, Omit<NavLink, 'current'>>

export type Section = keyof typeof SECTIONS

export interface CustomerPageProps {
  readonly title: string
  readonly section?: Section
  readonly notice?: PageProps['notice']
  readonly body: Interpolation
  readonly scripts?: readonly Asset[]
}

/** The account's part of the header: who is signed in, as which customer, and sign-out. */
export function account({ identity, csrfToken, signOutPath }: Viewer): Html {
  const { actor, actingAs } = identity
  const who = actor.email ?? actor.subject
  return html`<span>${who}${actingAs !== undefined && html` <span class="muted">(${actingAs})</span>`}</span>
    <form class="inline" method="post" action="${signOutPath}">
      ${csrfField(csrfToken)}<button class="secondary" type="submit">Sign out</button>
    </form>`
}

export function customerPage(viewer: Viewer, props: CustomerPageProps): Html {
  const { title, section, notice, body, scripts } = props
  return page({
    title,
    site: PANEL_NAME,
    nav: Object.entries(SECTIONS).map(([key, link]) => ({ ...link, current: key === section })),
    account: account(viewer),
    ...(viewer.banner !== undefined ? { banner: viewer.banner } : {}),
    ...(notice ? { notice } : {}),
    ...(scripts ? { scripts } : {}),
    body,
  })
}

/** A page that only says what went wrong (a missing object, a refusal), with a way back. */
export const problemPage = (viewer: Viewer, title: string, text: string, back: Section = 'overview') =>
  customerPage(viewer, {
    title,
    section: back,
    notice: { kind: 'problem', text },
    body: html`<p><a href="${SECTIONS[back].href}">Back to ${SECTIONS[back].text.toLowerCase()}</a></p>`,
  })
