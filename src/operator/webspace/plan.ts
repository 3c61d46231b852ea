/**
 * What a Webspace should be, decided from plain inputs: its Runtime and Customer (either may be
 * missing), the live Deployment, and a quota refusal from the last apply. Rules run in order and
 * the first problem wins; a problem is a user error (a condition saying what to change, no
 * objects, no retry until an input changes). Pure.
 */
import type { Condition } from '../../api/conditions.js'
import type { Customer, Runtime, Webspace } from '../../api/resources.js'
import type { DesiredCondition } from '../../kube/conditions.js'
import type { KubeObject, Manifest } from '../../kube/object.js'
import { TIER_QUOTAS } from '../customer/tiers.js'
import { CONDITION, REASON } from './conditions.js'
import { renderWebspace, type WebspaceConfig, webspaceDomains, webspaceSize } from './render.js'

export interface Deployment extends KubeObject {
  status?: {
    replicas?: number
    readyReplicas?: number
    availableReplicas?: number
    conditions?: { type: string; status: Condition['status']; reason?: string; message?: string }[]
  }
}

export interface WebspaceInputs {
  readonly webspace: Webspace
  readonly runtime: Runtime | undefined
  readonly customer: Customer | undefined
  readonly deployment: Deployment | undefined
  readonly config: WebspaceConfig
}

export interface Problem {
  readonly reason: string
  readonly message: string
}

type Rule = (inputs: WebspaceInputs) => Problem | undefined

export const RULES: readonly Rule[] = [
  ({ customer, webspace }) =>
    customer
      ? undefined
      : {
          reason: REASON.NoCustomer,
          message: `namespace ${webspace.metadata.namespace ?? ''} belongs to no Customer: webspaces run only in a customer namespace`,
        },
  ({ runtime, webspace }) =>
    runtime
      ? undefined
      : {
          reason: REASON.RuntimeNotFound,
          message: `Runtime ${webspace.spec.runtime} does not exist: use one of kubectl get runtimes`,
        },
  ({ customer, webspace }) => {
    if (!customer) return undefined
    const size = webspaceSize(webspace, customer)
    const offered = Object.keys(TIER_QUOTAS[customer.spec.tier])
    return offered.includes(size)
      ? undefined
      : {
          reason: REASON.SizeNotOffered,
          message: `size ${size} is not offered on the ${customer.spec.tier} tier: use one of ${offered.join(', ')}`,
        }
  },
]

export interface WebspacePlan {
  /** Undefined when a problem stops the webspace from being deployed: leave its objects alone. */
  readonly objects: Manifest[] | undefined
  readonly conditions: DesiredCondition[]
  readonly url: string | undefined
  /** Replica counts from the Deployment's status (0 before it reports). */
  readonly counts: {
    readonly replicas: number
    readonly readyReplicas: number
    readonly availableReplicas: number
  }
}

const countsOf = (deployment: Deployment | undefined) => ({
  replicas: deployment?.status?.replicas ?? 0,
  readyReplicas: deployment?.status?.readyReplicas ?? 0,
  availableReplicas: deployment?.status?.availableReplicas ?? 0,
})

const mirrored = (deployment: Deployment | undefined, type: string): DesiredCondition => {
  const condition = deployment?.status?.conditions?.find((c) => c.type === type)
  return condition
    ? {
        type,
        status: condition.status,
        reason: condition.reason ?? type,
        message: condition.message ?? '',
      }
    : {
        type,
        status: 'Unknown',
        reason: REASON.DeploymentPending,
        message: 'the Deployment has not reported yet',
      }
}

/** `refusal`: the message of a Deployment the quota admission policy refused on the last apply. */
export function planWebspace(inputs: WebspaceInputs, refusal?: string): WebspacePlan {
  const { webspace, runtime, customer, deployment, config } = inputs
  const problem =
    RULES.reduce<Problem | undefined>((found, rule) => found ?? rule(inputs), undefined) ??
    (refusal ? { reason: REASON.QuotaExceeded, message: refusal } : undefined)
  if (problem || !runtime || !customer) {
    const { reason, message } = problem ?? { reason: REASON.NoCustomer, message: '' }
    return {
      objects: undefined,
      url: undefined,
      counts: countsOf(deployment),
      conditions: [
        { type: CONDITION.Deployed, status: 'False', reason, message },
        { type: CONDITION.Ready, status: 'False', reason, message },
      ],
    }
  }
  const objects = renderWebspace(webspace, runtime, customer, config)
  const [domain] = webspaceDomains(webspace, config.pagesDomain)
  const scheme = webspace.spec.tls.mode === 'none' ? 'http' : 'https'
  const available = mirrored(deployment, CONDITION.Available)
  const progressing = mirrored(deployment, CONDITION.Progressing)
  const suspended = customer.spec.suspended
  const deployed: DesiredCondition = suspended
    ? {
        type: CONDITION.Deployed,
        status: 'False',
        reason: REASON.CustomerSuspended,
        message: `customer ${customer.metadata.name} is suspended: 0 replicas and no route`,
      }
    : {
        type: CONDITION.Deployed,
        status: 'True',
        reason: REASON.ObjectsApplied,
        message: `${objects.length} objects`,
      }
  const ready: DesiredCondition =
    deployed.status !== 'True'
      ? { ...deployed, type: CONDITION.Ready }
      : available.status !== 'True'
        ? { ...available, type: CONDITION.Ready }
        : {
            type: CONDITION.Ready,
            status: 'True',
            reason: REASON.Ready,
            message: `serving ${scheme}://${domain}/`,
          }
  return {
    objects,
    url: suspended ? undefined : `${scheme}://${domain ?? ''}/`,
    counts: countsOf(deployment),
    conditions: [deployed, available, progressing, ready],
  }
}
