/**
 * The test playing the node: the test cluster has no kubelet, scheduler, kube-proxy or storage
 * provisioner, so this module does their part for the Pods the real ReplicaSet controller creates
 * in one namespace, and nothing more:
 *
 * - as the kubelet registers itself, a Node with a Ready condition, kept alive by its Lease (the
 *   node lifecycle controller would otherwise taint it and mark its pods not ready);
 * - as the scheduler, each Pod is bound to that Node;
 * - as k3s's local-path provisioner, each claim of the class `local-path` gets a PersistentVolume
 *   on a directory of its own (mode 0777, as that provisioner makes it), which the real
 *   PersistentVolume controller binds;
 * - as the kubelet, each container is started as the Pod says: command and args, env and envFrom
 *   (a missing ConfigMap holds the Pod back, as CreateContainerConfigError does), the volumes
 *   (claims, emptyDirs, ConfigMaps, Secrets, and the projected ServiceAccount token from the
 *   TokenRequest API, bound to the Pod, with the projection's audience and expiry), the security
 *   context's user, group and read-only root, in a network namespace of its own with the Pod's
 *   IP; the Pod's status (podIP, Ready from its readiness probe) is written so the real
 *   EndpointSlice controller fills the Services;
 * - as kube-proxy, the `kubernetes` Service's ClusterIP (what KUBERNETES_SERVICE_HOST names, and
 *   what the API server's certificate is for) is forwarded from each pod to the API server, and
 *   each ClusterIP Service of the namespace (those that exist when the pod starts) to a ready
 *   endpoint of its EndpointSlices, looked up at each connection;
 * - as the cluster's DNS, the pod's /etc/hosts (which the kubelet manages) names those Services'
 *   ClusterIPs by `<service>`, `<service>.<namespace>` and `<service>.<namespace>.svc[.cluster.local]`.
 *
 * How an image's root file system is made is the caller's (`ImageRuntime`): the hostplane image
 * unpacked, or this machine's Debian for nginx.
 */
import { createServer, connect, type Server } from 'node:net'
import { chown, mkdir, writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import type { KubeList, Manifest } from '../../src/kube/object.js'
import { isNotFound, type KubeRest, resourcePath } from '../../src/kube/rest.js'
import type { TestCluster } from '../cluster/cluster.js'
import { runOrThrow, waitFor } from '../cluster/process.js'
import type { CliProcess } from '../e2e/cli-process.js'
import type { ContainerOptions, Mount } from '../image/container.js'
import { createPodNetwork, type PodNetwork } from '../traefik/pod-address.js'

interface EnvVar {
  name: string
  value?: string
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean }
    secretKeyRef?: { name: string; key: string; optional?: boolean }
    fieldRef?: { fieldPath: string }
  }
}
interface SecurityContext {
  runAsUser?: number
  runAsGroup?: number
  fsGroup?: number
  readOnlyRootFilesystem?: boolean
}
interface HttpProbe {
  httpGet?: { path: string; port: number | string }
}
interface Container {
  name: string
  image: string
  command?: string[]
  args?: string[]
  env?: EnvVar[]
  envFrom?: {
    configMapRef?: { name: string; optional?: boolean }
    secretRef?: { name: string; optional?: boolean }
  }[]
  ports?: { name?: string; containerPort: number }[]
  readinessProbe?: HttpProbe
  securityContext?: SecurityContext
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[]
}
interface KeyToPath {
  key: string
  path: string
  mode?: number
}
interface Volume {
  name: string
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean }
  emptyDir?: object
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean }
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean }
  projected?: {
    defaultMode?: number
    sources: {
      serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string }
      configMap?: { name: string; items?: KeyToPath[] }
      downwardAPI?: { items: { path: string; fieldRef: { fieldPath: string } }[] }
    }[]
  }
}
type Pod = Manifest & {
  metadata: { uid: string }
  spec: {
    nodeName?: string
    serviceAccountName?: string
    containers: Container[]
    volumes?: Volume[]
    securityContext?: SecurityContext
  }
}
type DataObject = Manifest & { data?: Record<string, string> }

/** How a container of an image is started: its root file system, entrypoint and environment. */
/**
 * The kubelet's `$(NAME)` references in env values, command and args: a variable defined before
 * is replaced, an unknown one stays as written, and `$$` is one `$`.
 */
export function expandVariables(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name?: string) =>
    name === undefined ? '$' : (env.get(name) ?? whole),
  )
}

export interface ImageRuntime {
  start(
    container: { command?: readonly string[]; args: readonly string[]; env: Record<string, string> },
    logFile: string,
    options: ContainerOptions,
  ): Promise<CliProcess>
}

interface ServicePort {
  name?: string
  port: number
  protocol?: string
}
type Service = Manifest & { spec: { clusterIP?: string; ports?: ServicePort[] } }
type EndpointSlice = Manifest & {
  endpoints?: { addresses: string[]; conditions: { ready?: boolean } }[]
  ports?: { name?: string; port: number }[]
}

interface RunningPod {
  readonly pod: Pod
  readonly network: PodNetwork
  readonly proxy: Server
  readonly containers: Map<string, CliProcess>
  ready: boolean
}

const NODE_LEASE_SECONDS = 40
const HEARTBEAT_MS = 5_000
const KUBERNETES_SERVICE_PORT = 443

export interface KubeletOptions {
  readonly cluster: TestCluster
  readonly admin: KubeRest
  /** The namespace whose Pods run here. */
  readonly namespace: string
  readonly nodeName: string
  /** Volumes, logs and claims' directories go here. */
  readonly workDir: string
  /** The runtime of each image the Pods name (matched by the image reference's repository). */
  readonly runtimeFor: (image: string) => ImageRuntime
}

export class Kubelet {
  private readonly pods = new Map<string, RunningPod | 'starting'>()
  /** The last problem of each Pod (or the node), for failure messages. */
  private readonly failures = new Map<string, string>()
  private heartbeat?: NodeJS.Timeout
  private syncing?: Promise<void>
  private stopped = false

  constructor(private readonly options: KubeletOptions) {}

  private get admin(): KubeRest {
    return this.options.admin
  }

  /** Registers the Node and starts running the namespace's Pods. */
  async start(): Promise<void> {
    const { nodeName } = this.options
    await this.admin.request('POST', resourcePath({ apiVersion: 'v1', plural: 'nodes' }), {
      body: {
        metadata: {
          name: nodeName,
          labels: {
            'kubernetes.io/hostname': nodeName,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
          },
        },
      },
    })
    await this.beat()
    this.heartbeat = setInterval(() => {
      this.beat().catch((error: unknown) => this.failures.set('node', `heartbeat: ${String(error)}`))
    }, HEARTBEAT_MS)
    const loop = async () => {
      while (!this.stopped) {
        await this.sync().catch((error: unknown) => this.failures.set('sync', String(error)))
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    }
    this.syncing = loop()
  }

  /** What went wrong so far (a Pod that could not start yet, a status not written), for failures. */
  problems(): string {
    return [...this.failures].map(([what, problem]) => `${what}: ${problem}`).join('\n')
  }

  /** The containers' logs, by `<pod>/<container>`. */
  async logs(): Promise<string> {
    const parts: string[] = []
    for (const [name, pod] of this.pods)
      if (pod !== 'starting')
        for (const [container, process] of pod.containers)
          parts.push(`--- ${name}/${container}\n${(await process.log()).slice(-3000)}`)
    return parts.join('\n')
  }

  private async beat(): Promise<void> {
    const { nodeName } = this.options
    const now = new Date().toISOString()
    await this.admin.request(
      'PATCH',
      resourcePath({ apiVersion: 'v1', plural: 'nodes', name: nodeName, subresource: 'status' }),
      {
        contentType: 'application/merge-patch+json',
        body: {
          status: {
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'KubeletReady',
                message: 'the test plays the kubelet',
                lastHeartbeatTime: now,
                lastTransitionTime: now,
              },
            ],
            addresses: [{ type: 'Hostname', address: nodeName }],
            capacity: { cpu: '2', memory: '4Gi', pods: '110' },
            allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
          },
        },
      },
    )
    await this.admin.apply(
      resourcePath({
        apiVersion: 'coordination.k8s.io/v1',
        plural: 'leases',
        namespace: 'kube-node-lease',
        name: nodeName,
      }),
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: nodeName, namespace: 'kube-node-lease' },
        spec: {
          holderIdentity: nodeName,
          leaseDurationSeconds: NODE_LEASE_SECONDS,
          renewTime: new Date().toISOString().replace('Z', '000Z'),
        },
      },
      { fieldManager: 'hostplane-test-kubelet' },
    )
  }

  private async sync(): Promise<void> {
    const { namespace } = this.options
    const pods = await this.admin.request<KubeList<Pod>>(
      'GET',
      resourcePath({ apiVersion: 'v1', plural: 'pods', namespace }),
    )
    for (const pod of pods.items) {
      const name = pod.metadata.name
      if (this.pods.has(name) || pod.metadata.deletionTimestamp) continue
      this.pods.set(name, 'starting')
      this.startPod(pod).then(
        (running) => {
          if (this.stopped) void this.stopPod(running)
          else this.pods.set(name, running)
        },
        (error: unknown) => {
          // Tried again on the next pass, as the kubelet retries a Pod that cannot start yet.
          this.pods.delete(name)
          this.failures.set(`pod ${name}`, (error as Error).message)
        },
      )
    }
    for (const [name, running] of this.pods) if (running !== 'starting') await this.probe(name, running)
  }

  private async startPod(pod: Pod): Promise<RunningPod> {
    const name = pod.metadata.name
    if (!pod.spec.nodeName) await this.bind(pod)
    // Resolved before anything runs: a missing ConfigMap or Secret keeps the Pod waiting.
    const containers: { container: Container; env: Map<string, string> }[] = []
    for (const container of pod.spec.containers)
      containers.push({ container, env: await this.environment(pod, container) })
    const volumes = await this.volumes(pod)
    const network = await createPodNetwork()
    let proxy: Server | undefined
    try {
      proxy = await this.kubernetesServiceProxy(network)
      const hosts = await this.servicesOfNamespace(network, pod)
      const started = new Map<string, CliProcess>()
      const running: RunningPod = { pod, network, proxy, containers: started, ready: false }
      try {
        for (const { container, env: variables } of containers) {
          const security = { ...pod.spec.securityContext, ...container.securityContext }
          const mounts: Mount[] = (container.volumeMounts ?? []).map((m) => {
            const source = volumes.get(m.name)
            if (!source)
              throw new Error(`container ${container.name} mounts ${m.name}, which the pod does not have`)
            return { source, target: m.mountPath, readOnly: m.readOnly ?? false }
          })
          mounts.push({ source: hosts, target: '/etc/hosts', readOnly: true })
          const runtime = this.options.runtimeFor(container.image)
          const logFile = join(this.options.workDir, `${name}-${container.name}.log`)
          // The container's stdout is its own (nginx reopens /dev/stdout), as a runtime's pipe is.
          await writeFile(logFile, '')
          await chown(logFile, security.runAsUser ?? 0, security.runAsGroup ?? 0)
          started.set(
            container.name,
            await runtime.start(
              {
                command: container.command?.map((part) => expandVariables(part, variables)),
                args: (container.args ?? []).map((arg) => expandVariables(arg, variables)),
                env: Object.fromEntries(variables),
              },
              logFile,
              {
                uid: security.runAsUser ?? 0,
                gid: security.runAsGroup ?? 0,
                mounts,
                readOnlyRoot: security.readOnlyRootFilesystem ?? false,
                netns: network.namespace,
              },
            ),
          )
        }
      } catch (error) {
        await this.stopPod(running)
        throw error
      }
      await this.writeStatus(running)
      return running
    } catch (error) {
      proxy?.close()
      await network.release()
      throw error
    }
  }

  /** The scheduler's part: one node, so every Pod goes to it. */
  private async bind(pod: Pod): Promise<void> {
    const { namespace, nodeName } = this.options
    await this.admin.request(
      'POST',
      resourcePath({
        apiVersion: 'v1',
        plural: 'pods',
        namespace,
        name: pod.metadata.name,
        subresource: 'binding',
      }),
      {
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: pod.metadata.name, namespace },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        },
      },
    )
  }

  private async get<T extends Manifest>(
    plural: string,
    name: string,
    optional = false,
  ): Promise<T | undefined> {
    const { namespace } = this.options
    try {
      return await this.admin.request<T>('GET', resourcePath({ apiVersion: 'v1', plural, namespace, name }))
    } catch (error) {
      if (isNotFound(error) && optional) return undefined
      throw new Error(`${plural} ${namespace}/${name}: ${(error as Error).message}`, { cause: error })
    }
  }

  private async dataOf(kind: 'configmaps' | 'secrets', name: string, optional = false) {
    const object = await this.get<DataObject>(kind, name, optional)
    const data = object?.data ?? {}
    return kind === 'secrets'
      ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]))
      : data
  }

  private fieldOf(pod: Pod, fieldPath: string): string {
    const fields: Record<string, string | undefined> = {
      'metadata.name': pod.metadata.name,
      'metadata.namespace': pod.metadata.namespace,
      'spec.serviceAccountName': pod.spec.serviceAccountName,
    }
    const value = fields[fieldPath]
    if (value === undefined) throw new Error(`fieldRef ${fieldPath} is not played by the test kubelet`)
    return value
  }

  /** The kubelet's environment: the `kubernetes` Service's variables, envFrom, then env in order. */
  private async environment(pod: Pod, container: Container): Promise<Map<string, string>> {
    const env = new Map<string, string>([
      ['HOSTNAME', pod.metadata.name],
      // Set whatever enableServiceLinks says, as the kubelet does for the API server's Service.
      ['KUBERNETES_SERVICE_HOST', await this.kubernetesServiceIP()],
      ['KUBERNETES_SERVICE_PORT', String(KUBERNETES_SERVICE_PORT)],
    ])
    for (const source of container.envFrom ?? []) {
      const data = source.configMapRef
        ? await this.dataOf('configmaps', source.configMapRef.name, source.configMapRef.optional)
        : source.secretRef
          ? await this.dataOf('secrets', source.secretRef.name, source.secretRef.optional)
          : {}
      for (const [key, value] of Object.entries(data)) env.set(key, value)
    }
    for (const variable of container.env ?? []) {
      const from = variable.valueFrom
      const value = from?.configMapKeyRef
        ? (await this.dataOf('configmaps', from.configMapKeyRef.name, from.configMapKeyRef.optional))[
            from.configMapKeyRef.key
          ]
        : from?.secretKeyRef
          ? (await this.dataOf('secrets', from.secretKeyRef.name, from.secretKeyRef.optional))[
              from.secretKeyRef.key
            ]
          : from?.fieldRef
            ? this.fieldOf(pod, from.fieldRef.fieldPath)
            : variable.value === undefined
              ? undefined
              : expandVariables(variable.value, env)
      if (value !== undefined) env.set(variable.name, value)
    }
    return env
  }

  private serviceIP?: string

  private async kubernetesServiceIP(): Promise<string> {
    this.serviceIP ??= (
      await this.admin.request<Manifest & { spec: { clusterIP: string } }>(
        'GET',
        resourcePath({ apiVersion: 'v1', plural: 'services', namespace: 'default', name: 'kubernetes' }),
      )
    ).spec.clusterIP
    return this.serviceIP
  }

  /**
   * kube-proxy's part for the `kubernetes` Service: in the pod's network namespace its ClusterIP
   * is translated to the pod's gateway, where this process forwards to the API server on loopback.
   */
  private async kubernetesServiceProxy(network: PodNetwork): Promise<Server> {
    const apiServer = new URL(this.options.cluster.server)
    const proxy = createServer((client) => {
      const upstream = connect(Number(apiServer.port), apiServer.hostname)
      client.pipe(upstream).pipe(client)
      const close = () => {
        client.destroy()
        upstream.destroy()
      }
      client.on('error', close)
      upstream.on('error', close)
    })
    await new Promise<void>((resolve, reject) => {
      proxy.once('error', reject)
      proxy.listen(KUBERNETES_SERVICE_PORT, network.gateway, resolve)
    })
    await runOrThrow(
      'ip',
      [
        ...['netns', 'exec', network.namespace, 'iptables', '-t', 'nat', '-A', 'OUTPUT'],
        ...[
          '-d',
          `${await this.kubernetesServiceIP()}/32`,
          '-p',
          'tcp',
          '--dport',
          String(KUBERNETES_SERVICE_PORT),
        ],
        ...['-j', 'DNAT', '--to-destination', `${network.gateway}:${KUBERNETES_SERVICE_PORT}`],
      ],
      { timeoutMs: 10_000 },
    )
    return proxy
  }

  /** One host port per Service port, forwarding each connection to a ready endpoint. */
  private readonly serviceProxies = new Map<string, Promise<number>>()

  private serviceProxy(service: Service, port: ServicePort): Promise<number> {
    const key = `${service.metadata.name}:${port.port}`
    let listening = this.serviceProxies.get(key)
    if (!listening) {
      const server = createServer((client) => {
        client.pause()
        this.endpointOf(service.metadata.name, port.name).then(
          (endpoint) => {
            if (!endpoint) return client.destroy()
            const upstream = connect(endpoint.port, endpoint.address)
            client.pipe(upstream).pipe(client)
            client.resume()
            const close = () => {
              client.destroy()
              upstream.destroy()
            }
            client.on('error', close)
            upstream.on('error', close)
          },
          () => client.destroy(),
        )
      })
      this.servers.push(server)
      listening = new Promise<number>((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, '0.0.0.0', () => resolve((server.address() as { port: number }).port))
      })
      this.serviceProxies.set(key, listening)
    }
    return listening
  }

  private readonly servers: Server[] = []

  /** A ready endpoint of the Service's EndpointSlices for its port `name`, as kube-proxy picks one. */
  private async endpointOf(
    service: string,
    name: string | undefined,
  ): Promise<{ address: string; port: number } | undefined> {
    const slices = await this.admin.request<KubeList<EndpointSlice>>(
      'GET',
      resourcePath({
        apiVersion: 'discovery.k8s.io/v1',
        plural: 'endpointslices',
        namespace: this.options.namespace,
      }),
      { query: { labelSelector: `kubernetes.io/service-name=${service}` } },
    )
    for (const slice of slices.items) {
      const port = slice.ports?.find((p) => (p.name ?? '') === (name ?? ''))?.port
      const address = slice.endpoints?.find((e) => e.conditions.ready !== false)?.addresses[0]
      if (port && address) return { address, port }
    }
    return undefined
  }

  /**
   * kube-proxy's and the cluster DNS's part for the namespace's ClusterIP Services: each port's
   * ClusterIP translated, in the pod's network namespace, to this process's forwarder; returns
   * the pod's /etc/hosts naming them.
   */
  private async servicesOfNamespace(network: PodNetwork, pod: Pod): Promise<string> {
    const { namespace } = this.options
    const services = await this.admin.request<KubeList<Service>>(
      'GET',
      resourcePath({ apiVersion: 'v1', plural: 'services', namespace }),
    )
    const lines = ['127.0.0.1 localhost', `${network.address} ${pod.metadata.name}`]
    for (const service of services.items) {
      const clusterIP = service.spec.clusterIP
      if (!clusterIP || clusterIP === 'None') continue
      const name = service.metadata.name
      lines.push(
        `${clusterIP} ${name} ${name}.${namespace} ${name}.${namespace}.svc ${name}.${namespace}.svc.cluster.local`,
      )
      for (const port of service.spec.ports ?? []) {
        if ((port.protocol ?? 'TCP') !== 'TCP') continue
        const local = await this.serviceProxy(service, port)
        await runOrThrow(
          'ip',
          [
            ...['netns', 'exec', network.namespace, 'iptables', '-t', 'nat', '-A', 'OUTPUT'],
            ...['-d', `${clusterIP}/32`, '-p', 'tcp', '--dport', String(port.port)],
            ...['-j', 'DNAT', '--to-destination', `${network.gateway}:${local}`],
          ],
          { timeoutMs: 10_000 },
        )
      }
    }
    const file = join(this.options.workDir, 'pods', `${pod.metadata.name}.hosts`)
    await mkdir(join(file, '..'), { recursive: true })
    await writeFile(file, `${lines.join('\n')}\n`)
    await chmod(file, 0o644)
    return file
  }

  /** Each volume of the Pod as a host directory, written as the kubelet writes it. */
  private async volumes(pod: Pod): Promise<Map<string, string>> {
    const dirs = new Map<string, string>()
    const base = join(this.options.workDir, 'pods', pod.metadata.name)
    const fsGroup = pod.spec.securityContext?.fsGroup ?? 0
    const write = async (dir: string, path: string, content: string, mode: number) => {
      const file = join(dir, path)
      await mkdir(join(file, '..'), { recursive: true })
      await writeFile(file, content)
      // fsGroup: the group owns the files and may read them.
      await chown(file, 0, fsGroup)
      await chmod(file, mode | (fsGroup ? 0o040 : 0))
    }
    const writeData = async (
      dir: string,
      data: Record<string, string>,
      items: KeyToPath[] | undefined,
      mode: number,
    ) => {
      const all: KeyToPath[] = Object.keys(data).map((key) => ({ key, path: key }))
      for (const item of items ?? all) {
        const value = data[item.key]
        if (value === undefined) throw new Error(`key ${item.key} is missing`)
        await write(dir, item.path, value, item.mode ?? mode)
      }
    }
    for (const volume of pod.spec.volumes ?? []) {
      const dir = join(base, volume.name)
      if (volume.persistentVolumeClaim) {
        dirs.set(volume.name, await this.claimDir(volume.persistentVolumeClaim.claimName))
        continue
      }
      await mkdir(dir, { recursive: true })
      dirs.set(volume.name, dir)
      if (volume.emptyDir) await chmod(dir, 0o777)
      else if (volume.configMap) {
        const { name, items, defaultMode = 0o644, optional } = volume.configMap
        await writeData(dir, await this.dataOf('configmaps', name, optional), items, defaultMode)
      } else if (volume.secret) {
        const { secretName, items, defaultMode = 0o644, optional } = volume.secret
        await writeData(dir, await this.dataOf('secrets', secretName, optional), items, defaultMode)
      } else if (volume.projected) {
        const mode = volume.projected.defaultMode ?? 0o644
        for (const source of volume.projected.sources) {
          if (source.serviceAccountToken)
            await write(
              dir,
              source.serviceAccountToken.path,
              await this.token(pod, source.serviceAccountToken),
              0o600,
            )
          else if (source.configMap)
            await writeData(
              dir,
              await this.dataOf('configmaps', source.configMap.name),
              source.configMap.items,
              mode,
            )
          else if (source.downwardAPI)
            for (const item of source.downwardAPI.items)
              await write(dir, item.path, this.fieldOf(pod, item.fieldRef.fieldPath), mode)
          else throw new Error(`volume ${volume.name}: a projected source the test kubelet does not play`)
        }
      } else throw new Error(`volume ${volume.name}: a kind the test kubelet does not play`)
    }
    return dirs
  }

  /** A token of the Pod's ServiceAccount from the TokenRequest API, bound to the Pod. */
  private async token(
    pod: Pod,
    projection: { audience?: string; expirationSeconds?: number },
  ): Promise<string> {
    const { namespace } = this.options
    const answer = await this.admin.request<{ status: { token: string } }>(
      'POST',
      resourcePath({
        apiVersion: 'v1',
        plural: 'serviceaccounts',
        namespace,
        name: pod.spec.serviceAccountName ?? 'default',
        subresource: 'token',
      }),
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: {
            audiences: projection.audience ? [projection.audience] : [],
            expirationSeconds: projection.expirationSeconds ?? 3600,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
          },
        },
      },
    )
    return answer.status.token
  }

  /**
   * k3s's local-path provisioner: a claim of class `local-path` gets a PersistentVolume on a
   * directory of its own; the kubelet waits until the claim is Bound.
   */
  private async claimDir(claimName: string): Promise<string> {
    const { namespace, workDir, nodeName } = this.options
    const dir = join(workDir, 'claims', `${namespace}-${claimName}`)
    type Claim = Manifest & {
      metadata: { uid: string }
      spec: { storageClassName?: string; accessModes: string[]; resources: { requests: { storage: string } } }
      status?: { phase?: string }
    }
    const claim = (await this.get<Claim>('persistentvolumeclaims', claimName)) as Claim
    if (claim.status?.phase !== 'Bound') {
      if (claim.spec.storageClassName !== 'local-path')
        throw new Error(`claim ${claimName} of class ${claim.spec.storageClassName} has no provisioner here`)
      await mkdir(dir, { recursive: true })
      await chmod(dir, 0o777)
      const volume = `pvc-${claim.metadata.uid}`
      await this.admin
        .request('POST', resourcePath({ apiVersion: 'v1', plural: 'persistentvolumes' }), {
          body: {
            metadata: {
              name: volume,
              annotations: { 'pv.kubernetes.io/provisioned-by': 'rancher.io/local-path' },
            },
            spec: {
              capacity: { storage: claim.spec.resources.requests.storage },
              accessModes: claim.spec.accessModes,
              persistentVolumeReclaimPolicy: 'Delete',
              storageClassName: 'local-path',
              hostPath: { path: dir, type: 'DirectoryOrCreate' },
              claimRef: {
                apiVersion: 'v1',
                kind: 'PersistentVolumeClaim',
                namespace,
                name: claimName,
                uid: claim.metadata.uid,
              },
              nodeAffinity: {
                required: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [
                        { key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] },
                      ],
                    },
                  ],
                },
              },
            },
          },
        })
        .catch((error: unknown) => {
          if (!(error instanceof Error && /already exists/.test(error.message))) throw error
        })
      await waitFor(
        async () =>
          (await this.get<Claim>('persistentvolumeclaims', claimName))?.status?.phase === 'Bound'
            ? true
            : undefined,
        {
          timeoutMs: 30_000,
          intervalMs: 250,
          describe: () => `claim ${claimName} was not bound to ${volume}`,
        },
      )
    }
    return dir
  }

  private async probe(name: string, running: RunningPod): Promise<void> {
    let ready = true
    for (const container of running.pod.spec.containers) {
      const get = container.readinessProbe?.httpGet
      if (!get) continue
      const port =
        typeof get.port === 'number'
          ? get.port
          : container.ports?.find((p) => p.name === get.port)?.containerPort
      const answer = await fetch(`http://${running.network.address}:${port}${get.path}`, {
        signal: AbortSignal.timeout(3000),
      }).catch(() => undefined)
      // A probe succeeds on 200–399, as the kubelet's.
      if (!answer || answer.status < 200 || answer.status >= 400) ready = false
      await answer?.body?.cancel()
    }
    if (ready === running.ready) return
    running.ready = ready
    await this.writeStatus(running).catch((error: unknown) =>
      this.failures.set(`pod ${name}`, `status: ${String(error)}`),
    )
  }

  private async writeStatus(running: RunningPod): Promise<void> {
    const { namespace } = this.options
    const { pod, network, ready } = running
    const now = new Date().toISOString()
    const condition = (type: string, status: boolean) => ({
      type,
      status: status ? 'True' : 'False',
      lastTransitionTime: now,
    })
    await this.admin.request(
      'PATCH',
      resourcePath({
        apiVersion: 'v1',
        plural: 'pods',
        namespace,
        name: pod.metadata.name,
        subresource: 'status',
      }),
      {
        contentType: 'application/merge-patch+json',
        body: {
          status: {
            phase: 'Running',
            hostIP: network.gateway,
            podIP: network.address,
            podIPs: [{ ip: network.address }],
            startTime: now,
            conditions: [
              condition('PodScheduled', true),
              condition('Initialized', true),
              condition('ContainersReady', ready),
              condition('Ready', ready),
            ],
            containerStatuses: pod.spec.containers.map((c) => ({
              name: c.name,
              image: c.image,
              imageID: c.image,
              ready,
              started: true,
              restartCount: 0,
              state: { running: { startedAt: now } },
            })),
          },
        },
      },
    )
  }

  private async stopPod(running: RunningPod): Promise<void> {
    for (const process of running.containers.values()) await process.stop()
    running.proxy.close()
    await running.network.release()
  }

  /** Stops every container, releases the Pods' networks and deletes the Node. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.heartbeat)
    await this.syncing
    for (const running of this.pods.values()) if (running !== 'starting') await this.stopPod(running)
    this.pods.clear()
    for (const server of this.servers) server.close()
    await this.admin
      .request('DELETE', resourcePath({ apiVersion: 'v1', plural: 'nodes', name: this.options.nodeName }))
      .catch(() => {})
  }
}
