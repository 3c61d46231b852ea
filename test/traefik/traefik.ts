/**
 * Traefik v3, built from its Go module (tools/traefik, cached like the cluster binaries), run as a
 * local process with a ServiceAccount token. Static configuration is by flags: entry points `web`
 * and `websecure` and a `ping` entry point on free loopback ports, and either (`test`) the
 * Kubernetes CRD provider watching one namespace with test/traefik/rbac.yaml, or (`k3s`) the
 * configuration of k3s's bundled Traefik: the Helm chart's defaults with k3s's values
 * (manifests/traefik.yaml in k3s: CRD and Ingress providers on every namespace, TLS on
 * `websecure`) and the chart's RBAC for kube-system/traefik (test/traefik/k3s-rbac.yaml).
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { KubeRest } from '../../src/kube/rest.js'
import { ensureGoTools, type GoTools, goToolsUnavailable } from '../cluster/go-tools.js'
import type { TestCluster } from '../cluster/cluster.js'
import { applyManifest } from '../cluster/manifest.js'
import { waitFor } from '../cluster/process.js'
import { freePort } from '../serving/nginx-for-tests.js'

export const TRAEFIK: GoTools<'traefik'> = {
  name: 'traefik',
  pinnedModule: 'github.com/traefik/traefik/v3',
  binaries: { traefik: 'github.com/traefik/traefik/v3/cmd/traefik' },
  buildTimeoutMinutes: 60,
}

/** Reason the Traefik suites cannot run here, or false when they can (building Traefik if needed). */
export const traefikUnavailable = (): Promise<string | false> => goToolsUnavailable(TRAEFIK, 'Traefik')

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
  /**
   * `test`: the only namespace Traefik reads, where the routes, Middlewares, Services and Secrets
   * are; `k3s`: where its ServiceAccount is (kube-system), all namespaces are read.
   */
  readonly namespace: string
  /** Default `test`. */
  readonly profile?: 'test' | 'k3s'
  /** Log file and the cluster CA go here. */
  readonly workDir: string
}

interface Connection {
  readonly namespace: string
  readonly server: string
  readonly token: string
  readonly caFile: string
}

/** The CRD provider's connection to the API server (and the Ingress provider's, for k3s). */
const connect = (provider: string, { server, token, caFile }: Connection) => [
  `--providers.${provider}=true`,
  `--providers.${provider}.endpoint=${server}`,
  // A short-lived token; Traefik takes no token file outside a pod.
  `--providers.${provider}.token=${token}`,
  `--providers.${provider}.certAuthFilePath=${caFile}`,
]

const PROVIDERS = {
  test: (connection: Connection) => [
    ...connect('kubernetescrd', connection),
    `--providers.kubernetescrd.namespaces=${connection.namespace}`,
    '--providers.kubernetescrd.disableClusterScopeResources=true',
  ],
  // The chart's arguments for its defaults and k3s's values (the chart's ports :8000 and :8443 are
  // the two entry points here, on loopback, where k3s's LoadBalancer Service maps 80 and 443).
  k3s: (connection: Connection) => [
    ...connect('kubernetescrd', connection),
    '--providers.kubernetescrd.allowEmptyServices=true',
    ...connect('kubernetesingress', connection),
    '--providers.kubernetesingress.allowEmptyServices=true',
    '--entrypoints.websecure.http.tls=true',
  ],
}

export async function startTraefik({
  cluster,
  admin,
  namespace,
  workDir,
  profile = 'test',
}: TraefikOptions): Promise<RunningTraefik> {
  const { paths, version } = await ensureGoTools(TRAEFIK)
  await applyManifest(
    admin,
    profile === 'k3s' ? 'test/traefik/k3s-rbac.yaml' : 'test/traefik/rbac.yaml',
    profile === 'k3s' ? {} : { 'namespace: hostplane-system': `namespace: ${namespace}` },
  )
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
      ...PROVIDERS[profile]({ namespace, server: cluster.server, token, caFile }),
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
