/**
 * One-time source URLs for build Jobs: the commit's tree is only in the push's quarantine while
 * the push waits, so the gate writes it as a tar to the gitserver's private directory and offers
 * it at `GET /sources/<token>`. The first download spends the token (a retried or copied URL gets
 * 404); an offer nobody takes goes when its build ends or its time is up. The token is 256 random
 * bits and appears only in the build Pod's spec, in the build namespace tenants cannot read.
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'

const TOKEN = /^[0-9a-f]{64}$/

export interface SourceOffer {
  readonly url: string
  /** Removes the offer if it was not taken. */
  withdraw(): Promise<void>
}

export class SourceDrop {
  private readonly offers = new Map<string, { file: string; timer: NodeJS.Timeout }>()

  /** `baseUrl`: where build Pods reach this process's HTTP listener, e.g. http://hostplane-gitserver.hostplane-system:8080 */
  constructor(
    private readonly dir: string,
    private readonly baseUrl: string,
  ) {}

  async offer(tar: Buffer, ttlMs: number): Promise<SourceOffer> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    const token = randomBytes(32).toString('hex')
    const file = join(this.dir, `${token}.tar`)
    await writeFile(file, tar, { mode: 0o600 })
    const withdraw = async () => {
      const offer = this.offers.get(token)
      if (!offer) return
      clearTimeout(offer.timer)
      this.offers.delete(token)
      await rm(file, { force: true })
    }
    const timer = setTimeout(() => void withdraw(), ttlMs)
    timer.unref()
    this.offers.set(token, { file, timer })
    return { url: `${this.baseUrl.replace(/\/+$/, '')}/sources/${token}`, withdraw }
  }

  /** The offer's file, which the caller now owns (and removes); undefined when unknown or spent. */
  take(token: string): string | undefined {
    const offer = TOKEN.test(token) ? this.offers.get(token) : undefined
    if (!offer) return undefined
    clearTimeout(offer.timer)
    this.offers.delete(token)
    return offer.file
  }

  async close(): Promise<void> {
    for (const [token, offer] of [...this.offers]) {
      clearTimeout(offer.timer)
      this.offers.delete(token)
      await rm(offer.file, { force: true })
    }
  }
}

export const sourceRoutes: FastifyPluginAsync<{ readonly drop: SourceDrop }> = async (app, { drop }) => {
  app.get<{ Params: { token: string } }>('/sources/:token', async (request, reply) => {
    const file = drop.take(request.params.token)
    if (!file) return reply.code(404).send({ error: 'no such source: a source URL works once' })
    const stream = createReadStream(file)
    stream.once('close', () => void rm(file, { force: true }))
    return reply.header('content-type', 'application/x-tar').header('cache-control', 'no-store').send(stream)
  })
}
