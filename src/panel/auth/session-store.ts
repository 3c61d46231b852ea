/**
 * Server-side session state: the cookie holds only a random 256-bit id, the server keeps what it
 * names. Kept server-side rather than in an encrypted cookie so that signing out (or an admin
 * ending a session) ends it at once: a copied cookie is worthless afterwards. The store is an
 * interface so that several panel replicas can share one later; the in-memory store is bounded
 * (least recently used sessions go first), and every entry has an idle and an absolute expiry.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { SignInIdentity } from './identity.js'

export interface SessionRecord {
  readonly identity: SignInIdentity
  /** Synchronizer token for state-changing requests (csrf.ts). */
  readonly csrfToken: string
  /** The provider's ID token, for RP-initiated logout's `id_token_hint`. */
  readonly idToken?: string
  /** The customer an admin of this session acts as (POST /api/v1/admin/act-as). */
  readonly actingAs?: string
}

export interface SessionStore<T = SessionRecord> {
  /** Stores `value` under a new random id and returns the id. */
  create(value: T): Promise<string>
  /** The live value under `id` (and marks it used now), or undefined. */
  get(id: string): Promise<T | undefined>
  /** Removes and returns the value under `id`: a second take finds nothing. */
  take(id: string): Promise<T | undefined>
  delete(id: string): Promise<void>
  /** Replaces the live value under `id`, keeping its expiry; false when there is none. */
  replace(id: string, value: T): Promise<boolean>
}

export interface ExpiryLimits {
  /** Unused this long, an entry is gone. @default 30 minutes */
  readonly idleMs?: number
  /** Used or not, an entry is gone this long after creation. @default 12 hours */
  readonly absoluteMs?: number
  /** Entries kept; the least recently used go first. @default 10000 */
  readonly maxEntries?: number
}

interface Entry<T> {
  value: T
  readonly createdAt: number
  lastUsedAt: number
}

/** A random id for a cookie: 32 bytes, base64url. */
export const randomId = () => randomBytes(32).toString('base64url')

// Keyed by the id's hash, so the store's memory never holds a usable cookie value.
const keyOf = (id: string) => createHash('sha256').update(id).digest('base64url')

export class MemorySessionStore<T = SessionRecord> implements SessionStore<T> {
  private readonly entries = new Map<string, Entry<T>>()

  constructor(
    private readonly limits: ExpiryLimits = {},
    private readonly clock: () => number = Date.now,
  ) {}

  create(value: T): Promise<string> {
    const { maxEntries = 10_000 } = this.limits
    const id = randomId()
    const now = this.clock()
    while (this.entries.size >= maxEntries) {
      const [oldest] = this.entries.keys()
      if (oldest === undefined) break
      this.entries.delete(oldest)
    }
    this.entries.set(keyOf(id), { value, createdAt: now, lastUsedAt: now })
    return Promise.resolve(id)
  }

  get(id: string): Promise<T | undefined> {
    const key = keyOf(id)
    const entry = this.live(key)
    if (!entry) return Promise.resolve(undefined)
    entry.lastUsedAt = this.clock()
    // Re-inserted so that the map's order is least recently used first.
    this.entries.delete(key)
    this.entries.set(key, entry)
    return Promise.resolve(entry.value)
  }

  take(id: string): Promise<T | undefined> {
    const key = keyOf(id)
    const entry = this.live(key)
    this.entries.delete(key)
    return Promise.resolve(entry?.value)
  }

  delete(id: string): Promise<void> {
    this.entries.delete(keyOf(id))
    return Promise.resolve()
  }

  replace(id: string, value: T): Promise<boolean> {
    const entry = this.live(keyOf(id))
    if (entry) entry.value = value
    return Promise.resolve(entry !== undefined)
  }

  private live(key: string): Entry<T> | undefined {
    const { idleMs = 30 * 60_000, absoluteMs = 12 * 3_600_000 } = this.limits
    const entry = this.entries.get(key)
    if (!entry) return undefined
    const now = this.clock()
    if (now - entry.lastUsedAt >= idleMs || now - entry.createdAt >= absoluteMs) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }
}
