/**
 * `hostplane wordpress create`, once its flags are parsed, with the user's own kubeconfig (so the
 * tenant's RBAC decides): checks that no object of the site's names belongs to something else,
 * creates the keys Secret once (new keys would sign everyone out), applies the Database and the
 * Webspace, and answers with what it did and the install link. Running it again changes the
 * Database and Webspace to the new choices and keeps the keys.
 */
import { randomBytes } from 'node:crypto'
import type { KubeObject } from '../kube/object.js'
import { manifestPath } from '../kube/manifest-path.js'
import { isNotFound, type KubeRest } from '../kube/rest.js'
import { apiRefusal } from '../cli/api-refusal.js'
import {
  INSTALL_TOKEN_KEY,
  installLink,
  renderDatabase,
  renderKeysSecret,
  renderWebspace,
  WORDPRESS_LABEL,
  type WordPressSite,
} from './site.js'

type Api = Pick<KubeRest, 'request' | 'apply'>

const FIELD_MANAGER = 'hostplane-wordpress'

interface Secret extends KubeObject {
  readonly data?: Record<string, string>
}

/** 64 characters from 48 random bytes, as WordPress's own generator makes its keys. */
const randomKey = () => randomBytes(48).toString('base64url')

const describe = (object: KubeObject) => `${object.kind} ${object.metadata.namespace}/${object.metadata.name}`

async function existing<T extends KubeObject>(api: Api, object: KubeObject): Promise<T | undefined> {
  try {
    return await api.request<T>('GET', manifestPath(object))
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw apiRefusal(error, describe(object))
  }
}

export interface CreatedWordPress {
  /** One line per object: created, changed or kept. */
  readonly lines: readonly string[]
  readonly installLink: string
}

export async function createWordPress(api: Api, site: WordPressSite): Promise<CreatedWordPress> {
  const database = renderDatabase(site)
  const webspace = renderWebspace(site)
  const secret = renderKeysSecret(site, randomKey, randomBytes(32).toString('base64url'))

  // Every check before the first write: a refusal leaves the namespace as it was.
  const found = new Map<KubeObject, KubeObject | undefined>()
  for (const object of [secret, database, webspace]) {
    const current = await existing(api, object)
    if (current && current.metadata.labels?.[WORDPRESS_LABEL] !== site.name)
      throw new Error(
        `${describe(object)} already exists and is not part of the WordPress site ${site.name}; choose another name (nothing was changed)`,
      )
    found.set(object, current)
  }

  const currentSecret = found.get(secret) as Secret | undefined
  const stored = currentSecret ? currentSecret.data?.[INSTALL_TOKEN_KEY] : undefined
  const token = currentSecret
    ? stored && Buffer.from(stored, 'base64').toString('utf8')
    : secret.stringData[INSTALL_TOKEN_KEY]
  if (!token)
    throw new Error(
      `${describe(secret)} has no ${INSTALL_TOKEN_KEY}: delete it to make new keys (this signs everyone out), then run this again (nothing was changed)`,
    )

  const writes: { object: KubeObject; write: (dryRun: boolean) => Promise<unknown> }[] = [
    ...(currentSecret
      ? []
      : [
          {
            object: secret,
            write: (dryRun: boolean) =>
              api.request('POST', manifestPath(secret, { withName: false }), {
                body: secret,
                query: dryRun ? { dryRun: 'All' } : {},
              }),
          },
        ]),
    ...[database, webspace].map((object) => ({
      object,
      write: (dryRun: boolean) =>
        api.apply(manifestPath(object), object, { fieldManager: FIELD_MANAGER, dryRun }),
    })),
  ]
  // The API server's checks (schemas, quota, the Customer's domains) on all of them first: a
  // refusal of the last must not leave the first behind.
  for (const dryRun of [true, false])
    for (const { object, write } of writes)
      await write(dryRun).catch((error: unknown) => {
        throw apiRefusal(error, `${describe(object)}${dryRun ? ' (nothing was changed)' : ''}`)
      })

  const lines = [
    `${describe(secret)} ${currentSecret ? 'kept (its keys and install token stay)' : 'created (keys and install token)'}`,
    ...[database, webspace].map(
      (object) => `${describe(object)} ${found.get(object) ? 'configured' : 'created'}`,
    ),
  ]
  return { lines, installLink: installLink(site, token) }
}
