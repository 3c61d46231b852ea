/**
 * The customers' tokens of the repository proxy, from a mounted Secret: one key per customer (its
 * name), whose value is the SHA-256 (hex) of the customer's token. The kubelet updates a mounted
 * Secret by swapping its `..data` link, so the directory is read again every `refreshMs`, and at
 * once for a customer it does not know (at most once per `unknownRetryMs`, whoever asks: a
 * stream of made-up names reads the disk no more often than that). A request never reads the
 * disk itself: it waits at most for that one read.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../ops/log.js'

const CUSTOMER = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const HASH = /^[0-9a-f]{64}$/
/** A value longer than this is not a hash: the file is not read further than needed to tell. */
const MAX_VALUE_BYTES = 256

export interface ProxyTokensOptions {
  readonly dir: string
  readonly log: Logger
  /** @default 10 s */
  readonly refreshMs?: number
  /** @default 5 s */
  readonly unknownRetryMs?: number
  /** Called after each read with the number of customers that have a token. */
  readonly onLoaded?: (customers: number) => void
}

export class ProxyTokens {
  private hashes = new Map<string, string>()
  /** Customers whose value is not a hash, said once each rather than on every read. */
  private refused = new Set<string>()
  private loadedOnce = false
  private reading: Promise<void> | undefined
  private lastRead = 0
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly options: ProxyTokensOptions) {}

  /** True once the directory was read (an empty one counts: a target without customers yet). */
  get loaded(): boolean {
    return this.loadedOnce
  }

  /** Reads the directory, then again every refreshMs until stop(). Throws when the first read fails. */
  async start(): Promise<void> {
    await this.read()
    this.timer = setInterval(
      () => void this.reload().catch(() => undefined),
      this.options.refreshMs ?? 10_000,
    )
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** The hash of `customer`'s token; for an unknown one, after reading the directory again if allowed. */
  async tokenHash(customer: string): Promise<string | undefined> {
    const known = this.hashes.get(customer)
    if (known !== undefined) return known
    // A read under way is joined, whatever its age: it may be the one that brings this customer.
    if (!this.reading && Date.now() - this.lastRead < (this.options.unknownRetryMs ?? 5_000)) return undefined
    await this.reload().catch(() => undefined)
    return this.hashes.get(customer)
  }

  /** One read at a time: callers arriving during a read share it. */
  private reload(): Promise<void> {
    this.reading ??= this.read().finally(() => (this.reading = undefined))
    return this.reading
  }

  private async read(): Promise<void> {
    const { dir, log } = this.options
    this.lastRead = Date.now()
    try {
      const hashes = new Map<string, string>()
      const refused = new Set<string>()
      // The kubelet's own entries (`..data`, `..<timestamp>`) start with dots: never a customer.
      for (const name of (await readdir(dir)).filter((entry) => CUSTOMER.test(entry))) {
        const value = await readFile(join(dir, name), 'utf8').catch(() => undefined)
        const hash = value !== undefined && value.length <= MAX_VALUE_BYTES ? value.trim() : ''
        if (HASH.test(hash)) hashes.set(name, hash)
        else refused.add(name)
      }
      for (const name of refused)
        // Never the value: it may be a token written by mistake instead of its hash.
        if (!this.refused.has(name))
          log.warn({ customer: name }, 'the tokens Secret holds no SHA-256 hex for this customer')
      this.hashes = hashes
      this.refused = refused
      this.loadedOnce = true
      this.options.onLoaded?.(hashes.size)
    } catch (error) {
      // The tokens read last stay in force: a Secret being replaced is not every customer revoked.
      log.error({ err: error, dir }, 'could not read the tokens directory')
      throw error
    }
  }
}
