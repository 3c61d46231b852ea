/**
 * A real Kubernetes control plane for tests and for people: etcd, kube-apiserver (TLS, RBAC,
 * service-account tokens) and kube-controller-manager (garbage collection, namespace deletion,
 * service-account tokens) on loopback, on free ports, with hostplane's and the third-party CRDs
 * installed. State lives under <cache>/clusters/<name>; a run that crashed is cleaned up by the
 * next start.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { request } from 'node:https'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { ApiextensionsV1Api, CoreV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node'
import { parseAllDocuments, stringify } from 'yaml'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import { ensureKubeBinaries, type KubeBinaries } from './binaries.js'
import { cacheRoot, REPO_ROOT } from './paths.js'
import { createPki, issueUserCert, type Pki, pkiIn } from './pki.js'
import { commandLine, isAlive, sleep, waitFor } from './process.js'

export interface ClusterOptions {
  /** Directory name under <cache>/clusters; default unique per process. */
  readonly name?: string
  /** Install hostplane's CRDs and the Traefik and cert-manager CRDs (default true), or only the latter. */
  readonly installCrds?: boolean | 'third-party'
  /**
   * Runs once the CRDs are installed, before the controller-manager starts: what the cluster held
   * when its controllers came up (an earlier hostplane install, CRDs included, whose kinds the
   * quota controller then counts from its start).
   */
  readonly beforeControllers?: (cluster: TestCluster) => Promise<void>
  /** Keep the processes running after this process exits (`npm run cluster:up`). */
  readonly detached?: boolean
  readonly log?: (line: string) => void
  /**
   * An audit policy (the YAML text of an audit.k8s.io/v1 Policy): the API server writes the events
   * it selects, one JSON object a line, to `auditLogPath`.
   */
  readonly auditPolicy?: string
}

type Component = 'etcd' | 'apiserver' | 'controllerManager'

interface State {
  /** Process whose exit makes this cluster stale; absent for a detached cluster. */
  readonly owner?: number
  readonly pids: Partial<Record<Component, number>>
  readonly ports: {
    readonly etcd: number
    readonly etcdPeer: number
    readonly apiserver: number
    readonly controllerManager: number
  }
}

const CLUSTERS_DIR = () => join(cacheRoot(), 'clusters')
const CRD_FILES = ['deploy/third-party/traefik-crds.yaml', 'deploy/third-party/cert-manager-crds.yaml']
/** A directory without state.json may belong to a cluster that is starting right now. */
const STATELESS_GRACE_MS = 5 * 60_000
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local'

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

const b64 = async (file: string) => (await readFile(file)).toString('base64')

async function certKubeconfigYaml(
  server: string,
  pki: Pki,
  user: { cert: string; key: string; name: string },
) {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'hostplane-test', cluster: { server, 'certificate-authority-data': await b64(pki.caCert) } },
    ],
    users: [
      {
        name: user.name,
        user: { 'client-certificate-data': await b64(user.cert), 'client-key-data': await b64(user.key) },
      },
    ],
    contexts: [{ name: 'hostplane-test', context: { cluster: 'hostplane-test', user: user.name } }],
    'current-context': 'hostplane-test',
  })
}

/** Kills the processes of clusters whose owner died and removes their data. */
export async function cleanupStaleClusters(log: (line: string) => void = () => {}): Promise<void> {
  const root = CLUSTERS_DIR()
  if (!existsSync(root)) return
  for (const name of await readdir(root)) {
    const dir = join(root, name)
    const state = await readState(dir)
    // A detached cluster lives until `cluster:down`; an owned one until its owner exits.
    if (state && (state.owner === undefined || isAlive(state.owner))) continue
    if (!state && Date.now() - (await stat(dir)).mtimeMs < STATELESS_GRACE_MS) continue
    log(`removing stale test cluster ${dir}`)
    if (state) killRecorded(dir, state, 'SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
}

async function readState(dir: string): Promise<State | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as State
  } catch {
    return undefined
  }
}

/** Signals only pids whose command line still names this cluster's directory. */
function killRecorded(dir: string, state: State, signal: NodeJS.Signals) {
  for (const pid of Object.values(state.pids)) {
    if (pid && isAlive(pid) && commandLine(pid).includes(dir)) process.kill(pid, signal)
  }
}

export class TestCluster {
  private readonly children = new Map<Component, ChildProcess>()
  private readonly exitHandler = () => this.killNow()
  private stopped = false

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly binaries: KubeBinaries,
    private readonly pki: Pki,
    private state: State,
    private readonly options: ClusterOptions,
  ) {}

  get server(): string {
    return `https://127.0.0.1:${this.state.ports.apiserver}`
  }

  get kubeconfigPath(): string {
    return join(this.dir, 'admin.kubeconfig')
  }

  /** The API server's audit log (with `auditPolicy` only). */
  get auditLogPath(): string {
    return join(this.dir, 'audit.log')
  }

  get kubernetesVersion(): string {
    return this.binaries.kubernetesVersion
  }

  /** Admin (system:masters) client configuration. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig()
    kc.loadFromFile(this.kubeconfigPath)
    return kc
  }

  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    const log = options.log ?? (() => {})
    const started = Date.now()
    await cleanupStaleClusters(log)
    const binaries = await ensureKubeBinaries(log)
    const name = options.name ?? `run-${process.pid}-${Date.now().toString(36)}`
    const dir = join(CLUSTERS_DIR(), name)
    const previous = await readState(dir)
    if (previous) killRecorded(dir, previous, 'SIGKILL')
    await rm(dir, { recursive: true, force: true })
    await mkdir(join(dir, 'pki'), { recursive: true })
    const pki = await createPki(join(dir, 'pki'))
    const [etcd, etcdPeer, apiserver, controllerManager] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ])
    const state: State = {
      ...(options.detached ? {} : { owner: process.pid }),
      pids: {},
      ports: { etcd, etcdPeer, apiserver, controllerManager },
    }
    const cluster = new TestCluster(name, dir, binaries, pki, state, options)
    if (!options.detached) process.on('exit', cluster.exitHandler)
    try {
      await writeFile(join(dir, 'state.json'), JSON.stringify(state, null, 2))
      await writeFile(
        cluster.kubeconfigPath,
        await certKubeconfigYaml(cluster.server, pki, {
          name: 'admin',
          cert: pki.adminCert,
          key: pki.adminKey,
        }),
      )
      await writeFile(
        join(dir, 'controller-manager.kubeconfig'),
        await certKubeconfigYaml(cluster.server, pki, {
          name: 'controller-manager',
          cert: pki.controllerManagerCert,
          key: pki.controllerManagerKey,
        }),
      )
      if (options.auditPolicy) await writeFile(join(dir, 'audit-policy.yaml'), options.auditPolicy)
      await cluster.launch('etcd')
      await cluster.startApiServer()
      // CRDs first, as on an installed cluster: the quota controller counts `count/<crd>` only for
      // kinds it has discovered, and a quota created before that stays incomplete for minutes.
      if (options.installCrds === 'third-party') await cluster.installCrds(CRD_FILES)
      else if (options.installCrds !== false) await cluster.installCrds()
      await options.beforeControllers?.(cluster)
      await cluster.launch('controllerManager')
      await cluster.waitForControllerManager()
    } catch (error) {
      await cluster.stop({ keepData: true })
      throw new Error(`test cluster failed to start (logs in ${dir}): ${(error as Error).message}`, {
        cause: error,
      })
    }
    log(
      `test cluster ${binaries.kubernetesVersion} ready at ${cluster.server} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    )
    return cluster
  }

  private args(component: Component): string[] {
    const { ports } = this.state
    const data = (file: string) => join(this.dir, file)
    switch (component) {
      case 'etcd':
        return [
          '--name=hostplane-test',
          `--data-dir=${data('etcd')}`,
          `--listen-client-urls=http://127.0.0.1:${ports.etcd}`,
          `--advertise-client-urls=http://127.0.0.1:${ports.etcd}`,
          `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
          `--initial-cluster=hostplane-test=http://127.0.0.1:${ports.etcdPeer}`,
          // Tests do not need durability across power loss; fsync dominates write latency otherwise.
          '--unsafe-no-fsync',
          '--log-level=warn',
        ]
      case 'apiserver':
        return [
          `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${ports.apiserver}`,
          `--cert-dir=${data('apiserver-certs')}`,
          `--tls-cert-file=${this.pki.serverCert}`,
          `--tls-private-key-file=${this.pki.serverKey}`,
          `--client-ca-file=${this.pki.caCert}`,
          '--authorization-mode=RBAC',
          '--anonymous-auth=false',
          `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
          `--service-account-key-file=${this.pki.serviceAccountPub}`,
          `--service-account-signing-key-file=${this.pki.serviceAccountKey}`,
          '--service-cluster-ip-range=10.96.0.0/16',
          '--allow-privileged=false',
          '--profiling=false',
          ...(this.options.auditPolicy
            ? [`--audit-policy-file=${data('audit-policy.yaml')}`, `--audit-log-path=${this.auditLogPath}`]
            : []),
          '--v=1',
        ]
      case 'controllerManager':
        return [
          `--kubeconfig=${data('controller-manager.kubeconfig')}`,
          `--authentication-kubeconfig=${data('controller-manager.kubeconfig')}`,
          `--authorization-kubeconfig=${data('controller-manager.kubeconfig')}`,
          `--service-account-private-key-file=${this.pki.serviceAccountKey}`,
          `--root-ca-file=${this.pki.caCert}`,
          '--use-service-account-credentials=true',
          '--leader-elect=false',
          '--bind-address=127.0.0.1',
          `--secure-port=${ports.controllerManager}`,
          `--cert-dir=${data('controller-manager-certs')}`,
          '--cluster-cidr=10.244.0.0/16',
          '--service-cluster-ip-range=10.96.0.0/16',
          '--v=1',
        ]
    }
  }

  private async launch(component: Component): Promise<void> {
    const binary = {
      etcd: this.binaries.etcd,
      apiserver: this.binaries.apiserver,
      controllerManager: this.binaries.controllerManager,
    }[component]
    const logFile = openSync(join(this.dir, `${component}.log`), 'a')
    // The data directory is in every command line, which is how stale cleanup recognises our pids.
    const child = spawn(binary, this.args(component), {
      cwd: this.dir,
      stdio: ['ignore', logFile, logFile],
      detached: this.options.detached ?? false,
    })
    closeSync(logFile)
    if (this.options.detached) child.unref()
    this.children.set(component, child)
    this.state = { ...this.state, pids: { ...this.state.pids, [component]: child.pid } }
    await writeFile(join(this.dir, 'state.json'), JSON.stringify(this.state, null, 2))
    child.once('exit', () => {
      if (this.children.get(component) === child) this.children.delete(component)
    })
  }

  private processExited(component: Component): boolean {
    return !this.children.has(component)
  }

  /** GET a health path with the admin certificate; resolves to the HTTP status (0 when unreachable). */
  private async probe(path: string): Promise<number> {
    const [ca, cert, key] = await Promise.all([
      readFile(this.pki.caCert),
      readFile(this.pki.adminCert),
      readFile(this.pki.adminKey),
    ])
    return new Promise((resolve) => {
      const req = request(`${this.server}${path}`, { ca, cert, key, timeout: 2000 }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', () => resolve(0))
      req.on('timeout', () => req.destroy())
      req.end()
    })
  }

  /** Starts (or restarts after `stopApiServer`) the API server on the same port and waits for /readyz. */
  async startApiServer(): Promise<void> {
    await this.launch('apiserver')
    await waitFor(
      async () =>
        ((await this.probe('/readyz')) === 200 ? true : undefined) ?? this.failIfExited('apiserver'),
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        describe: () => 'kube-apiserver did not become ready within 60 s (see apiserver.log)',
      },
    )
  }

  /** Stops the API server (SIGTERM, then SIGKILL), for tests of clients that must survive an outage. */
  async stopApiServer(): Promise<void> {
    await this.terminate('apiserver')
  }

  /**
   * Freezes the API server (SIGSTOP): its connections stay open and nothing answers, as with a
   * hung server; `resumeApiServer` (SIGCONT) lets it carry on where it stopped.
   */
  pauseApiServer(): void {
    this.signalApiServer('SIGSTOP')
  }

  resumeApiServer(): void {
    this.signalApiServer('SIGCONT')
  }

  private signalApiServer(signal: NodeJS.Signals): void {
    const pid = this.state.pids.apiserver
    if (!pid || !isAlive(pid) || !commandLine(pid).includes(this.dir))
      throw new Error('the API server of this cluster is not running')
    process.kill(pid, signal)
  }

  private failIfExited(component: Component): undefined {
    if (this.processExited(component))
      throw new Error(`${component} exited during startup (see ${component}.log)`)
    return undefined
  }

  private async waitForControllerManager(): Promise<void> {
    const core = this.kubeConfig().makeApiClient(CoreV1Api)
    // The service-account controller creates default/default once the controller-manager runs.
    await waitFor(
      async () => {
        this.failIfExited('controllerManager')
        try {
          await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' })
          return true
        } catch {
          return undefined
        }
      },
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        describe: () => 'kube-controller-manager did not start within 60 s',
      },
    )
  }

  /** Server-side applies every CRD file and waits until each is Established. */
  async installCrds(only?: readonly string[]): Promise<void> {
    const files = only ?? [...CRD_FILES, ...(await hostplaneCrdFiles())]
    const kc = this.kubeConfig()
    const rest = new KubeRest(kc)
    const extensions = kc.makeApiClient(ApiextensionsV1Api)
    const crds: KubernetesObject[] = []
    for (const file of files) {
      for (const doc of parseAllDocuments(await readFile(join(REPO_ROOT, file), 'utf8'))) {
        const object = doc.toJS() as KubernetesObject | null
        if (object?.kind === 'CustomResourceDefinition') crds.push(object)
      }
    }
    await Promise.all(
      crds.map((crd) =>
        rest.apply(
          resourcePath({
            apiVersion: 'apiextensions.k8s.io/v1',
            plural: 'customresourcedefinitions',
            name: crd.metadata?.name,
          }),
          crd,
          { fieldManager: 'hostplane-test' },
        ),
      ),
    )
    rest.close()
    await Promise.all(
      crds.map((crd) =>
        waitFor(
          async () => {
            const current = await extensions.readCustomResourceDefinition({ name: crd.metadata?.name ?? '' })
            return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
              ? true
              : undefined
          },
          { timeoutMs: 30_000, describe: () => `CRD ${crd.metadata?.name} was not Established within 30 s` },
        ),
      ),
    )
  }

  /**
   * A kubeconfig that authenticates as a ServiceAccount through a TokenRequest, for tests that
   * must prove least privilege. The account is created when missing.
   */
  async serviceAccountKubeConfig(
    namespace: string,
    name: string,
    expirationSeconds = 3600,
  ): Promise<{ kubeConfig: KubeConfig; path: string }> {
    const core = this.kubeConfig().makeApiClient(CoreV1Api)
    try {
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error
    }
    const token = await core.createNamespacedServiceAccountToken({
      name,
      namespace,
      body: { spec: { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds } },
    })
    const user = `system:serviceaccount:${namespace}:${name}`
    const yaml = stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'hostplane-test',
          cluster: { server: this.server, 'certificate-authority-data': await b64(this.pki.caCert) },
        },
      ],
      users: [{ name: user, user: { token: token.status?.token } }],
      contexts: [{ name: 'hostplane-test', context: { cluster: 'hostplane-test', user, namespace } }],
      'current-context': 'hostplane-test',
    })
    const path = join(this.dir, `sa-${namespace}-${name}.kubeconfig`)
    await writeFile(path, yaml, { mode: 0o600 })
    const kubeConfig = new KubeConfig()
    kubeConfig.loadFromString(yaml)
    return { kubeConfig, path }
  }

  /** A kubeconfig for a person with client-certificate auth, e.g. a tenant in a customer group. */
  async userKubeConfig(user: string, groups: readonly string[]): Promise<KubeConfig> {
    const { cert, key } = await issueUserCert(join(this.dir, 'pki'), user, groups)
    const kubeConfig = new KubeConfig()
    kubeConfig.loadFromString(await certKubeconfigYaml(this.server, this.pki, { name: user, cert, key }))
    return kubeConfig
  }

  private async terminate(component: Component): Promise<void> {
    const pid = this.state.pids[component]
    const child = this.children.get(component)
    if (!pid || !isAlive(pid)) return
    const exited = child ? new Promise<void>((resolve) => child.once('exit', () => resolve())) : undefined
    process.kill(pid, 'SIGTERM')
    const deadline = Date.now() + 10_000
    while (isAlive(pid) && commandLine(pid).includes(this.dir) && Date.now() < deadline) {
      await Promise.race([exited, sleep(100)])
    }
    if (isAlive(pid) && commandLine(pid).includes(this.dir)) process.kill(pid, 'SIGKILL')
    await Promise.race([exited, sleep(1000)])
  }

  private killNow(): void {
    killRecorded(this.dir, this.state, 'SIGKILL')
  }

  /** Stops every process; removes the data unless `keepData` (kept after a failed start, for its logs). */
  async stop({ keepData = false }: { keepData?: boolean } = {}): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    process.off('exit', this.exitHandler)
    for (const component of ['controllerManager', 'apiserver', 'etcd'] as const)
      await this.terminate(component)
    if (!keepData) await rm(this.dir, { recursive: true, force: true })
  }

  /**
   * A handle on a running cluster started by another process (the test runner), for clients
   * only: stopping it is left to its owner.
   */
  static async attach(name: string): Promise<TestCluster> {
    const dir = join(CLUSTERS_DIR(), name)
    const state = await readState(dir)
    if (!state) throw new Error(`no test cluster is running under ${dir}`)
    const binaries = await ensureKubeBinaries()
    const cluster = new TestCluster(name, dir, binaries, pkiIn(join(dir, 'pki')), state, { detached: true })
    cluster.stopped = true
    return cluster
  }

  /** Stops a cluster started by another process (e.g. `npm run cluster:down`). */
  static async stopByName(name: string): Promise<boolean> {
    const dir = join(CLUSTERS_DIR(), name)
    const state = await readState(dir)
    if (!state) return false
    killRecorded(dir, state, 'SIGTERM')
    await waitFor(
      () =>
        Object.values(state.pids).some((pid) => pid && isAlive(pid) && commandLine(pid).includes(dir))
          ? undefined
          : true,
      {
        timeoutMs: 15_000,
        describe: () => `processes of ${dir} did not stop`,
      },
    ).catch(() => killRecorded(dir, state, 'SIGKILL'))
    await rm(dir, { recursive: true, force: true })
    return true
  }
}

async function hostplaneCrdFiles(): Promise<string[]> {
  return (await readdir(join(REPO_ROOT, 'deploy', 'crds')))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => `deploy/crds/${f}`)
}

export const startCluster = (options?: ClusterOptions) => TestCluster.start(options)
