/**
 * The customer's Backups under /api/v1, and a Succeeded one's files or database as a download:
 * restic reads the part from the customer's repository (through the target's repository proxy,
 * with the URL and password of the customer's own repository Secret, read as the customer) and
 * its bytes go to the client as restic writes them. A download is bounded per customer and in
 * time; a client that goes away stops restic. Each one is in the audit log with its outcome.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { type Static, Type } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import { DownloadMissingError, openDownload } from '../backup/download.js'
import { Restic } from '../backup/restic.js'
import { errors, service } from './api-routes.js'
import type { DownloadSource } from './customer-service.js'
import { PanelError } from './errors.js'
import { BackupView, DownloadQuery, ListOf, NameParams } from './schemas.js'

export interface DownloadLimits {
  /** Downloads one customer may run at once. @default 2 */
  readonly perCustomer?: number
  /** A download is stopped after this long, however far it got. @default 1 hour */
  readonly maxMs?: number
}

const DOWNLOAD_TYPES = ['application/x-tar', 'application/octet-stream', 'application/sql'] as const

type Download = { Params: Static<typeof NameParams>; Querystring: Static<typeof DownloadQuery> }

/** `attachment` with the name as it is in ASCII and, for any other name, as RFC 5987 spells it. */
const attachment = (filename: string) =>
  `attachment; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(filename)}`

export const backupRoutes: FastifyPluginAsync<{ limits?: DownloadLimits }> = async (app, options) => {
  const { perCustomer = 2, maxMs = 3600_000 } = options.limits ?? {}
  const running = new Map<string, number>()

  app.get(
    '/backups',
    {
      schema: {
        summary: 'Your Backups, newest first, with their state in words and what each holds',
        tags: ['backups'],
        response: { 200: ListOf(BackupView), ...errors(404) },
      },
    },
    async (request) => ({ items: await service(request).listBackups() }),
  )

  app.get<Download>(
    '/backups/:name/download',
    {
      schema: {
        summary: 'A Succeeded Backup’s files (a tar archive) or its database dump, as a download',
        description:
          'part=files: the volume as a tar archive (its entries under data/); with path, one directory of it (tar) or one file (its bytes). part=database: the dump as it was stored (SQL). 409 while the Backup has not Succeeded.',
        tags: ['backups'],
        params: NameParams,
        querystring: DownloadQuery,
        produces: DOWNLOAD_TYPES,
        response: { 200: Type.String({ format: 'binary' }), ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const customer = service(request)
      const who = customer.customer
      if ((running.get(who) ?? 0) >= perCustomer)
        throw new PanelError(
          'HP_ERR_PANEL_TOO_MANY_DOWNLOADS',
          `${perCustomer} backup downloads are running for ${who}: wait for one to finish and try again`,
        )
      running.set(who, (running.get(who) ?? 0) + 1)
      let released = false
      const release = () => {
        if (released) return
        released = true
        const left = (running.get(who) ?? 1) - 1
        if (left > 0) running.set(who, left)
        else running.delete(who)
      }
      const stop = new AbortController()
      // The answer closes when it is done or when the client went away: either way restic stops.
      const closed = () => stop.abort()
      reply.raw.on('close', closed)
      const deadline = setTimeout(closed, maxMs)
      const { part, path } = request.query
      try {
        await customer.downloadBackup(request.params.name, { part, ...(path ? { path } : {}) }, (source) =>
          deliver(source, stop.signal),
        )
      } catch (error) {
        if (!reply.sent) throw error
        // The answer has begun: the client can only tell by a connection closed before its end.
        request.log.warn(
          { err: error, backup: request.params.name, customer: who },
          'backup download stopped',
        )
        reply.raw.destroy()
      } finally {
        clearTimeout(deadline)
        reply.raw.off('close', closed)
        release()
      }

      async function deliver(source: DownloadSource, signal: AbortSignal): Promise<void> {
        // A cache of the repository's index for this download only: nothing of it outlives it.
        const cacheDir = await mkdtemp(join(tmpdir(), 'hostplane-download-'))
        try {
          const restic = new Restic(source.repository, { cacheDir, timeoutMs: maxMs })
          const download = await openDownload(restic, source, signal).catch((error: unknown) => {
            if (error instanceof DownloadMissingError)
              throw new PanelError('HP_ERR_PANEL_NOT_FOUND', error.message)
            request.log.warn(
              { err: error, backup: source.backup, customer: who },
              'backup repository unreadable',
            )
            throw new PanelError('HP_ERR_PANEL_REPOSITORY_UNAVAILABLE', undefined, undefined, {
              cause: error,
            })
          })
          reply.hijack()
          reply.raw.writeHead(200, {
            'content-type': download.contentType,
            'content-disposition': attachment(download.filename),
            'cache-control': 'no-store',
            'x-content-type-options': 'nosniff',
          })
          await pipeline(download.body, reply.raw, { end: false })
          await download.done
          // Before the client sees the end, so that its next download finds the slot free.
          release()
          reply.raw.end()
        } finally {
          await rm(cacheDir, { recursive: true, force: true })
        }
      }
    },
  )
}
