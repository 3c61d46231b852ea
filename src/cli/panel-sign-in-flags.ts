/**
 * The sign-in flags of `hostplane panel` (docs/panel-sign-in.md), for the panel command to add
 * with `.addOption` and turn into SignInOptions at start. The client secret is read from a file
 * (a mounted Secret) or from HOSTPLANE_OIDC_CLIENT_SECRET, never from a flag's value, so that it
 * shows in no process list; it is never logged.
 */
import { readFile } from 'node:fs/promises'
import { InvalidArgumentError, type Option } from 'commander'
import type { SignInOptions } from '../panel/auth/sign-in.js'
import { StartError } from './command.js'
import { duration, flag, path, positive } from './flags.js'

export interface SignInFlags {
  publicUrl: string
  oidcIssuer: string
  oidcClientId: string
  oidcClientSecretFile?: string
  oidcCustomerClaim: string
  oidcCustomerGroupPrefix?: string
  oidcGroupsClaim: string
  oidcAdminGroup?: string
  oidcScopes: string
  sessionIdleTimeout: number
  sessionMaxAge: number
  signInPerMinute: number
}

/** The variable the client secret itself may come from when no file is given. */
export const CLIENT_SECRET_ENV = 'HOSTPLANE_OIDC_CLIENT_SECRET'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** An https URL, or http on a loopback host (a provider or panel run locally for development). */
function secureUrl(text: string, what: string): URL {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    url = undefined
  }
  const fine = url?.protocol === 'https:' || (url?.protocol === 'http:' && LOOPBACK.has(url.hostname))
  if (!url || !fine || url.search || url.hash)
    throw new InvalidArgumentError(`${text} is not ${what} (https://, or http:// on a loopback host)`)
  return url
}

/** The issuer, kept as given: it is compared to the ID token's `iss` exactly. */
export const issuerUrl = (text: string) => (secureUrl(text, 'an issuer URL'), text)

/** The panel's public origin: the URL of the root of its host. */
export function publicOrigin(text: string): string {
  const url = secureUrl(text, "the panel's URL")
  if (url.pathname !== '/')
    throw new InvalidArgumentError(`${text}: the panel is served at the root of its host`)
  return url.origin
}

const claimName = (text: string) => {
  if (!/^[A-Za-z0-9_.:/-]{1,128}$/.test(text)) throw new InvalidArgumentError(`${text} is not a claim name`)
  return text
}

export const signInFlags = (): Option[] => [
  flag(
    '--public-url <url>',
    "the panel's public URL, e.g. https://panel.example.com (cookies, CSRF origin, redirect URL)",
    {
      env: true,
      parse: publicOrigin,
    },
  ),
  flag(
    '--oidc-issuer <url>',
    "the identity provider's issuer URL (discovery at /.well-known/openid-configuration)",
    {
      env: true,
      parse: issuerUrl,
    },
  ),
  flag('--oidc-client-id <id>', "the panel's client id at the provider", { env: true }),
  flag('--oidc-client-secret-file <file>', `file holding the client secret (or set ${CLIENT_SECRET_ENV})`, {
    env: true,
    parse: path,
    exists: 'file',
  }),
  flag('--oidc-customer-claim <claim>', 'ID token claim naming the Customer', {
    env: true,
    parse: claimName,
    default: 'hostplane_customer',
  }),
  flag('--oidc-customer-group-prefix <prefix>', 'a group <prefix><customer> names the Customer too', {
    env: true,
  }),
  flag('--oidc-groups-claim <claim>', "ID token claim holding the account's groups", {
    env: true,
    parse: claimName,
    default: 'groups',
  }),
  flag('--oidc-admin-group <group>', 'group whose members are provider admins (unset: nobody is)', {
    env: true,
  }),
  flag('--oidc-scopes <scopes>', 'scopes requested, space-separated', {
    env: true,
    default: 'openid email profile',
  }),
  flag('--session-idle-timeout <duration>', 'a session unused this long ends', {
    env: true,
    parse: duration,
    default: '30m',
  }),
  flag('--session-max-age <duration>', 'a session ends this long after sign-in, used or not', {
    env: true,
    parse: duration,
    default: '12h',
  }),
  flag('--sign-in-per-minute <n>', 'sign-in attempts per client address per minute', {
    env: true,
    parse: positive,
    default: '20',
  }),
]

/** SignInOptions from the parsed flags; throws a StartError naming what is missing. */
export async function signInOptions(
  flags: SignInFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SignInOptions> {
  const missing = (['publicUrl', 'oidcIssuer', 'oidcClientId'] as const).filter((key) => !flags[key])
  if (missing.length)
    throw new StartError(
      `sign-in needs ${missing.map((key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`,
    )
  const clientSecret = flags.oidcClientSecretFile
    ? (await readFile(flags.oidcClientSecretFile, 'utf8')).trim()
    : env[CLIENT_SECRET_ENV]
  if (!clientSecret)
    throw new StartError(`sign-in needs the client secret: --oidc-client-secret-file or ${CLIENT_SECRET_ENV}`)
  return {
    issuer: flags.oidcIssuer,
    clientId: flags.oidcClientId,
    clientSecret,
    publicUrl: flags.publicUrl,
    allowHttpIssuer: flags.oidcIssuer.startsWith('http:'),
    scope: flags.oidcScopes,
    claims: {
      customerClaim: flags.oidcCustomerClaim,
      groupsClaim: flags.oidcGroupsClaim,
      ...(flags.oidcCustomerGroupPrefix ? { customerGroupPrefix: flags.oidcCustomerGroupPrefix } : {}),
      ...(flags.oidcAdminGroup ? { adminGroup: flags.oidcAdminGroup } : {}),
    },
    sessionLimits: { idleMs: flags.sessionIdleTimeout, absoluteMs: flags.sessionMaxAge },
    signInPerMinute: flags.signInPerMinute,
  }
}
