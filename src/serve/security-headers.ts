/**
 * Headers sent with every response of both servers. Safe for any static site: none of them can
 * break a page (no Content-Security-Policy, which only the site's author can write; a site sets
 * one with a `headers` rule). HSTS is left to the TLS terminator, which knows whether TLS is on.
 */
export const SECURITY_HEADERS: readonly (readonly [name: string, value: string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'strict-origin-when-cross-origin'],
  ['X-Frame-Options', 'SAMEORIGIN'],
]
