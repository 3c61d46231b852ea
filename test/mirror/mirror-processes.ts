/**
 * A syncer and its mirrors as real `hostplane` processes on this machine, as a cluster would run
 * them: the syncer with a kubeconfig for the test cluster, syncing one namespace from the git
 * fixture into its sites root and serving the feed on a port of its own (`--mirror-listen`, as the
 * install's `mirror` storage mode runs it), and each mirror with its own sites root, following that
 * feed. Shared by test/mirror and bench/mirror.ts.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { type CliProcess, SOURCE_CLI, startCli } from '../e2e/cli-process.js'
import { waitFor } from '../cluster/process.js'
import { freePort } from '../serving/nginx-for-tests.js'
import type { GitFixture } from '../syncer/git-fixture.js'

export const MIRROR_TOKEN = 'mirror-token-for-tests'
export const SYNC_TOKEN = 'sync-token-for-tests'

export interface HostplaneProcess {
  readonly url: string
  readonly process: CliProcess
}

/** Waits until `url`/readyz answers 200; fails with the process's log. */
export async function ready(url: string, process: CliProcess, timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok ? true : undefined), {
    timeoutMs,
    intervalMs: 50,
    describe: () => `${url} not ready after ${timeoutMs} ms`,
  }).catch(async (error: Error) => {
    throw new Error(`${error.message}:\n${(await process.log()).slice(-4000)}`)
  })
}

export interface SyncerProcessOptions {
  readonly fx: GitFixture
  readonly kubeconfig: string
  readonly namespace: string
  /** Directory for its sites root, work directory and log. */
  readonly dir: string
  /** Keeps the addresses across a restart, so the mirrors find the feed again. */
  readonly ports?: SyncerPorts
  readonly cli?: readonly string[]
  /** More environment, e.g. LOG_LEVEL or a webhook secret. */
  readonly env?: Readonly<Record<string, string>>
  /** How long it may take to handle every existing site once (`/readyz`). Default 60 s. */
  readonly readyTimeoutMs?: number
}

export interface SyncerPorts {
  /** The HTTP API: webhooks, manual sync, probes, metrics. */
  readonly http: number
  /** The mirror feed's own listener. */
  readonly feed: number
}

export interface SyncerProcess extends HostplaneProcess {
  readonly root: string
  readonly feedUrl: string
  readonly ports: SyncerPorts
}

export async function startSyncerProcess(options: SyncerProcessOptions): Promise<SyncerProcess> {
  const { fx, dir, cli = SOURCE_CLI } = options
  const ports = options.ports ?? { http: await freePort(), feed: await freePort() }
  const url = `http://127.0.0.1:${ports.http}`
  const root = join(dir, 'sites')
  await mkdir(dir, { recursive: true })
  const process = startCli(
    [
      'syncer',
      '--kubeconfig',
      options.kubeconfig,
      '--namespace',
      options.namespace,
      '--allowed-hosts',
      '127.0.0.1',
      '--allow-private-networks',
      '127.0.0.1/32',
      '--git-ca-file',
      fx.server.caFile,
      '--sites-root',
      root,
      '--work-dir',
      join(dir, 'work'),
      '--listen',
      `127.0.0.1:${ports.http}`,
      '--mirror-listen',
      `127.0.0.1:${ports.feed}`,
    ],
    join(dir, 'syncer.log'),
    {
      LOG_FORMAT: 'json',
      HOSTPLANE_MIRROR_TOKEN: MIRROR_TOKEN,
      HOSTPLANE_SYNC_TOKEN: SYNC_TOKEN,
      ...options.env,
    },
    cli,
  )
  await ready(url, process, options.readyTimeoutMs)
  return { url, process, root, feedUrl: `http://127.0.0.1:${ports.feed}`, ports }
}

export interface MirrorProcessOptions {
  /** The syncer's feed (its `feedUrl`). */
  readonly syncerUrl: string
  /** Directory for its sites root and log. */
  readonly dir: string
  readonly token?: string
  readonly cli?: readonly string[]
}

/** A mirror, started; not waited for (a mirror with a wrong token never gets ready). */
export async function startMirrorProcess(
  options: MirrorProcessOptions,
): Promise<HostplaneProcess & { root: string }> {
  const { dir, cli = SOURCE_CLI } = options
  const port = await freePort()
  const root = join(dir, 'sites')
  await mkdir(root, { recursive: true })
  const process = startCli(
    ['mirror', '--syncer-url', options.syncerUrl, '--sites-root', root, '--listen', `127.0.0.1:${port}`],
    join(dir, 'mirror.log'),
    { LOG_FORMAT: 'json', HOSTPLANE_MIRROR_TOKEN: options.token ?? MIRROR_TOKEN },
    cli,
  )
  return { url: `http://127.0.0.1:${port}`, process, root }
}

/** Asks the syncer to sync one site now (the manual-sync API). */
export async function requestSync(syncerUrl: string, namespace: string, name: string): Promise<void> {
  const response = await fetch(`${syncerUrl}/sync/${namespace}/${name}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SYNC_TOKEN}` },
  })
  if (response.status !== 202)
    throw new Error(`sync ${namespace}/${name}: ${response.status} ${await response.text()}`)
}
