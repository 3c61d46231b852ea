/**
 * The panel's cookies, built and read in one place. Both carry only a random id that the server
 * looks up; both are `__Host-` cookies (Secure, Path=/, no Domain: a sibling host cannot set or
 * overwrite them), HttpOnly (no script reads them) and SameSite=Lax (not sent on cross-site
 * subrequests or POSTs, yet sent on the top-level navigation back from the identity provider).
 */

/** The signed-in session's id. */
export const SESSION_COOKIE = '__Host-hostplane-session'
/** The sign-in transaction's id, between the login redirect and the provider's callback. */
export const SIGNIN_COOKIE = '__Host-hostplane-signin'

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/

/** A `Set-Cookie` value; `maxAgeSeconds` 0 removes the cookie. */
export function setCookie(name: string, value: string, maxAgeSeconds: number): string {
  if (!TOKEN.test(value) && value !== '') throw new Error(`cookie value of ${name} must be base64url`)
  return `${name}=${value}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; Secure; HttpOnly; SameSite=Lax`
}

export const clearCookie = (name: string) => setCookie(name, '', 0)

/**
 * The value of cookie `name` in a `Cookie` header: the first one, as browsers send the most
 * specific first, and only a value of the shape the panel sets (anything else is ignored).
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const at = pair.indexOf('=')
    if (at < 0 || pair.slice(0, at).trim() !== name) continue
    const value = pair.slice(at + 1).trim()
    return TOKEN.test(value) ? value : undefined
  }
  return undefined
}
