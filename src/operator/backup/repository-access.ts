/**
 * A customer's access to its repository on a target, made true before any of its backup Jobs
 * runs: a repository password (generated once, kept by the operator in the system namespace, so a
 * deleted namespace never takes the key of its backups with it), a proxy token (only its SHA-256
 * in the system namespace, where the target's proxy mounts it), and the Secret of the customer's
 * namespace that its Jobs mount: the proxy URL with the token, and the password.
 *
 * The two system Secrets hold every customer of a target, one key each; a key is added by a JSON
 * merge patch carrying the Secret's resourceVersion, so two customers (or two Backups of one)
 * never overwrite each other: the loser gets a conflict and tries again. A pass that wrote
 * anything answers `wrote`; the caller starts a Job only after a pass that found all in order,
 * so a Job never mounts a token the proxy does not hold yet.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Applier } from '../../kube/apply.js'
import type { KubeObject } from '../../kube/object.js'
import { isConflict } from '../../kube/rest.js'
import { MANAGED_BY } from '../customer/names.js'
import type { TlsSecretReader } from '../staticsite/tls-secret-reader.js'
import {
  keysSecretName,
  proxyUrl,
  repositorySecretName,
  SECRET_TYPE,
  SECRETS,
  TARGET_LABEL,
  tokensSecretName,
} from './owned.js'

interface SecretLike extends KubeObject {
  readonly type?: string
  readonly data?: Readonly<Record<string, string>>
}

export interface RepositoryAccessOptions {
  readonly applier: Pick<Applier, 'apply' | 'create' | 'mergePatch'>
  readonly systemNamespace: string
  /** The cached Secret of the system namespace by that name (the controller watches them by label). */
  readonly systemSecret: (name: string) => SecretLike | undefined
  /** GETs a Secret of a customer namespace (the operator keeps no informer on tenants' Secrets). */
  readonly readSecret: TlsSecretReader
}

export type RepositoryAccess =
  | { readonly kind: 'ready' }
  | { readonly kind: 'wrote' }
  /** A Secret of that name exists in the namespace and is not the repository's. */
  | { readonly kind: 'conflict'; readonly message: string }

const decode = (value: string | undefined) =>
  value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8')
const encode = (value: string) => Buffer.from(value, 'utf8').toString('base64')
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** The repository URL a Job is given: restic's `rest:` backend, the customer as user and path. */
export const repositoryUrl = (base: string, customer: string, token: string) => {
  const url = new URL(`${base}/${customer}/`)
  url.username = customer
  url.password = token
  return `rest:${url.href}`
}

export class RepositoryAccessKeeper {
  constructor(private readonly options: RepositoryAccessOptions) {}

  /** Creates the target's two Secrets where missing; true when it created one. */
  async ensureTargetSecrets(target: string): Promise<boolean> {
    const missing = [
      { name: keysSecretName(target), type: SECRET_TYPE.keys },
      { name: tokensSecretName(target), type: SECRET_TYPE.tokens },
    ].filter(({ name }) => !this.options.systemSecret(name))
    await Promise.all(missing.map(({ name, type }) => this.createSystemSecret(name, target, type)))
    return missing.length > 0
  }

  async ensure(target: string, customer: string, namespace: string): Promise<RepositoryAccess> {
    const { systemSecret, applier, systemNamespace } = this.options
    const keys = systemSecret(keysSecretName(target))
    const tokens = systemSecret(tokensSecretName(target))
    if (!keys || !tokens) {
      await this.ensureTargetSecrets(target)
      return { kind: 'wrote' }
    }
    const password = decode(keys.data?.[customer])
    if (!password) {
      await this.addKey(keys, customer, randomBytes(32).toString('base64url'))
      return { kind: 'wrote' }
    }
    const name = repositorySecretName(target)
    const read = await this.options.readSecret(namespace, name)
    if (read.kind === 'forbidden')
      throw new Error(`the operator may not read Secrets in ${namespace}: its binding there is missing`)
    if (read.kind === 'found' && read.secret.type !== SECRET_TYPE.repository)
      return {
        kind: 'conflict',
        message: `Secret ${name} exists and is not a backup repository's (type ${read.secret.type ?? 'Opaque'}): rename or delete it`,
      }
    const base = proxyUrl(target, systemNamespace)
    const current = read.kind === 'found' ? read.secret.data : undefined
    const token = tokenOf(decode(current?.repository), base, customer)
    const hash = decode(tokens.data?.[customer])
    if (token && hash === sha256(token) && decode(current?.password) === password) return { kind: 'ready' }
    const fresh = randomBytes(32).toString('hex')
    const secret: SecretLike = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, labels: { ...MANAGED_BY, [TARGET_LABEL]: target } },
      type: SECRET_TYPE.repository,
      data: { repository: encode(repositoryUrl(base, customer, fresh)), password: encode(password) },
    }
    await applier.apply({ ...SECRETS, namespace, name }, secret, undefined)
    await this.addKey(tokens, customer, sha256(fresh))
    return { kind: 'wrote' }
  }

  private async createSystemSecret(name: string, target: string, type: string): Promise<void> {
    const { applier, systemNamespace } = this.options
    await applier
      .create(
        { ...SECRETS, namespace: systemNamespace },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace: systemNamespace, labels: { ...MANAGED_BY, [TARGET_LABEL]: target } },
          type,
        },
      )
      .catch((error: unknown) => {
        if (!isConflict(error)) throw error
      })
  }

  /** One key more in a system Secret, refused (and retried by the caller) if it changed meanwhile. */
  private async addKey(secret: SecretLike, key: string, value: string): Promise<void> {
    const { applier, systemNamespace } = this.options
    await applier
      .mergePatch(
        { ...SECRETS, namespace: systemNamespace, name: secret.metadata.name },
        { metadata: { resourceVersion: secret.metadata.resourceVersion }, data: { [key]: encode(value) } },
      )
      .catch((error: unknown) => {
        if (!isConflict(error)) throw error
      })
  }
}

/** The token in a repository URL written for this proxy and customer, if it is one. */
function tokenOf(repository: string | undefined, base: string, customer: string): string | undefined {
  if (!repository?.startsWith('rest:')) return undefined
  try {
    const url = new URL(repository.slice('rest:'.length))
    const expected = new URL(`${base}/${customer}/`)
    return url.origin === expected.origin && url.pathname === expected.pathname && url.username === customer
      ? decodeURIComponent(url.password) || undefined
      : undefined
  } catch {
    return undefined
  }
}
