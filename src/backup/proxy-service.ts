/**
 * `hostplane backup-proxy` as one service: the repository proxy (repository-proxy.ts) on its own
 * listener, the customers' tokens from their mounted Secret (proxy-tokens.ts), and /healthz,
 * /readyz and /metrics on a second listener. Ready once the tokens were read and the bucket
 * answered (asked again with backoff until it does). One log line per request: the customer its
 * token proved, method, type, status, bytes, duration — never a token or a header. The CLI runs
 * it; tests run it as a process (test/backup/backup-proxy-command.test.ts).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import { controlServer } from '../ops/control-server.js'
import { answerHalfClosedClients } from '../ops/half-closed-clients.js'
import type { Logger } from '../ops/log.js'
import { opsRoutes } from '../ops/ops-routes.js'
import { ProxyTokens } from './proxy-tokens.js'
import { type ProxiedRequest, repositoryProxy } from './repository-proxy.js'
import { type S3Bucket, S3Client, S3Error } from './s3-client.js'

interface Address {
  readonly host: string
  readonly port: number
}

export interface BackupProxyConfig {
  readonly log: Logger
  /** restic's REST protocol. */
  readonly listen: Address
  /** /healthz, /readyz, /metrics. */
  readonly opsListen: Address
  readonly bucket: S3Bucket
  /** Where the repositories live in the bucket: empty, or ending with `/`. */
  readonly prefix: string
  /** The mounted tokens Secret: one file per customer holding the SHA-256 (hex) of its token. */
  readonly tokensDir: string
  /** @default 128 MiB */
  readonly maxObjectBytes?: number
  /** Longest silence of the bucket in one call. @default 60 s */
  readonly bucketTimeoutMs?: number
  /** How often the tokens are read again. @default 10 s */
  readonly tokensRefreshMs?: number
}

export interface BackupProxyService {
  /** http://host:port of the REST listener. */
  readonly url: string
  readonly opsUrl: string
  stop(): Promise<void>
}

/** Receiving a request's headers; a whole request (an object of up to the limit); an idle connection. */
const HEADERS_TIMEOUT_MS = 20_000
const REQUEST_TIMEOUT_MS = 10 * 60_000
const IDLE_TIMEOUT_MS = 2 * 60_000
const KEEP_ALIVE_TIMEOUT_MS = 65_000
/** Requests under way at a stop get this long to finish (a Pod's grace period is 30 s). */
const STOP_GRACE_MS = 20_000
const BUCKET_RETRY_MAX_MS = 30_000
const METHODS = new Set(['GET', 'HEAD', 'POST', 'DELETE'])

const urlOf = (server: Server) => {
  const { address, port } = server.address() as AddressInfo
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`
}

function proxyMetrics(registry: Registry) {
  const registers = [registry]
  return {
    requests: new Counter({
      name: 'hostplane_backup_proxy_requests_total',
      help: 'Requests by method, what they addressed (an object type, config, repository, or none when refused before) and status.',
      labelNames: ['method', 'type', 'status'] as const,
      registers,
    }),
    bytes: new Counter({
      name: 'hostplane_backup_proxy_object_bytes_total',
      help: 'Bytes of objects stored (in) and of objects and listings sent (out).',
      labelNames: ['direction'] as const,
      registers,
    }),
    bucketErrors: new Counter({
      name: 'hostplane_backup_proxy_bucket_errors_total',
      help: "Calls to the bucket that failed, by the bucket's HTTP status (504: no answer in time), or network.",
      labelNames: ['status'] as const,
      registers,
    }),
    customers: new Gauge({
      name: 'hostplane_backup_proxy_customers',
      help: 'Customers with a token, as last read from the tokens Secret.',
      registers,
    }),
  }
}

export async function startBackupProxy(config: BackupProxyConfig): Promise<BackupProxyService> {
  const { log } = config
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const metrics = proxyMetrics(registry)
  const bucketFailed = (error: unknown) =>
    metrics.bucketErrors.inc({ status: error instanceof S3Error ? String(error.status) : 'network' })
  const s3 = new S3Client(config.bucket, config.bucketTimeoutMs)
  const tokens = new ProxyTokens({
    dir: config.tokensDir,
    log,
    refreshMs: config.tokensRefreshMs,
    onLoaded: (customers) => metrics.customers.set(customers),
  })

  const answered = (request: ProxiedRequest) => {
    const { customer, method, type, status, bytesIn, bytesOut, error, aborted } = request
    metrics.requests.inc({ method: METHODS.has(method) ? method : 'other', type, status: String(status) })
    if (bytesIn) metrics.bytes.inc({ direction: 'in' }, bytesIn)
    if (bytesOut) metrics.bytes.inc({ direction: 'out' }, bytesOut)
    if (error) bucketFailed(error)
    const line = {
      customer,
      method,
      type,
      status,
      bytesIn,
      bytesOut,
      ms: Math.round(request.durationMs),
      ...(aborted ? { aborted } : {}),
      ...(error ? { error: error.message } : {}),
    }
    if (error || aborted) log.warn(line, 'request failed')
    else log.info(line, 'request')
  }
  const server = answerHalfClosedClients(
    createServer(
      {
        headersTimeout: HEADERS_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        connectionsCheckingInterval: 1000,
      },
      repositoryProxy({
        s3,
        prefix: config.prefix,
        tokenHash: (customer) => tokens.tokenHash(customer),
        maxObjectBytes: config.maxObjectBytes,
        onAnswered: answered,
      }),
    ),
  )
  server.timeout = IDLE_TIMEOUT_MS

  let bucketAnswered = false
  const stopping = new AbortController()
  const checkBucket = async () => {
    for (let delay = 1000; ; delay = Math.min(delay * 2, BUCKET_RETRY_MAX_MS)) {
      try {
        await s3.checkBucket()
        bucketAnswered = true
        return log.info({ bucket: config.bucket.bucket }, 'the bucket answered')
      } catch (error) {
        bucketFailed(error)
        log.warn({ err: error, retryInMs: delay }, 'the bucket did not answer; not ready')
      }
      await sleep(delay, undefined, { signal: stopping.signal })
    }
  }

  await tokens.start()
  const ops = controlServer(log)
  await ops.register(opsRoutes, { registry, ready: () => tokens.loaded && bucketAnswered })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(config.listen.port, config.listen.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    await ops.listen(config.opsListen)
  } catch (error) {
    tokens.stop()
    await ops.close()
    server.close()
    throw error
  }
  checkBucket().catch(() => undefined)
  const url = urlOf(server)
  log.info({ url, bucket: config.bucket.bucket, prefix: config.prefix }, 'backup proxy started')
  return {
    url,
    opsUrl: urlOf(ops.server),
    async stop() {
      stopping.abort()
      tokens.stop()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const timer = setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS)
      await Promise.all([closed, ops.close()])
      clearTimeout(timer)
    },
  }
}
