/**
 * Where an HTTP request goes once its domain has a certificate: the same path on HTTPS, with a 301.
 * A Host header without a port came through the standard port 80 (directly or by a port
 * redirect), so the HTTPS URL names none either (443); a Host with a port reached the HTTP
 * listener directly, so the HTTPS URL names the HTTPS listener's port.
 */
import { normaliseHost } from '../../serve/served-site.js'

export function httpsLocation(
  host: string | undefined,
  target: string,
  httpsPort: number,
): string | undefined {
  // Only origin-form targets: anything else is left to the site rules, which refuse it.
  if (!host || !target.startsWith('/') || target.startsWith('//')) return undefined
  const domain = normaliseHost(host)
  const hasPort = host.length > domain.length + 1 && /:\d+$/.test(host)
  const port = hasPort && httpsPort !== 443 ? `:${httpsPort}` : ''
  return `https://${domain}${port}${target}`
}
