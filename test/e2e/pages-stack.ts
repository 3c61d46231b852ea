/**
 * The cluster serving path with real components, for the end-to-end tests and the Traefik
 * benchmark: a system namespace with the operator's RBAC, `hostplane operator` as its own process
 * with that ServiceAccount's token, Debian's nginx with the rendered configuration on a pod address
 * serving a sites root, the Service and EndpointSlice the operator's routes name, and Traefik
 * reading that namespace. The operator's IngressRoutes are used exactly as rendered.
 */
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeRest } from '../../src/kube/rest.js'
import type { TestCluster } from '../cluster/cluster.js'
import { waitFor } from '../cluster/process.js'
import { OperatorEnv } from '../operator/harness.js'
import { type RawRequest, type RawResponse, sendRequest } from '../serving/http-request.js'
import { type RunningNginx, startNginx } from '../serving/nginx-for-tests.js'
import { startCli, type CliProcess } from './cli-process.js'
import { createNginxService } from '../traefik/nginx-service.js'
import { createPodAddress, type PodAddress } from '../traefik/pod-address.js'
import { type RunningTraefik, startTraefik } from '../traefik/traefik.js'

export const PAGES_DOMAIN = 'pages.test'
const NGINX_SERVICE = 'hostplane-nginx'
const NGINX_SERVICE_PORT = 80

/**
 * `hostplane operator` as its own process, with the ServiceAccount of `test` (set up), reconciling
 * the sites and Customers labelled with its selector — runs share the cluster, and another run's
 * Customers, Webspaces, Databases and Backups are that run's to reconcile, or nobody's; its routes
 * name the nginx Service PagesStack creates.
 */
export const startOperatorCli = (test: OperatorEnv, logFile: string): CliProcess =>
  startCli(
    [
      'operator',
      ...['--kubeconfig', test.kubeconfigPath, '--system-namespace', test.systemNamespace],
      ...['--pages-domain', PAGES_DOMAIN, '--default-issuer', 'test-issuer'],
      ...['--nginx-service', NGINX_SERVICE, '--nginx-port', String(NGINX_SERVICE_PORT)],
      ...['--listen', '127.0.0.1:0', '--no-leader-elect'],
      ...['--site-selector', test.selector, '--customer-selector', test.selector],
      ...['--service-account', test.operatorAccount],
    ],
    logFile,
  )

export interface StackOptions {
  /** Names the run's namespaces (see OperatorEnv). */
  readonly name: string
  readonly nginxWorkers?: number
}

export class PagesStack {
  private constructor(
    readonly test: OperatorEnv,
    readonly admin: KubeRest,
    readonly work: string,
    readonly sitesRoot: string,
    private readonly parts: {
      podAddress?: PodAddress
      nginx?: RunningNginx
      traefik?: RunningTraefik
      operator?: CliProcess
    },
  ) {}

  get traefik(): RunningTraefik {
    if (!this.parts.traefik) throw new Error('the stack is not running')
    return this.parts.traefik
  }

  get nginx(): RunningNginx & { readonly address: string } {
    const { nginx, podAddress } = this.parts
    if (!nginx || !podAddress) throw new Error('the stack is not running')
    return { ...nginx, address: podAddress.address }
  }

  static async start(cluster: TestCluster, { name, nginxWorkers = 1 }: StackOptions): Promise<PagesStack> {
    const admin = new KubeRest(cluster.kubeConfig())
    const test = new OperatorEnv(cluster, admin, name)
    const work = await mkdtemp(join(tmpdir(), `hostplane-${name}-`))
    // nginx started as root runs its workers as `nobody`, who must reach the sites root.
    await chmod(work, 0o755)
    const sitesRoot = join(work, 'sites')
    await mkdir(sitesRoot, { recursive: true })
    const stack = new PagesStack(test, admin, work, sitesRoot, {})
    try {
      await test.setUp()
      const podAddress = await createPodAddress()
      stack.parts.podAddress = podAddress
      const nginx = await startNginx({
        root: sitesRoot,
        workDir: join(work, 'nginx'),
        host: podAddress.address,
        workerProcesses: nginxWorkers,
      })
      stack.parts.nginx = nginx
      await createNginxService(admin, {
        namespace: test.systemNamespace,
        name: NGINX_SERVICE,
        port: NGINX_SERVICE_PORT,
        address: podAddress.address,
        targetPort: nginx.port,
      })
      stack.parts.traefik = await startTraefik({
        cluster,
        admin,
        namespace: test.systemNamespace,
        workDir: work,
      })
      stack.parts.operator = startOperatorCli(test, join(work, 'operator.log'))
      return stack
    } catch (error) {
      await stack.stop()
      throw error
    }
  }

  /** A request to Traefik: `web` entry point, or `websecure` with SNI when `tls` is given. */
  request(request: Omit<RawRequest, 'port' | 'method'> & { readonly method?: string }): Promise<RawResponse> {
    const { web, websecure } = this.traefik
    return sendRequest({ method: 'GET', ...request, port: request.tls ? websecure : web })
  }

  /** Repeats a request through Traefik until `accept` holds (routes and files take a moment to appear). */
  async requestUntil(
    request: Parameters<PagesStack['request']>[0],
    accept: (response: RawResponse) => boolean,
    timeoutMs = 30_000,
  ): Promise<RawResponse> {
    let last: RawResponse | undefined
    return waitFor(
      async () => {
        last = await this.request(request).catch(() => undefined)
        return last && accept(last) ? last : undefined
      },
      {
        timeoutMs,
        intervalMs: 100,
        describe: () =>
          `${request.headers.Host ?? ''}${request.path} through Traefik: last answer ${last?.status} ${last?.body.slice(0, 200)}`,
      },
    )
  }

  /** The logs of Traefik and the operator, to attach to a failure. */
  async logs(): Promise<string> {
    const traefik = (await this.parts.traefik?.log()) ?? ''
    const operator = (await this.parts.operator?.log()) ?? ''
    return `--- traefik\n${traefik.slice(-3000)}\n--- operator\n${operator.slice(-3000)}`
  }

  async stop(): Promise<void> {
    const { operator, traefik, nginx, podAddress } = this.parts
    await operator?.stop()
    await traefik?.stop()
    await nginx?.stop()
    await podAddress?.release()
    await this.test.tearDown()
    this.admin.close()
    await rm(this.work, { recursive: true, force: true })
  }
}
