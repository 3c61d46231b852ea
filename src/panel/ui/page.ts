/**
 * The frame of every page (the cluster panel's and `hostplane serve`'s): a skip link, an optional
 * banner above everything (who an admin acts as), a header with the navigation and the account's
 * controls, the page's own content in `<main>`, one stylesheet from the process itself and no
 * script unless the page names one of the process's own assets. Pure; `sendPage` adds the headers
 * that make a page safe to serve: a strict Content-Security-Policy (nothing inline, nothing from
 * another origin, no framing), no MIME sniffing, no referrer to other sites, and no caching of
 * pages that show state. Assets (the stylesheet, scripts) are TypeScript string modules served at
 * a path with their content hash, so the image needs no files beside the code.
 */
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { href, type Html, html, type Interpolation } from './html.js'
import { STYLESHEET } from './stylesheet.js'

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // Not no-referrer: with it Chromium sends `Origin: null` on the pages' own form posts, which
  // the CSRF check must then refuse. same-origin tells other sites nothing.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
} as const

export interface NavLink {
  readonly href: string
  readonly text: string
  readonly current?: boolean
}

export interface PageProps {
  readonly title: string
  /** The product line in the header, e.g. "hostplane serve". */
  readonly site: string
  readonly nav?: readonly NavLink[]
  /** A line above the content: what the last action did, or what went wrong. */
  readonly notice?: { readonly kind: 'ok' | 'problem'; readonly text: string }
  readonly body: Interpolation
  /** The path prefix the assets are served under. @default '' */
  readonly assetsPrefix?: string
  /** A strip above the header on every page, e.g. "Acting as acme". */
  readonly banner?: Interpolation
  /** The header's end: who is signed in, a sign-out form. */
  readonly account?: Interpolation
  /** Scripts of the process's own (registerAsset), loaded deferred; the page works without them. */
  readonly scripts?: readonly Asset[]
}

/** A file the process serves from its own code. */
export interface Asset {
  /** The file name before its hash, e.g. `panel`. */
  readonly name: string
  readonly type: 'css' | 'js'
  readonly content: string
}

const CONTENT_TYPES = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' } as const

export const STYLESHEET_ASSET: Asset = { name: 'panel', type: 'css', content: STYLESHEET }

/** An asset's path: its content hash in the name, so it is cached for good and never stale. */
export const assetPath = (asset: Asset, prefix = '') =>
  `${prefix}/assets/${asset.name}-${createHash('sha256').update(asset.content).digest('hex').slice(0, 12)}.${asset.type}`

export const stylesheetPath = (prefix = '') => assetPath(STYLESHEET_ASSET, prefix)

export function page(props: PageProps): Html {
  const { title, site, nav = [], notice, body, assetsPrefix = '', banner, account, scripts = [] } = props
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · ${site}</title>
        <link rel="stylesheet" href="${stylesheetPath(assetsPrefix)}" />
        ${scripts.map((script) => html`<script src="${assetPath(script, assetsPrefix)}" defer></script>`)}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
          ${banner !== undefined && html`<div class="banner">${banner}</div>`}
          <p class="brand">${site}</p>
          ${
            nav.length > 0 &&
            html`<nav aria-label="Main">
              <ul>
                ${nav.map(
                  (link) =>
                    html`<li>
                      <a href="${href(link.href)}" ${link.current ? html` aria-current="page"` : ''}
                        >${link.text}</a
                      >
                    </li>`,
                )}
              </ul>
            </nav>`
          }
          ${account !== undefined && html`<div class="account">${account}</div>`}
        </header>
        <main id="main" tabindex="-1">
          <h1>${title}</h1>
          ${notice && html`<p class="notice ${notice.kind}" role="${notice.kind === 'problem' ? 'alert' : 'status'}">${notice.text}</p>`}
          ${body}
        </main>
      </body>
    </html> `
}

export const sendPage = (reply: FastifyReply, content: Html, status = 200) =>
  reply.code(status).headers(PAGE_HEADERS).send(content.value)

/** Serves an asset at its hashed path under `prefix`, cached for a year. */
export function registerAsset(app: FastifyInstance, asset: Asset, prefix = ''): void {
  app.get(assetPath(asset, prefix), async (_request, reply) =>
    reply
      .headers({
        'content-type': CONTENT_TYPES[asset.type],
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      })
      .send(asset.content),
  )
}

export const registerStylesheet = (app: FastifyInstance, prefix = '') =>
  registerAsset(app, STYLESHEET_ASSET, prefix)
