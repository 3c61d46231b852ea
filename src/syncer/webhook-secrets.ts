/**
 * Sites' own webhook secrets (`spec.webhook.secretRef`), read from the site's namespace and kept
 * for a short while: a burst of deliveries, signed or not, costs the API server one Secret read
 * per site and period instead of one per delivery. A rotated secret counts after at most `ttlMs`.
 * A Secret that is missing, unreadable or lacks the key gives no secret (the hook then refuses
 * every delivery) and a log line saying why — never the secret itself.
 */
import type { Logger } from '../ops/log.js'

export interface WebhookSecretRef {
  readonly namespace: string
  readonly name: string
  readonly key: string
}

export interface WebhookSecretsOptions {
  /** Reads a Secret's decoded data; throws when it is missing or forbidden. */
  readonly read: (namespace: string, name: string) => Promise<Record<string, string>>
  readonly log: Logger
  /** @default 10 seconds */
  readonly ttlMs?: number
  readonly now?: () => number
}

export class WebhookSecrets {
  /** `namespace/name` → the Secret's data (undefined when unreadable), while fresh. */
  private readonly cache = new Map<
    string,
    { readonly at: number; readonly data: Promise<Record<string, string> | undefined> }
  >()

  constructor(private readonly options: WebhookSecretsOptions) {}

  async get(ref: WebhookSecretRef): Promise<string | undefined> {
    const { ttlMs = 10_000, now = Date.now } = this.options
    const id = `${ref.namespace}/${ref.name}`
    let entry = this.cache.get(id)
    if (!entry || now() - entry.at >= ttlMs) {
      this.sweep(now(), ttlMs)
      entry = { at: now(), data: this.read(ref) }
      this.cache.set(id, entry)
    }
    const value = (await entry.data)?.[ref.key]
    return value === undefined || value === '' ? undefined : value
  }

  private async read(ref: WebhookSecretRef): Promise<Record<string, string> | undefined> {
    try {
      return await this.options.read(ref.namespace, ref.name)
    } catch (error) {
      this.options.log.warn(
        { namespace: ref.namespace, secret: ref.name, err: (error as Error).message },
        'a site webhook secret is unavailable; its hook refuses every delivery',
      )
      return undefined
    }
  }

  /** Drops expired entries, so Secrets no longer asked for are not kept. */
  private sweep(at: number, ttlMs: number): void {
    for (const [id, entry] of this.cache) if (at - entry.at >= ttlMs) this.cache.delete(id)
  }
}
