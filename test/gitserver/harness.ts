/**
 * `hostplane gitserver` as its own process against the test cluster, with the RBAC of
 * deploy/rbac/gitserver.yaml (its ServiceAccount in a system namespace of the run), and the real
 * OpenSSH client and git talking to it: customers, keys and webspaces of one run carry the run's
 * label, which the gitserver is started to select, so runs sharing a cluster do not meet.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { API_VERSION } from '../../src/api/kind.js'
import type { SshKey, Webspace } from '../../src/api/resources.js'
import { RegistryClient } from '../../src/build/registry/client.js'
import { publicHostKey } from '../../src/gitserver/host-key.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { Manifest } from '../../src/kube/object.js'
import { isNotFound, type KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerGroup } from '../../src/operator/customer/names.js'
import { pushDockerBase } from '../build/base-image.js'
import { ISSUER, SERVICE, type TestRegistry } from '../build/registry.js'
import type { TestCluster } from '../cluster/cluster.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { run, type RunResult, waitFor } from '../cluster/process.js'
import { type CliProcess, SOURCE_CLI, startCli } from '../e2e/cli-process.js'
import type { OperatorEnv } from '../operator/harness.js'
import { GitClient } from './git-client.js'
import { freePort } from '../serving/nginx-for-tests.js'
import { renderBuildPodPolicies } from '../../src/admission/build-pods.js'
import { renderBuildNamespace, renderBuildRunnerRbac } from '../../src/build/jobs/namespace.js'
import { CONTAINER } from '../../src/build/jobs/names.js'
import { BUILD_NAMESPACE, buildSettings } from '../../src/build/jobs/settings.js'
import type { KubeList } from '../../src/kube/object.js'
import { CUSTOMER_LABEL } from '../../src/operator/customer/names.js'
import { type ContainerEnd, finishPod } from '../cluster/job-pod.js'

export const RUN_LABEL = 'hostplane.dev/test-gitserver'
const FIELD_MANAGER = { fieldManager: 'hostplane-test' }
/** Where build Pods would reach the gitserver; the test, playing the kubelet, fetches from its real listener. */
export const SOURCE_BASE = 'http://hostplane-gitserver.gitserver.test:8080'
const BUILD_PODS = resourcePath({ apiVersion: 'v1', plural: 'pods', namespace: BUILD_NAMESPACE })

/** A build Job's Pod as the Job controller made it. */
export interface BuildPod extends Manifest {
  spec: {
    initContainers: { name: string; image: string; env?: { name: string; value?: string }[] }[]
    containers: { name: string; image: string }[]
  }
  status?: { phase?: string }
}

/** A key pair made by ssh-keygen: `file` (private) and `file.pub`. */
export interface KeyPair {
  readonly file: string
  readonly publicKey: string
}

export async function keyPair(
  dir: string,
  name: string,
  type: string[] = ['-t', 'ed25519'],
): Promise<KeyPair> {
  const file = join(dir, name)
  const result = await run('ssh-keygen', ['-q', ...type, '-N', '', '-C', name, '-f', file], {
    timeoutMs: 30_000,
  })
  if (result.code !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`)
  return { file, publicKey: (await readFile(`${file}.pub`, 'utf8')).trim() }
}

/** The gitserver flags that build pushes into this registry, trusting its token issuer. */
export function registryArgs(registry: TestRegistry): string[] {
  return [
    '--registry',
    registry.address,
    '--registry-token-key',
    join(registry.dir, 'token.key'),
    '--registry-service',
    SERVICE,
    '--registry-issuer',
    ISSUER,
    '--registry-plain-http',
  ]
}

export class GitServerRun {
  readonly id = randomBytes(3).toString('hex')
  readonly system = `gs-${this.id}`
  private process: CliProcess | undefined
  /** The RoleBinding of the build runner's Role that jobBuilds() made for this run. */
  private jobRunnerBinding: string | undefined
  /** The Runtimes runtime() made, which stop() deletes. */
  private readonly runtimes: string[] = []
  sshPort = 0
  httpPort = 0
  private constructor(
    readonly cluster: TestCluster,
    readonly admin: KubeRest,
    readonly dir: string,
  ) {}

  static async create(cluster: TestCluster, admin: KubeRest): Promise<GitServerRun> {
    return new GitServerRun(cluster, admin, await mkdtemp(join(tmpdir(), 'hostplane-gitserver-')))
  }

  get reposDir(): string {
    return join(this.dir, 'repos')
  }

  get labels(): Record<string, string> {
    return { [RUN_LABEL]: this.id }
  }

  name(base: string): string {
    return `${base}-${this.id}`
  }

  namespaceOf(customer: string): string {
    return `sh-${customer}`
  }

  private async apply(object: Manifest): Promise<void> {
    await this.admin.apply(manifestPath(object), object, FIELD_MANAGER)
  }

  /** deploy/rbac/gitserver.yaml in the run's system namespace, its binding under the run's name. */
  private async applyRbac(): Promise<void> {
    await this.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.system } })
    const text = await readFile(join(REPO_ROOT, 'deploy', 'rbac', 'gitserver.yaml'), 'utf8')
    for (const doc of parseAllDocuments(text)) {
      const object = JSON.parse(
        JSON.stringify(doc.toJS()).replaceAll('hostplane-system', this.system),
      ) as Manifest
      if (object.kind === 'ServiceAccount') continue
      if (object.kind === 'ClusterRoleBinding') object.metadata.name = `hostplane-gitserver-${this.system}`
      await this.apply(object)
    }
  }

  /** The tenant ClusterRole bound to the customer's group in its namespace, as the operator binds it. */
  async bindTenant(customer: string): Promise<void> {
    const text = await readFile(join(REPO_ROOT, 'deploy', 'rbac', 'tenant.yaml'), 'utf8')
    for (const doc of parseAllDocuments(text)) {
      const object = doc.toJS() as Manifest
      if (object.metadata.name === 'hostplane-tenant') await this.apply(object)
    }
    await this.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'hostplane-tenant', namespace: this.namespaceOf(customer) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'hostplane-tenant' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: customerGroup(customer) }],
    } as Manifest)
  }

  /** A Customer (no operator runs: its namespace is made here) with one Webspace `site` on branch main. */
  async customer(base: string, spec: Record<string, unknown> = {}): Promise<string> {
    const name = this.name(base)
    await this.apply({
      apiVersion: API_VERSION,
      kind: 'Customer',
      metadata: { name, labels: this.labels },
      spec: { displayName: base, email: `${base}@example.com`, ...spec },
    } as Manifest)
    await this.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespaceOf(name) } })
    await this.createWebspace(name)
    return name
  }

  /** The customer's Webspace `name` on branch main, of the run unless `labels` say otherwise. */
  async createWebspace(customer: string, name = 'site', labels = this.labels): Promise<void> {
    await this.apply({
      apiVersion: API_VERSION,
      kind: 'Webspace',
      metadata: { name, namespace: this.namespaceOf(customer), labels },
      spec: { runtime: 'static', git: { branch: 'main' } },
    } as Manifest)
  }

  /** Deletes the customer's Webspace `name` (no operator runs: nothing holds it back). */
  async deleteWebspace(customer: string, name = 'site'): Promise<void> {
    await this.admin.request('DELETE', this.webspacePath(customer, name))
    await waitFor(
      () =>
        this.admin.request('GET', this.webspacePath(customer, name)).then(
          () => undefined,
          (error: unknown) => {
            if (isNotFound(error)) return true
            throw error
          },
        ),
      { timeoutMs: 20_000, intervalMs: 100, describe: () => `Webspace ${customer}/${name} was not deleted` },
    )
  }

  webspacePath(customer: string, name = 'site'): string {
    return resourcePath({
      apiVersion: API_VERSION,
      plural: 'webspaces',
      namespace: this.namespaceOf(customer),
      name,
    })
  }

  /**
   * A Runtime of the run (cluster-scoped, named static-<run>) whose pushes are layer builds onto a
   * base image assembled and pushed to `registry` here; returns its name.
   */
  async layerRuntime(registry: TestRegistry, signal: AbortSignal): Promise<string> {
    const name = this.name('static')
    const repository = `hostplane-runtimes/${name}`
    const client = new RegistryClient({
      registry: registry.address,
      credentials: {
        kind: 'bearer',
        token: registry.issuer.issue('test', [{ repository, actions: ['pull', 'push'] }]).token,
      },
    })
    const image = `${registry.address}/${repository}@${await pushDockerBase(client, repository, signal)}`
    return this.runtime('static', image, { strategy: 'layer', appDir: '/srv/app' })
  }

  /** A Runtime of the run (cluster-scoped, named <base>-<run>) on `image`; returns its name. stop() deletes it. */
  async runtime(base: string, image: string, build: Record<string, unknown>): Promise<string> {
    const name = this.name(base)
    this.runtimes.push(name)
    await this.admin.request('POST', resourcePath({ apiVersion: API_VERSION, plural: 'runtimes' }), {
      body: {
        apiVersion: API_VERSION,
        kind: 'Runtime',
        metadata: { name },
        spec: { image, port: 8080, build },
      },
    })
    return name
  }

  /**
   * What running buildpacks and dockerfile builds as Jobs takes: the build namespace with its Pod
   * admission policies (the same for every run) and the runner Role bound to this run's
   * ServiceAccount. Returns the flags to start the gitserver with.
   */
  async jobBuilds(): Promise<string[]> {
    for (const object of [
      ...renderBuildNamespace({
        namespace: BUILD_NAMESPACE,
        systemNamespace: 'hostplane-system',
        egress: [],
      }),
      ...renderBuildPodPolicies(buildSettings()),
      ...renderBuildRunnerRbac(BUILD_NAMESPACE, { namespace: this.system, name: 'hostplane-gitserver' }).map(
        // The Role is the same for every run; each run binds its own gitserver's account.
        (object) => (object.kind === 'RoleBinding' ? this.runnerBinding(object) : object),
      ),
    ])
      await this.apply(object)
    return ['--build-source-url', SOURCE_BASE]
  }

  private runnerBinding(object: Manifest): Manifest {
    this.jobRunnerBinding = `${object.metadata.name}-${this.id}`
    return { ...object, metadata: { ...object.metadata, name: this.jobRunnerBinding } }
  }

  /** The build Pod the Job controller made for the customer's push, once it exists. */
  buildPod(customer: string): Promise<BuildPod> {
    return waitFor(
      async () =>
        (
          await this.admin.request<KubeList<BuildPod>>('GET', BUILD_PODS, {
            query: { labelSelector: `${CUSTOMER_LABEL}=${customer}` },
          })
        ).items.find((p) => !p.metadata.deletionTimestamp && !p.status?.phase?.match(/Succeeded|Failed/)),
      { timeoutMs: 60_000, intervalMs: 200, describe: () => `no build Pod for ${customer}'s push` },
    )
  }

  /**
   * Does what the build Pod's fetch container does: downloads the commit's tree from the URL the
   * Pod was given, at the gitserver's real listener. Returns the URL too: it works only once.
   */
  async fetchSource(pod: BuildPod): Promise<{ url: string; tar: Buffer }> {
    const url = pod.spec.initContainers
      .find((c) => c.name === CONTAINER.fetch)
      ?.env?.find((e) => e.name === 'SOURCE_URL')?.value
    if (!url?.startsWith(`${SOURCE_BASE}/sources/`)) throw new Error(`the build Pod's source URL is ${url}`)
    const local = url.replace(SOURCE_BASE, `http://127.0.0.1:${this.httpPort}`)
    const answer = await fetch(local)
    if (answer.status !== 200) throw new Error(`fetching ${local} answered ${answer.status}`)
    return { url: local, tar: Buffer.from(await answer.arrayBuffer()) }
  }

  /** Plays the kubelet: every container of the build Pod ran and ended as `ends` says (the others with exit 0). */
  finishBuild(pod: BuildPod, ends: Readonly<Record<string, ContainerEnd>>): Promise<void> {
    return finishPod(this.admin, pod, ends, { exitCode: 0 })
  }

  /**
   * A Customer of `test`'s operator (its selector label) that this gitserver sees too (the run's
   * label), with these keys and size large, once the operator made its namespace; then its Webspace
   * `site` on branch main with `spec`. Returns the Webspace's namespace.
   */
  async operatedCustomer(
    test: OperatorEnv,
    name: string,
    sshKeys: string[],
    spec: Record<string, unknown>,
  ): Promise<string> {
    await test.createCustomer(name, { size: 'large', sshKeys })
    await this.admin.request('PATCH', test.customerPath(name), {
      body: { metadata: { labels: this.labels } },
      contentType: 'application/merge-patch+json',
    })
    const namespace = await test.waitUntil(`customer ${name} has its namespace`, async () => {
      return (await test.getCustomer(name))?.status?.namespace
    })
    await this.admin.request('POST', test.webspacePath(namespace), {
      body: {
        apiVersion: API_VERSION,
        kind: 'Webspace',
        metadata: { name: 'site', labels: this.labels },
        spec: { git: { branch: 'main' }, ...spec },
      },
    })
    return namespace
  }

  async setCustomerKeys(customer: string, sshKeys: string[]): Promise<void> {
    await this.admin.request(
      'PATCH',
      resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: customer }),
      {
        body: { spec: { sshKeys } },
        contentType: 'application/merge-patch+json',
      },
    )
  }

  sshKeyPath(customer: string, name?: string): string {
    return resourcePath({
      apiVersion: API_VERSION,
      plural: 'sshkeys',
      namespace: this.namespaceOf(customer),
      name,
    })
  }

  /** Creates an SshKey of the run in the customer's namespace, as `client` (a tenant or the admin). */
  async createSshKey(client: KubeRest, customer: string, name: string, publicKey: string): Promise<void> {
    await client.request('POST', this.sshKeyPath(customer), {
      body: {
        apiVersion: API_VERSION,
        kind: 'SshKey',
        metadata: { name, labels: this.labels },
        spec: { publicKey },
      },
    })
  }

  /** Waits until the gitserver wrote the SshKey's status and returns it. */
  async sshKeyStatus(customer: string, name: string): Promise<NonNullable<SshKey['status']>> {
    return waitFor(
      async () => {
        const key = await this.admin.request<SshKey>('GET', this.sshKeyPath(customer, name))
        return key.status?.conditions?.length ? key.status : undefined
      },
      { timeoutMs: 20_000, intervalMs: 200, describe: () => `SshKey ${name} got no status` },
    )
  }

  async webspaceUid(customer: string, name = 'site'): Promise<string> {
    return (await this.admin.request<Webspace>('GET', this.webspacePath(customer, name))).metadata.uid ?? ''
  }

  /** Waits until the gitserver created the repository of the customer's Webspace `name`. */
  async waitForRepository(customer: string, name = 'site'): Promise<void> {
    const dir = join(this.reposDir, `${await this.webspaceUid(customer, name)}.git`)
    await waitFor(async () => ((await stat(dir).catch(() => undefined)) ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 50,
      describe: () => `the gitserver did not create ${customer}'s repository`,
    })
  }

  /** Starts the gitserver (from the sources, or `[BUILT_CLI]`) and waits until it is ready. */
  async start(extraArgs: string[] = [], cli: readonly string[] = SOURCE_CLI): Promise<void> {
    await this.applyRbac()
    const { path: kubeconfig } = await this.cluster.serviceAccountKubeConfig(
      this.system,
      'hostplane-gitserver',
    )
    this.sshPort = await freePort()
    this.httpPort = await freePort()
    const hostKey = join(this.dir, 'host_key')
    this.process = startCli(
      [
        'gitserver',
        '--kubeconfig',
        kubeconfig,
        '--host-key',
        hostKey,
        '--generate-host-key',
        '--repos-dir',
        this.reposDir,
        '--run-dir',
        join(this.dir, 'run'),
        '--ssh-listen',
        `127.0.0.1:${this.sshPort}`,
        '--listen',
        `127.0.0.1:${this.httpPort}`,
        '--selector',
        `${RUN_LABEL}=${this.id}`,
        ...extraArgs,
      ],
      join(this.dir, 'gitserver.log'),
      { LOG_FORMAT: 'json' },
      cli,
    )
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${this.httpPort}/readyz`).catch(() => undefined))?.ok
          ? true
          : undefined,
      { timeoutMs: 60_000, intervalMs: 200, describe: () => 'the gitserver did not become ready' },
    )
    await writeFile(
      join(this.dir, 'known_hosts'),
      `[127.0.0.1]:${this.sshPort} ${publicHostKey(await readFile(hostKey, 'utf8'))}\n`,
    )
  }

  get pid(): number {
    return this.process?.pid ?? 0
  }

  async log(): Promise<string> {
    return (await this.process?.log()) ?? ''
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.httpPort}/metrics`)).text()
  }

  /** A customer's OpenSSH and git, trusting only the gitserver's host key (known_hosts in `dir`). */
  get client(): GitClient {
    return new GitClient(this.dir, '127.0.0.1', this.sshPort, 'yes')
  }

  /** `ssh` options that trust only the gitserver's host key and use only the given identities. */
  sshOptions(identities: string[], extra: string[] = []): string[] {
    return this.client.sshOptions(identities, extra)
  }

  /** Runs `ssh git@127.0.0.1 <args>`. */
  ssh(
    identities: string[],
    args: string[],
    options: { extra?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    return run('ssh', [...this.sshOptions(identities, options.extra), 'git@127.0.0.1', ...args], {
      env: { ...process.env, ...options.env },
      timeoutMs: options.timeoutMs ?? 30_000,
    })
  }

  url(customer: string, webspace = 'site'): string {
    return this.client.url(customer, webspace)
  }

  /** Runs git in `cwd` with GIT_SSH_COMMAND using these identities. */
  git(cwd: string, identities: string[], args: string[], extra: string[] = []): Promise<RunResult> {
    return this.client.git(cwd, identities, args, extra)
  }

  /** A work tree with one commit on `branch` holding `files`; returns its directory and commit. */
  workTree(
    name: string,
    files: Record<string, string | Buffer>,
    branch = 'main',
  ): Promise<{ dir: string; commit: string }> {
    return this.client.workTree(name, files, branch)
  }

  gitOk(cwd: string, args: string[]): Promise<RunResult> {
    return this.client.gitOk(cwd, args)
  }

  /** What the repository on the gitserver's volume holds: `git <args>` run in it. */
  async inRepository(customer: string, args: string[]): Promise<RunResult> {
    return run(
      'git',
      ['--git-dir', join(this.reposDir, `${await this.webspaceUid(customer)}.git`), ...args],
      {
        env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', HOME: this.dir },
      },
    )
  }

  /** Stops the gitserver process only; `start()` runs it again on the same volume. */
  async stopProcess(): Promise<void> {
    await this.process?.stop()
    this.process = undefined
  }

  async stop(): Promise<void> {
    await this.process?.stop()
    for (const path of [
      resourcePath({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        plural: 'clusterrolebindings',
        name: `hostplane-gitserver-${this.system}`,
      }),
      resourcePath({ apiVersion: 'v1', plural: 'namespaces', name: this.system }),
      ...this.runtimes.map((name) => resourcePath({ apiVersion: API_VERSION, plural: 'runtimes', name })),
      ...(this.jobRunnerBinding
        ? [
            resourcePath({
              apiVersion: 'rbac.authorization.k8s.io/v1',
              plural: 'rolebindings',
              namespace: BUILD_NAMESPACE,
              name: this.jobRunnerBinding,
            }),
          ]
        : []),
    ])
      await this.admin.request('DELETE', path).catch(() => {})
  }

  async removeCustomers(names: string[]): Promise<void> {
    for (const name of names) {
      await this.admin
        .request(
          'DELETE',
          resourcePath({ apiVersion: 'v1', plural: 'namespaces', name: this.namespaceOf(name) }),
        )
        .catch(() => {})
      await this.admin
        .request('DELETE', resourcePath({ apiVersion: API_VERSION, plural: 'customers', name }))
        .catch(() => {})
    }
  }
}
