/**
 * The mirror feed on the syncer's HTTP listener (routes in feed-protocol.ts). Every route wants the
 * mirror token, compared in constant time; a tree is only ever read from the publish store's own
 * directory for a site key and tree id of the forms the store makes, so no request names a path.
 * Any kept tree can be read, not only the served one: a mirror still fetching a revision the
 * syncer has just replaced finishes it.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { isTreeId, type PublishStore } from '../syncer/publish-store.js'
import { verifySignature } from '../syncer/webhook.js'
import { FEED_PREFIX, isSha256, isSiteKey, WAIT_MS } from './feed-protocol.js'
import type { PublishedRevisions } from './published-revisions.js'
import { TreeManifests } from './tree-manifest.js'

export interface FeedRoutesOptions {
  readonly store: PublishStore
  readonly revisions: PublishedRevisions
  readonly token: string
  /** Site keys of every site the syncer syncs, served or not yet. */
  readonly known: () => Iterable<string>
  /** False until the syncer has handled every site once: a fresh syncer lists no sites yet. */
  readonly ready: () => boolean
  /** How long a revisions request is held while nothing changes. Default WAIT_MS. */
  readonly waitMs?: number
}

const NO_BODY = Buffer.alloc(0)

export const feedRoutes: FastifyPluginAsync<FeedRoutesOptions> = async (
  app,
  { store, revisions, token, known, ready, waitMs = WAIT_MS },
) => {
  const manifests = new TreeManifests()
  // Held revisions requests end when the server closes, so a syncer stops at once.
  const closing = new AbortController()
  app.addHook('preClose', async () => closing.abort())

  app.addHook('onRequest', async (request, reply) => {
    if (!verifySignature('generic', request.headers, NO_BODY, token))
      return reply.code(401).send({ error: 'missing or invalid mirror token' })
  })

  app.get<{ Querystring: { after?: string } }>(`${FEED_PREFIX}/revisions`, async (request, reply) => {
    // Until then sites not synced yet would look deleted, and mirrors would stop serving them.
    if (!ready())
      return reply
        .code(503)
        .send({ error: 'the syncer has not synced every site once yet; mirrors keep serving what they have' })
    const closed = new AbortController()
    reply.raw.once('close', () => closed.abort())
    return revisions.next(
      request.query.after,
      known,
      waitMs,
      AbortSignal.any([closed.signal, closing.signal]),
    )
  })

  /** The tree's directory, or undefined (answered 404) when the store keeps no such tree. */
  const treeDir = async (key: string, tree: string) => {
    if (!isSiteKey(key) || !isTreeId(tree)) return undefined
    const dir = store.treeDir(key, tree)
    return (await stat(dir).catch(() => undefined))?.isDirectory() ? dir : undefined
  }
  const gone = (reply: FastifyReply, key: string, tree: string) =>
    reply.code(404).send({ error: `site ${key} keeps no tree ${tree} (replaced or removed)` })

  app.get<{ Params: { key: string; tree: string } }>(
    `${FEED_PREFIX}/sites/:key/trees/:tree`,
    async (request, reply) => {
      const { key, tree } = request.params
      const dir = await treeDir(key, tree)
      if (!dir) return gone(reply, key, tree)
      return manifests.of(dir).catch(() => gone(reply, key, tree))
    },
  )

  app.get<{ Params: { key: string; tree: string; sha256: string } }>(
    `${FEED_PREFIX}/sites/:key/trees/:tree/blobs/:sha256`,
    async (request, reply) => {
      const { key, tree, sha256 } = request.params
      const dir = await treeDir(key, tree)
      if (!dir || !isSha256(sha256)) return gone(reply, key, tree)
      const manifest = await manifests.of(dir).catch(() => undefined)
      const file = manifest?.files.find((f) => f.sha256 === sha256)
      if (!file) return reply.code(404).send({ error: `tree ${tree} of site ${key} has no file ${sha256}` })
      const path = join(dir, file.path)
      const stream = createReadStream(path)
      // The tree may be pruned between the manifest and the open: that is a 404, not a 500.
      const opened = await new Promise<boolean>((resolve) => {
        stream.once('open', () => resolve(true))
        stream.once('error', () => resolve(false))
      })
      if (!opened) return gone(reply, key, tree)
      return reply.type('application/octet-stream').header('content-length', file.size).send(stream)
    },
  )
}
