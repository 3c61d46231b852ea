/**
 * Traefik v3, built from its Go module (tools/traefik, cached like the cluster binaries), run as a
 * local process whose Kubernetes CRD provider watches one namespace of the test cluster with a
 * ServiceAccount token bound to test/traefik/rbac.yaml. Static configuration is by flags:
 * entry points `web` and `websecure` and a `ping` entry point on free loopback ports.
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { KubeRest } from '../../src/kube/rest.js'
import { cachedGoTools, ensureGoTools, type GoTools, ToolchainMissingError } from '../cluster/go-tools.js'
import type { TestCluster } from '../cluster/cluster.js'
import { applyManifest } from '../cluster/manifest.js'
import { isCI } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'
import { freePort } from '../serving/nginx-for-tests.js'

export const TRAEFIK: GoTools<'traefik'> = {
  name: 'traefik',
  pinnedModule: 'github.com/traefik/traefik/v3',
  binaries: { traefik: 'github.com/traefik/traefik/v3/cmd/traefik' },
  buildTimeoutMinutes: 60,
}

/** Reason the Traefik suites cannot run here, or false when they can (building Traefik if needed). */
export async function traefikUnavailable(): Promise<string | false> {
  if (await cachedGoTools(TRAEFIK)) return false
  try {
    await ensureGoTools(TRAEFIK)
    return false
  } catch (error) {
    if (error instanceof ToolchainMissingError && !isCI()) return `Traefik tests not run: ${error.message}`
    throw error
  }
}

export interface RunningTraefik {
  readonly version: string
  readonly pid: number
  /** Ports of the `web` (HTTP) and `websecure` (HTTPS) entry points on 127.0.0.1. */
  readonly web: number
  readonly websecure: number
  /** The process's log (stdout and stderr), for failure messages. */
  log(): Promise<string>
  stop(): Promise<void>
}

export interface TraefikOptions {
  readonly cluster: TestCluster
  readonly admin: KubeRest
  /** The only namespace Traefik reads: where the routes, Middlewares, Services and Secrets are. */
  readonly namespace: string
  /** Log file and the cluster CA go here. */
  readonly workDir: string
}

export async function startTraefik({
  cluster,
  admin,
  namespace,
  workDir,
}: TraefikOptions): Promise<RunningTraefik> {
  const { paths, version } = await ensureGoTools(TRAEFIK)
  await applyManifest(admin, 'test/traefik/rbac.yaml', {
    'namespace: hostplane-system': `namespace: ${namespace}`,
  })
  const { kubeConfig } = await cluster.serviceAccountKubeConfig(namespace, 'traefik')
  const token = kubeConfig.getCurrentUser()?.token
  const caData = kubeConfig.getCurrentCluster()?.caData
  if (!token || !caData) throw new Error('the ServiceAccount kubeconfig has no token or CA')
  const caFile = join(workDir, 'cluster-ca.crt')
  await writeFile(caFile, Buffer.from(caData, 'base64'))
  const [web, websecure, ping] = [await freePort(), await freePort(), await freePort()]
  const logFile = join(workDir, 'traefik.log')
  const out = openSync(logFile, 'a')
  const child = spawn(
    paths.traefik,
    [
      `--entrypoints.web.address=127.0.0.1:${web}`,
      `--entrypoints.websecure.address=127.0.0.1:${websecure}`,
      `--entrypoints.ping.address=127.0.0.1:${ping}`,
      '--ping=true',
      '--ping.entrypoint=ping',
      '--providers.kubernetescrd=true',
      `--providers.kubernetescrd.endpoint=${cluster.server}`,
      // A short-lived, namespace-scoped read-only token; Traefik takes no token file outside a pod.
      `--providers.kubernetescrd.token=${token}`,
      `--providers.kubernetescrd.certAuthFilePath=${caFile}`,
      `--providers.kubernetescrd.namespaces=${namespace}`,
      '--providers.kubernetescrd.disableClusterScopeResources=true',
      '--global.checkNewVersion=false',
      '--global.sendAnonymousUsage=false',
      '--log.level=WARN',
    ],
    { cwd: workDir, stdio: ['ignore', out, out] },
  )
  closeSync(out)
  const kill = () => child.kill('SIGKILL')
  process.once('exit', kill)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const log = () => readFile(logFile, 'utf8').catch(() => '')
  const stop = async () => {
    process.off('exit', kill)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const timer = setTimeout(kill, 5000)
    await exited
    clearTimeout(timer)
  }
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`traefik exited with ${child.exitCode}:\n${await log()}`)
        const answer = await fetch(`http://127.0.0.1:${ping}/ping`, {
          signal: AbortSignal.timeout(2000),
        }).catch(() => undefined)
        return answer?.status === 200 ? true : undefined
      },
      { timeoutMs: 60_000, intervalMs: 200, describe: () => `traefik did not answer /ping within 60 s` },
    )
  } catch (error) {
    await stop()
    throw new Error(`${(error as Error).message}\n${(await log()).slice(-4000)}`, { cause: error })
  }
  return { version, pid: child.pid ?? 0, web, websecure, log, stop }
}
