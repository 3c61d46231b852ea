/**
 * What one WordPress site is made of, rendered from a few choices (pure): a `Database` (MariaDB),
 * a Secret of its own with the keys WordPress signs cookies with and the install token, and a
 * `Webspace` of the wordpress Runtime whose environment reads both Secrets, with a volume for
 * uploads and the site's domain. Each carries the site label, so a later run recognises its own
 * objects and never takes over one it did not make.
 */
import { API_VERSION } from '../api/kind.js'
import type { Size } from '../api/customer.js'
import type { Database, Webspace } from '../api/resources.js'
import type { KubeObject } from '../kube/object.js'
import { ownedName } from '../operator/database/owned.js'
import { UPLOADS_DIR, WORDPRESS_RUNTIME } from './runtime.js'
import { WORDPRESS_ENV, WORDPRESS_KEYS } from './wp-config.js'

/** Label on every object of a WordPress site, naming the site. */
export const WORDPRESS_LABEL = 'hostplane.dev/wordpress'

/** The Secret key of the install token; the others are the names in WORDPRESS_KEYS. */
export const INSTALL_TOKEN_KEY = 'install-token'

export const DEFAULT_UPLOADS_SIZE = '1Gi'

export interface WordPressSite {
  readonly name: string
  readonly namespace: string
  readonly domain: string
  readonly tls: 'auto' | 'none'
  /** The uploads volume, e.g. 1Gi. */
  readonly storage: string
  readonly size?: Size
  readonly databaseServer?: string
  /** The branch whose pushes become Releases. */
  readonly branch: string
}

/** The Secret holding the site's keys and install token. */
export const keysSecretName = (site: string) => `${site}-wordpress`

export const siteUrl = (site: Pick<WordPressSite, 'domain' | 'tls'>) =>
  `${site.tls === 'none' ? 'http' : 'https'}://${site.domain}`

/** The link that opens the installer: the token is what lets the site's owner in, and nobody else. */
export const installLink = (site: Pick<WordPressSite, 'domain' | 'tls'>, token: string) =>
  `${siteUrl(site)}/wp-admin/install.php?token=${encodeURIComponent(token)}`

const metadata = (site: WordPressSite, name: string) => ({
  name,
  namespace: site.namespace,
  labels: { [WORDPRESS_LABEL]: site.name },
})

/** The keys Secret; `key` makes each key (random, once: new keys sign everyone out). */
export function renderKeysSecret(
  site: WordPressSite,
  key: () => string,
  installToken: string,
): KubeObject & { type: string; stringData: Record<string, string> } {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(site, keysSecretName(site.name)),
    type: 'Opaque',
    stringData: {
      ...Object.fromEntries(WORDPRESS_KEYS.map((name) => [name, key()])),
      [INSTALL_TOKEN_KEY]: installToken,
    },
  }
}

export function renderDatabase(site: WordPressSite): Database {
  return {
    apiVersion: API_VERSION,
    kind: 'Database',
    metadata: metadata(site, site.name),
    spec: {
      engine: 'MariaDB',
      ...(site.databaseServer ? { server: site.databaseServer } : {}),
      deletionPolicy: 'Retain',
    },
  }
}

export function renderWebspace(site: WordPressSite): Webspace {
  const fromSecret = (name: string, secret: string, key: string) => ({
    name,
    secretKeyRef: { name: secret, key },
    // A branch preview gets neither the database nor the keys of the live site.
    productionOnly: true,
  })
  const database = ownedName(site.name)
  const keys = keysSecretName(site.name)
  return {
    apiVersion: API_VERSION,
    kind: 'Webspace',
    metadata: metadata(site, site.name),
    spec: {
      runtime: WORDPRESS_RUNTIME,
      domains: [site.domain],
      ...(site.size ? { size: site.size } : {}),
      storage: { size: site.storage, mountPath: UPLOADS_DIR },
      tls: { mode: site.tls },
      git: { branch: site.branch },
      env: [
        { name: WORDPRESS_ENV.url, value: siteUrl(site) },
        fromSecret(WORDPRESS_ENV.dbHost, database, 'host'),
        fromSecret(WORDPRESS_ENV.dbPort, database, 'port'),
        fromSecret(WORDPRESS_ENV.dbName, database, 'database'),
        fromSecret(WORDPRESS_ENV.dbUser, database, 'username'),
        fromSecret(WORDPRESS_ENV.dbPassword, database, 'password'),
        ...WORDPRESS_KEYS.map((key) => fromSecret(`WORDPRESS_${key}`, keys, key)),
        fromSecret(WORDPRESS_ENV.installToken, keys, INSTALL_TOKEN_KEY),
      ],
    },
  }
}
