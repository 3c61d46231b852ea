/**
 * Token records as Secrets of one namespace (default `hostplane-panel-tokens`), read and written
 * as `hostplane:panel:tokens` (impersonation.ts), whose Role there allows get, list, create and
 * delete of Secrets and nothing else: the panel's ServiceAccount itself still only impersonates,
 * and no customer can read the records (docs/panel.md says why Secrets and not a CRD). One Secret
 * per token, named by its id, holding the token's SHA-256, its customer and its description.
 */
import type { KubeList, KubeObject } from '../../kube/object.js'
import { isNotFound, type KubeRest, resourcePath } from '../../kube/rest.js'
import { CUSTOMER_LABEL } from '../../operator/customer/names.js'
import { fromKube, PanelError } from '../errors.js'
import { isTokenId, newToken, tokenId, tokenMatches } from './token.js'

export const DEFAULT_TOKEN_NAMESPACE = 'hostplane-panel-tokens'
export const TOKEN_SECRET_TYPE = 'hostplane.dev/panel-token'
export const TOKEN_LABEL = 'hostplane.dev/panel-token'
const NAME_PREFIX = 'panel-token-'

export interface TokenRecord {
  readonly id: string
  readonly customer: string
  readonly description: string
  readonly createdAt: string
}

interface TokenSecret extends KubeObject {
  type?: string
  data?: Record<string, string>
}

const decode = (data: Record<string, string> | undefined, key: string) =>
  Buffer.from(data?.[key] ?? '', 'base64').toString('utf8')

function recordOf(secret: TokenSecret): TokenRecord & { readonly sha256: string } {
  return {
    id: secret.metadata.name.slice(NAME_PREFIX.length),
    customer: decode(secret.data, 'customer'),
    description: decode(secret.data, 'description'),
    createdAt: secret.metadata.creationTimestamp ?? '',
    sha256: decode(secret.data, 'sha256'),
  }
}

const publicRecord = ({ id, customer, description, createdAt }: TokenRecord): TokenRecord => ({
  id,
  customer,
  description,
  createdAt,
})

export class TokenStore {
  constructor(
    /** The client acting as the token keeper. */
    private readonly rest: KubeRest,
    private readonly namespace: string = DEFAULT_TOKEN_NAMESPACE,
  ) {}

  private path(id?: string) {
    return resourcePath({
      apiVersion: 'v1',
      plural: 'secrets',
      namespace: this.namespace,
      name: id === undefined ? undefined : `${NAME_PREFIX}${id}`,
    })
  }

  /** A new token for `customer`; the token itself is in the answer only. */
  async create(customer: string, description: string): Promise<{ token: string; record: TokenRecord }> {
    const { id, token, sha256 } = newToken()
    const secret = await this.rest
      .request<TokenSecret>('POST', this.path(), {
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: `${NAME_PREFIX}${id}`,
            labels: { [TOKEN_LABEL]: 'true', [CUSTOMER_LABEL]: customer },
          },
          type: TOKEN_SECRET_TYPE,
          immutable: true,
          stringData: { sha256, customer, description },
        },
      })
      .catch((error: unknown) => {
        throw fromKube(error, { named: false })
      })
    return { token, record: publicRecord(recordOf(secret)) }
  }

  /** The record of a valid, unrevoked token; undefined for any other string. */
  async verify(token: string): Promise<TokenRecord | undefined> {
    const id = tokenId(token)
    if (!id) return undefined
    const secret = await this.rest.request<TokenSecret>('GET', this.path(id)).catch((error: unknown) => {
      if (isNotFound(error)) return undefined
      throw fromKube(error, { named: false })
    })
    if (!secret || secret.type !== TOKEN_SECRET_TYPE) return undefined
    const record = recordOf(secret)
    return tokenMatches(token, record.sha256) ? publicRecord(record) : undefined
  }

  /**
   * Throws unless the records can be read: the panel may impersonate the token keeper and the
   * keeper may list the namespace (deploy/rbac/panel.yaml applied), so a missing piece of RBAC
   * stops the panel at start rather than refusing every sign-in.
   */
  async check(): Promise<void> {
    await this.rest.request('GET', this.path(), { query: { limit: 1 } }).catch((error: unknown) => {
      throw new Error(
        `cannot read the token records in namespace ${this.namespace} as the token keeper (is deploy/rbac/panel.yaml applied?): ${(error as Error).message}`,
        { cause: error },
      )
    })
  }

  async list(customer: string): Promise<TokenRecord[]> {
    const list = await this.rest
      .request<KubeList<TokenSecret>>('GET', this.path(), {
        query: { labelSelector: `${TOKEN_LABEL}=true,${CUSTOMER_LABEL}=${customer}` },
      })
      .catch((error: unknown) => {
        throw fromKube(error, { named: false })
      })
    return list.items
      .map(recordOf)
      .filter((record) => record.customer === customer)
      .map(publicRecord)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
  }

  /** Revokes `customer`'s token `id`; another customer's token is as missing as no token. */
  async revoke(customer: string, id: string): Promise<void> {
    const notFound = new PanelError('HP_ERR_PANEL_NOT_FOUND')
    if (!isTokenId(id)) throw notFound
    const secret = await this.rest.request<TokenSecret>('GET', this.path(id)).catch((error: unknown) => {
      throw fromKube(error, { named: true })
    })
    if (recordOf(secret).customer !== customer) throw notFound
    await this.rest
      .request('DELETE', this.path(id), { body: { preconditions: { uid: secret.metadata.uid } } })
      .catch((error: unknown) => {
        throw fromKube(error, { named: true })
      })
  }
}
