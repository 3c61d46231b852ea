/**
 * ACME state on disk, one directory per CA directory URL so that staging and production accounts
 * and certificates never mix:
 *
 *   <data dir>/acme/<directory slug>/account.key               the account key (0600)
 *   <data dir>/acme/<directory slug>/orders.json               times of recent orders (the budget)
 *   <data dir>/acme/<directory slug>/certificates/<domain>.pem private key, then the chain (0600)
 *
 * Key and chain share one file so one atomic rename replaces both: a crash can never pair a new
 * key with an old certificate. Every write goes to a temporary file first, then is renamed.
 */
import { X509Certificate } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Lifetime } from './order-schedule.js'

export interface StoredCertificate extends Lifetime {
  readonly domain: string
  /** PEM private key. */
  readonly key: string
  /** PEM certificate, then its intermediates. */
  readonly chain: string
}

/** `https://acme-v02.api.letsencrypt.org/directory` → `acme-v02.api.letsencrypt.org-directory`. */
export function directorySlug(directoryUrl: string): string {
  const url = new URL(directoryUrl)
  return `${url.host}${url.pathname}`
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .replace(/^[.-]+|-+$/g, '')
    .slice(0, 200)
}

// Domains reach this module validated by the StaticSite schema; this keeps a file name safe anyway.
const SAFE_DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----\n?/g

/** Reads a stored certificate file: its key, its chain and the lifetime of the first certificate. */
export function parseStoredCertificate(domain: string, text: string): StoredCertificate {
  const blocks = [...text.matchAll(PEM_BLOCK)]
  const key = blocks.find((block) => block[1]?.endsWith('PRIVATE KEY'))?.[0]
  const certificates = blocks.filter((block) => block[1] === 'CERTIFICATE').map((block) => block[0])
  if (!key || certificates.length === 0)
    throw new Error(`no private key and certificate in the file for ${domain}`)
  const chain = certificates.join('')
  const leaf = new X509Certificate(chain)
  return {
    domain,
    key,
    chain,
    notBefore: Date.parse(leaf.validFrom),
    notAfter: Date.parse(leaf.validTo),
  }
}

async function writeAtomically(path: string, data: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, data, { mode: 0o600 })
  await rename(temporary, path)
}

const missing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT'

export class CertificateStore {
  readonly dir: string

  constructor(dataDir: string, directoryUrl: string) {
    this.dir = join(dataDir, 'acme', directorySlug(directoryUrl))
  }

  private certificateFile(domain: string): string {
    if (!SAFE_DOMAIN.test(domain)) throw new Error(`${JSON.stringify(domain)} is not a domain name`)
    return join(this.dir, 'certificates', `${domain}.pem`)
  }

  /** The account key, created by `create` and stored on first use. */
  async accountKey(create: () => Promise<string>): Promise<string> {
    const file = join(this.dir, 'account.key')
    try {
      return await readFile(file, 'utf8')
    } catch (error) {
      if (!missing(error)) throw error
    }
    const key = await create()
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    await writeAtomically(file, key)
    return key
  }

  /** The stored certificate of a domain; undefined when there is none. */
  async load(domain: string): Promise<StoredCertificate | undefined> {
    try {
      return parseStoredCertificate(domain, await readFile(this.certificateFile(domain), 'utf8'))
    } catch (error) {
      if (missing(error)) return undefined
      throw error
    }
  }

  async save(domain: string, key: string, chain: string): Promise<StoredCertificate> {
    const text = `${key.trim()}\n${chain.trim()}\n`
    const stored = parseStoredCertificate(domain, text)
    await mkdir(join(this.dir, 'certificates'), { recursive: true, mode: 0o700 })
    await writeAtomically(this.certificateFile(domain), text)
    return stored
  }

  /** Times of the orders placed recently, as the budget last saved them. */
  async orderTimes(): Promise<number[]> {
    try {
      const times: unknown = JSON.parse(await readFile(join(this.dir, 'orders.json'), 'utf8'))
      return Array.isArray(times) ? times.filter((time): time is number => typeof time === 'number') : []
    } catch (error) {
      if (missing(error) || error instanceof SyntaxError) return []
      throw error
    }
  }

  async saveOrderTimes(times: readonly number[]): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    await writeAtomically(join(this.dir, 'orders.json'), `${JSON.stringify(times)}\n`)
  }
}
