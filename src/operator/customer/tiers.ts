/**
 * What each tier and size gives, from seed 004's resource table. Per-replica resources apply to
 * every webspace container; the namespace quota bounds what a customer can run in total.
 */
import type { Size, Tier } from '../../api/customer.js'

export interface ReplicaResources {
  readonly requests: { readonly cpu: string; readonly memory: string }
  readonly limits: { readonly cpu: string; readonly memory: string }
  /** Replicas when the Webspace does not say (the HPA minimum on the dedicated tier). */
  readonly replicas: number
}

/** Per-replica resources by size (seed 004). */
export const SIZE_RESOURCES: Readonly<Record<Size, ReplicaResources>> = {
  small: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '128Mi' }, replicas: 1 },
  medium: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '250m', memory: '256Mi' }, replicas: 2 },
  large: {
    requests: { cpu: '100m', memory: '128Mi' },
    limits: { cpu: '500m', memory: '512Mi' },
    replicas: 2,
  },
  xlarge: {
    requests: { cpu: '200m', memory: '256Mi' },
    // '1', not '1000m': the API server stores quantities in canonical form, and a value it
    // rewrites never matches what the operator applies (a write on every pass, idle or not).
    limits: { cpu: '1', memory: '1Gi' },
    replicas: 3,
  },
}

export interface NamespaceQuota {
  readonly 'requests.cpu': string
  readonly 'limits.cpu': string
  readonly 'requests.memory': string
  readonly 'limits.memory': string
  /** Pod count: also what bounds a tenant's processes, since the kubelet caps PIDs per pod. */
  readonly pods: string
  readonly persistentvolumeclaims: string
  readonly 'requests.storage': string
}

/**
 * Namespace quota per customer size. The dedicated rows follow seed 004's example quota; the
 * shared rows scale down so many shared tenants fit one node pool.
 */
export const TIER_QUOTAS: Readonly<Record<Tier, Partial<Record<Size, NamespaceQuota>>>> = {
  shared: {
    small: quota('250m', '1', '256Mi', '1Gi', 10, 2, '5Gi'),
    medium: quota('500m', '2', '512Mi', '2Gi', 20, 5, '20Gi'),
    large: quota('1', '4', '1Gi', '4Gi', 30, 10, '50Gi'),
  },
  dedicated: {
    large: quota('2', '4', '4Gi', '8Gi', 50, 10, '100Gi'),
    xlarge: quota('4', '8', '8Gi', '16Gi', 100, 20, '200Gi'),
  },
}

function quota(
  requestsCpu: string,
  limitsCpu: string,
  requestsMemory: string,
  limitsMemory: string,
  pods: number,
  claims: number,
  storage: string,
): NamespaceQuota {
  return {
    'requests.cpu': requestsCpu,
    'limits.cpu': limitsCpu,
    'requests.memory': requestsMemory,
    'limits.memory': limitsMemory,
    pods: String(pods),
    persistentvolumeclaims: String(claims),
    'requests.storage': storage,
  }
}

/**
 * How many objects of each kind a customer may hold, by tier and size. The API server counts them
 * (ResourceQuota `count/<resource>.<group>`, `services`, `secrets`, `configmaps`) and refuses the
 * one over the limit at admission time; the operator bounds the domains and the new certificates
 * per hour, which no quota can count. The system namespace's IngressRoutes, Middlewares and
 * Certificates are generated per StaticSite, so the StaticSite count (and the CRD's bound on a
 * site's domains) bounds them too.
 */
export interface ObjectLimits {
  readonly staticSites: number
  /** Also each webspace's Deployment, IngressRoute, Certificate, HPA and PDB in the namespace. */
  readonly webspaces: number
  readonly databases: number
  readonly releases: number
  /** Push keys the tenant registers itself: each is held in the gitserver's index. */
  readonly sshKeys: number
  /** A webspace's Service, plus room for what the tenant runs beside it. */
  readonly services: number
  /** The tenant's own Secrets plus a TLS Secret and cert-manager's next private key per webspace. */
  readonly secrets: number
  /** Includes `kube-root-ca.crt`, which Kubernetes puts in every namespace. */
  readonly configMaps: number
  /** Distinct domains across the customer's StaticSites and Webspaces (the operator's, see domain-limit.ts). */
  readonly domains: number
  /** New certificate orders per hour across its sites and webspaces (the operator's, see certificate-rate.ts). */
  readonly certificatesPerHour: number
}

const limits = (
  staticSites: number,
  webspaces: number,
  databases: number,
  releases: number,
  sshKeys: number,
  services: number,
  secrets: number,
  configMaps: number,
  domains: number,
  certificatesPerHour: number,
): ObjectLimits => ({
  staticSites,
  webspaces,
  databases,
  releases,
  sshKeys,
  services,
  secrets,
  configMaps,
  domains,
  certificatesPerHour,
})

/** Object limits per tier and size; docs/tenancy.md has the table. */
export const TIER_OBJECT_LIMITS: Readonly<Record<Tier, Partial<Record<Size, ObjectLimits>>>> = {
  shared: {
    small: limits(10, 3, 2, 30, 10, 5, 20, 10, 20, 5),
    medium: limits(25, 10, 5, 100, 25, 15, 50, 25, 50, 10),
    large: limits(50, 20, 10, 200, 50, 30, 100, 50, 100, 20),
  },
  dedicated: {
    large: limits(100, 50, 20, 500, 100, 60, 200, 100, 250, 30),
    xlarge: limits(200, 100, 40, 1000, 200, 120, 400, 200, 500, 50),
  },
}

/** The ResourceQuota `hard` entries that count a customer's objects. */
export function objectCountQuota(limits: ObjectLimits): Readonly<Record<string, string>> {
  const { webspaces } = limits
  const counts: Record<string, number> = {
    'count/staticsites.hostplane.dev': limits.staticSites,
    'count/webspaces.hostplane.dev': webspaces,
    'count/databases.hostplane.dev': limits.databases,
    'count/releases.hostplane.dev': limits.releases,
    'count/sshkeys.hostplane.dev': limits.sshKeys,
    services: limits.services,
    secrets: limits.secrets,
    configmaps: limits.configMaps,
    // One of each per webspace: what the operator generates in the namespace.
    'count/deployments.apps': webspaces,
    'count/ingressroutes.traefik.io': webspaces,
    'count/certificates.cert-manager.io': webspaces,
    'count/horizontalpodautoscalers.autoscaling': webspaces,
    'count/poddisruptionbudgets.policy': webspaces,
  }
  return Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, countQuantity(value)]))
}

/**
 * A count as the API server stores it: whole thousands with the decimal suffix (1000 is `1k`), so
 * the quota the operator applies is the quota it reads back and is not written again on every pass.
 */
export function countQuantity(count: number): string {
  for (const [suffix, scale] of [
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const)
    if (count >= scale && count % scale === 0) return `${count / scale}${suffix}`
  return String(count)
}

/** The largest size a tier offers: a container may never ask for more (LimitRange max). */
export const LARGEST_SIZE: Readonly<Record<Tier, Size>> = { shared: 'large', dedicated: 'xlarge' }

/** Autoscaling of dedicated webspaces (seed 004: 2–10 replicas). */
export const DEDICATED_AUTOSCALING = { minReplicas: 2, maxReplicas: 10, targetCpuUtilization: 70 } as const

/**
 * What one build Job of a customer may use (`buildpacks` and `dockerfile` strategies,
 * src/build/jobs): the build container's CPU and memory, the Job's deadline, its disk (the build
 * container's ephemeral-storage and each emptyDir's sizeLimit), and how many of the customer's
 * builds run at once. Builds run in the build namespace, outside the customer's quota, so these
 * are their only bound; docs/builds.md has the table.
 */
export interface BuildLimits {
  readonly cpu: string
  readonly memory: string
  readonly deadlineSeconds: number
  readonly disk: string
  readonly concurrent: number
}

const build = (cpu: string, memory: string, deadlineSeconds: number, disk: string, concurrent: number) =>
  ({ cpu, memory, deadlineSeconds, disk, concurrent }) satisfies BuildLimits

/** Build limits per tier and size. */
export const TIER_BUILD_LIMITS: Readonly<Record<Tier, Partial<Record<Size, BuildLimits>>>> = {
  shared: {
    small: build('1', '2Gi', 600, '4Gi', 1),
    medium: build('1', '3Gi', 900, '8Gi', 1),
    large: build('2', '4Gi', 1200, '12Gi', 2),
  },
  dedicated: {
    large: build('2', '6Gi', 1800, '20Gi', 2),
    xlarge: build('4', '8Gi', 2400, '30Gi', 3),
  },
}

/** The build limits of a tier and size; throws for a size the tier does not offer. */
export function buildLimits(tier: Tier, size: Size): BuildLimits {
  const limits = TIER_BUILD_LIMITS[tier][size]
  if (!limits) throw new Error(`the ${tier} tier offers no size ${size}`)
  return limits
}
