/**
 * The options of the `Hostplane` construct (what a user sets in their own cdk8s app or a profile
 * sets in deploy/install/profiles.ts), their defaults, and their validation. `resolveOptions`
 * turns the optional, user-facing `HostplaneProps` into the complete `InstallOptions` every part of
 * the install reads; a bad value throws naming the option.
 */
import type { V1ResourceRequirements } from '@kubernetes/client-node'
import { DNS_LABEL, LABEL_KEY, LABEL_VALUE } from '../../src/api/schema-kit.js'
import { HOSTPLANE_PACKAGE } from '../../src/package-root.js'
import { flagDefault } from './cli-flags.js'
import { pinnedImageDigest, pinnedRegistryImageDigest } from './image-pin.js'
import type { BuildEgress } from '../../src/build/jobs/namespace.js'
import { type BuildImages, DEFAULT_BUILD_IMAGES, isPinned } from '../../src/build/jobs/settings.js'

/** An image: a repository and a tag, a digest, or both (the digest wins when pulling). */
export interface ImageOption {
  /** e.g. `registry.example.com/hostplane`. */
  readonly repository: string
  /** e.g. `0.1.0`. */
  readonly tag?: string
  /** `sha256:<64 hex>`, as `npm run image` prints it. */
  readonly digest?: string
}

/**
 * Where the syncer's published trees live and how nginx reaches them.
 * - `shared`: one ReadWriteMany claim; nginx replicas and the syncer on any node.
 * - `single-node`: one ReadWriteOnce claim; every nginx replica is scheduled on the syncer's node
 *   (required pod affinity), where a ReadWriteOnce volume may be mounted by several pods. Fits
 *   k3s's `local-path`, whose volumes are pinned to one node anyway.
 * - `mirror`: the syncer's own ReadWriteOnce claim; every nginx pod holds its own copy of the
 *   published trees in a volume of its own (`replica`), kept by a `hostplane mirror` sidecar that
 *   follows the syncer's feed. nginx replicas on any node, no shared volume.
 */
export type StorageMode = 'shared' | 'single-node' | 'mirror'

const STORAGE_MODES: readonly StorageMode[] = ['shared', 'single-node', 'mirror']

/** Each nginx pod's own copy in `mirror` mode. */
export interface ReplicaVolumeOption {
  /**
   * Most it may hold. A replica holds at most what the syncer publishes (less: files a site's kept
   * revisions share are stored once). @default the sites claim's size
   */
  readonly size?: string
  /**
   * With a class: a generic ephemeral volume (a claim per pod, deleted with the pod) of this class,
   * for copies larger than the node's ephemeral storage should hold. @default none: an emptyDir
   * with `size` as its sizeLimit
   */
  readonly storageClass?: string
}

export interface StorageOption {
  /** @default shared */
  readonly mode?: StorageMode
  /** StorageClass of the sites claim (in `mirror` mode: the syncer's claim). @default the cluster's default class */
  readonly storageClass?: string
  /** Size of the sites claim. @default 10Gi */
  readonly size?: string
  /** Each nginx pod's own volume; `mirror` mode only. */
  readonly replica?: ReplicaVolumeOption
}

/** The ingress controller: the only source of site and webhook traffic. */
export interface IngressOption {
  /** Its namespace; also the operator's `--ingress-namespace`. @default traefik */
  readonly namespace?: string
  /**
   * Labels of its pods. When set, the NetworkPolicies admit only those pods of the namespace
   * (k3s runs Traefik in kube-system beside CoreDNS and the rest). @default every pod of the namespace
   */
  readonly podLabels?: Readonly<Record<string, string>>
}

export interface IssuersOption {
  /** ClusterIssuer of sites that name none: the operator's `--default-issuer`. @default letsencrypt */
  readonly default?: string
  /** ClusterIssuers every customer may name besides the default. @default none */
  readonly tenant?: readonly string[]
}

/** The `buildpacks` and `dockerfile` build Jobs, in the namespace `hostplane-builds`. */
export interface BuildsOption {
  /** Images of the build Pods, each pinned by digest. @default DEFAULT_BUILD_IMAGES (src/build/jobs/settings.ts) */
  readonly images?: Partial<BuildImages>
  /**
   * Addresses builds may reach besides DNS and the system namespace (a package mirror, a proxy,
   * the run image's registry). @default none
   */
  readonly egress?: readonly BuildEgress[]
  /** The system namespace's ServiceAccount that runs builds. @default hostplane-gitserver */
  readonly runnerServiceAccount?: string
}

/** What has its own resources: the Deployments, and the mirror sidecar of nginx pods (`mirror` mode). */
export type Component = 'operator' | 'syncer' | 'nginx' | 'mirror' | 'gitserver' | 'registry' | 'panel'

/** `hostplane gitserver` (docs/gitserver.md): off unless `enabled`. */
export interface GitServerOption {
  /** @default false */
  readonly enabled?: boolean
  /** StorageClass of the repositories' claim. @default the cluster's default class */
  readonly storageClass?: string
  /** Size of the repositories' claim. @default 20Gi */
  readonly size?: string
  /** Type of the SSH Service. @default LoadBalancer */
  readonly serviceType?: 'LoadBalancer' | 'NodePort' | 'ClusterIP'
  /**
   * A tenants' registry of your own: with it pushes are built and become Releases
   * (docs/builds.md). The install's own registry is the top-level `registry` option instead.
   * @default none
   */
  readonly registry?: GitServerRegistryOption
}

/**
 * The tenants' registry the install runs (registry.ts, docs/builds.md "The bundled registry"):
 * pushes to the gitserver are built into it, nodes pull from it. Needs `gitserver.enabled`.
 */
export interface RegistryOption {
  /**
   * The name nodes pull tenants' images by, routed by the ingress controller with a certificate
   * from the default issuer, e.g. registry.example.com. Its DNS must point at the ingress.
   */
  readonly host: string
  /** StorageClass of the registry's claim. @default the cluster's default class */
  readonly storageClass?: string
  /** Size of the registry's claim. @default 50Gi */
  readonly size?: string
  /** @default ghcr.io/hostplane/hostplane-registry:<package.json version>@<digest this tree builds> */
  readonly image?: ImageOption
}

/**
 * `hostplane panel` (docs/panel.md): the customers' web UI and REST API at its own host, signing
 * people in with the provider's OpenID Connect identity provider. Off unless given.
 */
export interface PanelOption {
  /** The panel's public host, routed by the ingress with a certificate from the default issuer. */
  readonly host: string
  readonly oidc: {
    /** The provider's issuer URL (https). */
    readonly issuer: string
    /** The panel's client id at the provider. */
    readonly clientId: string
    /**
     * A Secret in the system namespace whose `client-secret` is the client's secret: create it
     * yourself, it is not part of the install. @default hostplane-panel-oidc
     */
    readonly clientSecretName?: string
    /** ID token claim naming the Customer. @default hostplane_customer (the panel's default) */
    readonly customerClaim?: string
    /** A group `<prefix><customer>` names the Customer too. @default none */
    readonly customerGroupPrefix?: string
    /** Group whose members are provider admins. @default none: nobody is */
    readonly adminGroup?: string
  }
  /**
   * Proxies whose X-Forwarded-For names the client, so failed sign-ins count against the client's
   * address and not the ingress controller's. The panel's NetworkPolicy admits only the ingress
   * controller, whose pods sit on the cluster's private pod network.
   * @default 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7
   */
  readonly trustedProxies?: readonly string[]
}

/** The registry the gitserver builds into and whose tokens it signs. */
export interface GitServerRegistryOption {
  /** host[:port] as images name it, e.g. `registry.hostplane-system.svc:5000`. */
  readonly host: string
  /**
   * A Secret in the system namespace whose `tls.key` signs the registry's tokens (its `tls.crt`
   * is the registry's `auth.token.rootcertbundle`), e.g. a cert-manager Certificate's Secret.
   */
  readonly tokenKeySecret: string
  /** The registry's `auth.token.service`. @default host */
  readonly service?: string
  /** The registry's `auth.token.issuer`. @default hostplane */
  readonly issuer?: string
  /** Speak http to it (inside the cluster, without TLS). @default false */
  readonly plainHttp?: boolean
  /** Where the registry listens, for the gitserver's egress policy. */
  readonly egress: readonly BuildEgress[]
  /** Also run buildpacks and dockerfile builds as Jobs in the build namespace. @default true */
  readonly jobBuilds?: boolean
}

export interface HostplaneProps {
  /**
   * Default domains are `<name>-<namespace>.<pagesDomain>`: the operator's `--pages-domain`, and
   * fixed in the domain admission policy.
   */
  readonly pagesDomain: string
  /** Namespace of the operator, the syncer, nginx and generated routes. @default hostplane-system */
  readonly namespace?: string
  /**
   * Operator and syncer image.
   * @default ghcr.io/hostplane/hostplane:<package.json version>@<digest this tree builds> (image-pin.ts)
   */
  readonly image?: ImageOption
  /** Unprivileged nginx. @default docker.io/nginxinc/nginx-unprivileged:1.28.0-bookworm */
  readonly nginxImage?: ImageOption
  readonly ingress?: IngressOption
  /** Namespace whose pods may scrape /metrics. @default monitoring */
  readonly monitoringNamespace?: string
  readonly storage?: StorageOption
  readonly issuers?: IssuersOption
  /** Replicas of the operator (leader election) and nginx. The syncer is always one. @default 2 each */
  readonly replicas?: { readonly operator?: number; readonly nginx?: number }
  /** Requests and limits per component. @default the values in DEFAULT_RESOURCES */
  readonly resources?: Partial<Readonly<Record<Component, V1ResourceRequirements>>>
  readonly gitserver?: GitServerOption
  readonly registry?: RegistryOption
  readonly builds?: BuildsOption
  readonly panel?: PanelOption
}

/** Every option decided: what the parts of the install read. */
export interface InstallOptions {
  readonly namespace: string
  /** Full image references (`repository:tag`, `repository@digest` or both). */
  readonly image: string
  readonly nginxImage: string
  readonly ingress: { readonly namespace: string; readonly podLabels?: Readonly<Record<string, string>> }
  readonly monitoringNamespace: string
  readonly storage: {
    readonly mode: StorageMode
    readonly storageClass?: string
    readonly size: string
    /** Each nginx pod's own volume, in `mirror` mode only. */
    readonly replica?: { readonly size: string; readonly storageClass?: string }
  }
  readonly pagesDomain: string
  readonly issuers: { readonly default: string; readonly tenant: readonly string[] }
  readonly replicas: { readonly operator: number; readonly nginx: number }
  readonly resources: Readonly<Record<Component, V1ResourceRequirements>>
  /** Present only when enabled. */
  readonly gitserver?: {
    readonly storageClass?: string
    readonly size: string
    readonly serviceType: NonNullable<GitServerOption['serviceType']>
    readonly registry?: GitServerRegistryOption
  }
  /** Present only when the install runs the registry. */
  readonly registry?: {
    readonly host: string
    readonly storageClass?: string
    readonly size: string
    /** Full image reference. */
    readonly image: string
  }
  readonly builds: {
    readonly images: BuildImages
    readonly egress: readonly BuildEgress[]
    readonly runnerServiceAccount: string
  }
  /** Present only when given. */
  readonly panel?: Required<Omit<PanelOption, 'oidc'>> & {
    readonly oidc: PanelOption['oidc'] & { readonly clientSecretName: string }
  }
}

/** Where the files the install reads (deploy/crds, deploy/rbac, …) are: this checkout or the installed package. */
export const PACKAGE_ROOT = HOSTPLANE_PACKAGE.root

/** The repository the install names when no image is given; kustomize `images:` entries match it. */
export const IMAGE_REPOSITORY = 'ghcr.io/hostplane/hostplane'
export const NGINX_IMAGE_REPOSITORY = 'docker.io/nginxinc/nginx-unprivileged'
export const REGISTRY_IMAGE_REPOSITORY = 'ghcr.io/hostplane/hostplane-registry'

export const DEFAULT_RESOURCES: Readonly<Record<Component, V1ResourceRequirements>> = {
  operator: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  syncer: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } },
  nginx: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } },
  // bench/RESULTS.md (mirror): 104–108 MiB peak RSS per mirror, the syncer's 96 MiB; it waits on a
  // held request between revisions and hashes what it downloads. The limit leaves room for the
  // manifests it keeps (up to 256 trees) and a first start that copies every site.
  mirror: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  // git's pack indexing of a push runs in the pod beside the server.
  gitserver: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } },
  // distribution streams blobs to its volume; its memory is its caches.
  registry: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  // bench/RESULTS.md (panel): 93 MiB idle, a 198 MiB peak serving 800-site lists to 4 clients at once.
  panel: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
}

const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/
const TAG = /^\w[\w.-]{0,127}$/
const DIGEST = /^sha256:[0-9a-f]{64}$/
const NAMESPACE = new RegExp(DNS_LABEL)
const OBJECT_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/
const CIDR = /^([0-9]{1,3}(\.[0-9]{1,3}){3}\/[0-9]{1,2}|[0-9a-f:]+\/[0-9]{1,3})$/
const REGISTRY_HOST = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?$/
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/
const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/

/** Collects every problem of a props object, each naming its option, so one run reports them all. */
class Problems {
  readonly list: string[] = []
  check(option: string, value: string | undefined, pattern: RegExp, what: string): void {
    if (value !== undefined && !pattern.test(value)) this.list.push(`${option} must be ${what}, got ${value}`)
  }
  count(option: string, value: number | undefined): void {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1))
      this.list.push(`${option} must be a whole number of at least 1, got ${value}`)
  }
}

function imageReference(option: string, image: ImageOption, problems: Problems): string {
  problems.check(
    `${option}.repository`,
    image.repository,
    REPOSITORY,
    'a repository such as registry.example.com/hostplane',
  )
  problems.check(`${option}.tag`, image.tag, TAG, 'an image tag')
  problems.check(`${option}.digest`, image.digest, DIGEST, 'sha256:<64 hex digits>')
  if (!image.tag && !image.digest) problems.list.push(`${option} needs a tag or a digest`)
  return `${image.repository}${image.tag ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`
}

/** The complete options for `props`; throws one error listing every bad value with its option. */
export function resolveOptions(props: HostplaneProps): InstallOptions {
  const problems = new Problems()
  const namespace = props.namespace ?? flagDefault('operator', '--system-namespace')
  problems.check('namespace', namespace, NAMESPACE, 'a namespace name')
  const ingressNamespace = props.ingress?.namespace ?? flagDefault('operator', '--ingress-namespace')
  problems.check('ingress.namespace', ingressNamespace, NAMESPACE, 'a namespace name')
  for (const [key, value] of Object.entries(props.ingress?.podLabels ?? {})) {
    problems.check('ingress.podLabels key', key, new RegExp(LABEL_KEY), 'a label key')
    problems.check(`ingress.podLabels[${key}]`, value, new RegExp(LABEL_VALUE), 'a label value')
  }
  const monitoringNamespace = props.monitoringNamespace ?? 'monitoring'
  problems.check('monitoringNamespace', monitoringNamespace, NAMESPACE, 'a namespace name')
  problems.check('storage.storageClass', props.storage?.storageClass, OBJECT_NAME, 'a StorageClass name')
  problems.check('storage.size', props.storage?.size, QUANTITY, 'a size such as 10Gi')
  const size = props.storage?.size ?? '10Gi'
  const mode = props.storage?.mode ?? 'shared'
  if (!STORAGE_MODES.includes(mode))
    problems.list.push(`storage.mode must be shared, single-node or mirror, got ${String(mode)}`)
  const replica = props.storage?.replica
  if (replica && mode !== 'mirror')
    problems.list.push(
      `storage.replica is each nginx pod's own copy in storage.mode mirror; the mode is ${mode}`,
    )
  problems.check('storage.replica.storageClass', replica?.storageClass, OBJECT_NAME, 'a StorageClass name')
  problems.check('storage.replica.size', replica?.size, QUANTITY, 'a size such as 10Gi')
  problems.check('pagesDomain', props.pagesDomain, DOMAIN, 'a domain name such as pages.example.com')
  const defaultIssuer = props.issuers?.default ?? flagDefault('operator', '--default-issuer')
  problems.check('issuers.default', defaultIssuer, OBJECT_NAME, 'a ClusterIssuer name')
  for (const issuer of props.issuers?.tenant ?? [])
    problems.check('issuers.tenant', issuer, OBJECT_NAME, 'a list of ClusterIssuer names')
  problems.check('gitserver.storageClass', props.gitserver?.storageClass, OBJECT_NAME, 'a StorageClass name')
  problems.check('gitserver.size', props.gitserver?.size, QUANTITY, 'a size such as 20Gi')
  const serviceType = props.gitserver?.serviceType ?? 'LoadBalancer'
  if (!['LoadBalancer', 'NodePort', 'ClusterIP'].includes(serviceType))
    problems.list.push(
      `gitserver.serviceType must be LoadBalancer, NodePort or ClusterIP, got ${String(serviceType)}`,
    )
  const registry = props.gitserver?.registry
  if (registry) {
    problems.check(
      'gitserver.registry.host',
      registry.host,
      REGISTRY_HOST,
      'host[:port] such as registry.example.com:5000',
    )
    problems.check('gitserver.registry.tokenKeySecret', registry.tokenKeySecret, OBJECT_NAME, 'a Secret name')
    for (const { cidr } of registry.egress)
      problems.check('gitserver.registry.egress', cidr, CIDR, 'CIDRs such as 10.43.0.0/16')
  }
  const bundled = props.registry
  if (bundled) {
    problems.check('registry.host', bundled.host, DOMAIN, 'a host name such as registry.example.com')
    problems.check('registry.storageClass', bundled.storageClass, OBJECT_NAME, 'a StorageClass name')
    problems.check('registry.size', bundled.size, QUANTITY, 'a size such as 50Gi')
    if (!props.gitserver?.enabled)
      problems.list.push(
        'registry needs gitserver.enabled: the gitserver builds into it and issues its tokens',
      )
    if (registry)
      problems.list.push(
        'registry and gitserver.registry exclude each other: run the install’s registry or name your own',
      )
  }
  problems.count('replicas.operator', props.replicas?.operator)
  problems.count('replicas.nginx', props.replicas?.nginx)
  const image = imageReference(
    'image',
    props.image ?? {
      repository: IMAGE_REPOSITORY,
      tag: HOSTPLANE_PACKAGE.version,
      digest: pinnedImageDigest(),
    },
    problems,
  )
  const nginxImage = imageReference(
    'nginxImage',
    props.nginxImage ?? { repository: NGINX_IMAGE_REPOSITORY, tag: '1.28.0-bookworm' },
    problems,
  )
  const registryImage = bundled
    ? imageReference(
        'registry.image',
        bundled.image ?? {
          repository: REGISTRY_IMAGE_REPOSITORY,
          tag: HOSTPLANE_PACKAGE.version,
          digest: pinnedRegistryImageDigest(),
        },
        problems,
      )
    : undefined
  const buildImages = { ...DEFAULT_BUILD_IMAGES, ...props.builds?.images }
  for (const [role, reference] of Object.entries(buildImages))
    if (!isPinned(reference))
      problems.list.push(
        `builds.images.${role} must be pinned by digest (<repository>[:tag]@sha256:<64 hex>), got ${reference}`,
      )
  for (const { cidr, ports } of props.builds?.egress ?? []) {
    problems.check('builds.egress cidr', cidr, CIDR, 'an address block such as 10.0.0.0/8')
    for (const port of ports) problems.count('builds.egress port', port)
  }
  const runnerServiceAccount = props.builds?.runnerServiceAccount ?? 'hostplane-gitserver'
  problems.check('builds.runnerServiceAccount', runnerServiceAccount, OBJECT_NAME, 'a ServiceAccount name')
  const panel = props.panel && resolvePanel(props.panel, problems)
  if (problems.list.length) throw new Error(`hostplane install options:\n${problems.list.join('\n')}`)
  return {
    namespace,
    image,
    nginxImage,
    ingress: { namespace: ingressNamespace, podLabels: props.ingress?.podLabels },
    monitoringNamespace,
    storage: {
      mode,
      storageClass: props.storage?.storageClass,
      size,
      replica:
        mode === 'mirror' ? { size: replica?.size ?? size, storageClass: replica?.storageClass } : undefined,
    },
    pagesDomain: props.pagesDomain,
    issuers: { default: defaultIssuer, tenant: [...(props.issuers?.tenant ?? [])] },
    replicas: { operator: props.replicas?.operator ?? 2, nginx: props.replicas?.nginx ?? 2 },
    resources: { ...DEFAULT_RESOURCES, ...props.resources },
    gitserver: props.gitserver?.enabled
      ? {
          storageClass: props.gitserver.storageClass,
          size: props.gitserver.size ?? '20Gi',
          serviceType,
          registry: props.gitserver.registry,
        }
      : undefined,
    registry:
      bundled && registryImage
        ? {
            host: bundled.host,
            storageClass: bundled.storageClass,
            size: bundled.size ?? '50Gi',
            image: registryImage,
          }
        : undefined,
    builds: { images: buildImages, egress: [...(props.builds?.egress ?? [])], runnerServiceAccount },
    panel,
  }
}

const CLAIM = /^[A-Za-z0-9_.:/-]{1,128}$/
const HTTPS_URL = /^https:\/\/[^\s?#]+$/
const TOKEN = /^\S{1,256}$/

/** The panel's options with their defaults, each bad value a problem naming its option. */
function resolvePanel(panel: PanelOption, problems: Problems): NonNullable<InstallOptions['panel']> {
  problems.check('panel.host', panel.host, DOMAIN, 'a DNS name such as panel.example.com')
  problems.check('panel.oidc.issuer', panel.oidc.issuer, HTTPS_URL, 'an https URL without query or fragment')
  problems.check('panel.oidc.clientId', panel.oidc.clientId, TOKEN, 'a client id')
  const clientSecretName = panel.oidc.clientSecretName ?? 'hostplane-panel-oidc'
  problems.check('panel.oidc.clientSecretName', clientSecretName, OBJECT_NAME, 'a Secret name')
  problems.check('panel.oidc.customerClaim', panel.oidc.customerClaim, CLAIM, 'a claim name')
  problems.check('panel.oidc.customerGroupPrefix', panel.oidc.customerGroupPrefix, TOKEN, 'a group prefix')
  problems.check('panel.oidc.adminGroup', panel.oidc.adminGroup, TOKEN, 'a group name')
  const trustedProxies = panel.trustedProxies ?? ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']
  for (const cidr of trustedProxies)
    problems.check('panel.trustedProxies', cidr, CIDR, 'address blocks such as 10.42.0.0/16')
  return { host: panel.host, oidc: { ...panel.oidc, clientSecretName }, trustedProxies }
}
