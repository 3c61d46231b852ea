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
    limits: { cpu: '1000m', memory: '1Gi' },
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

/** The largest size a tier offers: a container may never ask for more (LimitRange max). */
export const LARGEST_SIZE: Readonly<Record<Tier, Size>> = { shared: 'large', dedicated: 'xlarge' }

/** Autoscaling of dedicated webspaces (seed 004: 2–10 replicas). */
export const DEDICATED_AUTOSCALING = { minReplicas: 2, maxReplicas: 10, targetCpuUtilization: 70 } as const
