/**
 * What a Webspace should be, decided from plain inputs: its Runtime and Customer (either may be
 * missing), the rival claims on its domains, the live Deployment, and the API server's refusal
 * of the last apply (a full quota, a denying policy). Rules run in order and the first problem wins; a problem is a user error (a
 * condition saying what to change, no objects, no retry until an input changes). A domain it may
 * not serve is not such a problem: the webspace runs, without route or Certificate. Pure.
 */
import type { Condition } from '../../api/conditions.js'
import type { Customer, Release, Runtime, Webspace } from '../../api/resources.js'
import type { DesiredCondition } from '../../kube/conditions.js'
import type { KubeObject, Manifest } from '../../kube/object.js'
import { type IssuerConfig, issuerNotAllowed } from '../customer/cluster-issuers.js'
import type { Refusal } from '../../kube/refusal.js'
import { refusalCondition } from '../refusals.js'
import { QUOTA_POLICY_NAME } from '../../admission/tier-quota.js'
import { TIER_QUOTAS } from '../customer/tiers.js'
import type { CertificateOrder } from '../../api/customer.js'
import { orderOf, withoutNewOrder } from '../certificate-rate.js'
import { customerDomainLimitExceeded } from '../domain-limit.js'
import { CONDITION, REASON } from './conditions.js'
import { type Claim, claimOf, createdAt } from '../../domains/claims.js'
import { type ClaimantEntry, decideDomains } from '../../domains/decide.js'
import { type DomainPolicy, domainPolicy, domainsOf } from '../../domains/site-domains.js'
import { type TlsSecretRead, tlsSecretVerdict } from '../staticsite/tls-secret.js'
import { renderWebspace, type WebspaceConfig, webspaceSize } from './render.js'
import { previewsOf, renderPreview } from './preview.js'
import { decideRollout, type RolloutStatus } from './rollout.js'

export interface Deployment extends KubeObject {
  spec?: { template?: { spec?: { containers?: { name: string; image?: string }[] } } }
  status?: {
    observedGeneration?: number
    replicas?: number
    readyReplicas?: number
    availableReplicas?: number
    conditions?: { type: string; status: Condition['status']; reason?: string; message?: string }[]
  }
}

/** What rendering needs, and which issuers the customer may use. */
export type WebspacePlanConfig = WebspaceConfig & IssuerConfig

export interface WebspaceInputs {
  readonly webspace: Webspace
  readonly runtime: Runtime | undefined
  readonly customer: Customer | undefined
  readonly deployment: Deployment | undefined
  /** Its Releases (spec.webspace is its name). @default none */
  readonly releases?: readonly Release[]
  /** Claims of other StaticSites and Webspaces sharing a domain with this one. */
  readonly rivals: readonly Claim[]
  /** Claims of the sites and webspaces of its namespace, for its customer's domain limit. @default none */
  readonly neighbours?: readonly Claim[]
  /** Its live Certificate, if any: a new one or new domains are an order (certificate-rate.ts). */
  readonly certificate?: KubeObject
  readonly config: WebspacePlanConfig
  /** With `tls.mode: secret`: what reading the named Secret of its namespace found. @default missing */
  readonly tlsSecret?: TlsSecretRead
  /** For the certificate's expiry. */
  readonly now: Date
}

const claimant = (webspace: Webspace): ClaimantEntry => ({
  kind: 'Webspace',
  object: webspace,
  claimedAt: createdAt(webspace),
})

/** The webspace's claim on its domains (always the whole domain); undefined when one is refused. */
export const webspaceClaim = (webspace: Webspace, policy: DomainPolicy): Claim | undefined =>
  claimOf('Webspace', webspace, policy, claimant(webspace))

/**
 * DomainClaimed: held, refused (a reserved name, or one outside the Customer's domains), denied
 * by an older claim of another object, or over the customer's domain limit.
 */
function domainClaimed(
  { webspace, rivals, neighbours = [], customer }: WebspaceInputs,
  policy: DomainPolicy,
): DesiredCondition {
  const type = CONDITION.DomainClaimed
  const domains = decideDomains(claimant(webspace), policy, rivals)
  if (!domains.held) return { type, status: 'False', reason: domains.reason, message: domains.message }
  const overLimit = customerDomainLimitExceeded(webspaceClaim(webspace, policy), neighbours, customer)
  if (overLimit) return { type, status: 'False', reason: REASON.DomainQuotaExceeded, message: overLimit }
  return {
    type,
    status: 'True',
    reason: REASON.DomainClaimed,
    message: `this webspace holds ${domains.domains.join(', ')}`.slice(0, 1024),
  }
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

/**
 * A refused write as the webspace's problem. The tier quota policy's denial is a quota too: it
 * bounds replicas × size before the ResourceQuota would.
 */
export function refusalProblem(refusal: Refusal): Problem {
  const storage = refusal.resources.some((r) => /storage|persistentvolumeclaims/.test(r))
  const running =
    refusal.admission === QUOTA_POLICY_NAME || refusal.resources.some((r) => /pods|cpu|memory/.test(r))
  return refusalCondition(
    refusal,
    {
      what: 'the webspace',
      quota: storage
        ? 'lower spec.storage.size or ask for a larger tier'
        : running
          ? 'lower spec.replicas or spec.size, or ask for a larger tier'
          : 'delete webspaces you no longer need or ask for a larger tier',
    },
    refusal.reason === 'QuotaExceeded' || refusal.admission === QUOTA_POLICY_NAME,
  )
}

export interface WebspacePlan {
  /** Undefined when a problem stops the webspace from being deployed: leave its objects alone. */
  readonly objects: Manifest[] | undefined
  readonly conditions: DesiredCondition[]
  readonly url: string | undefined
  /** A new certificate order: record these in the Customer's status before writing anything. */
  readonly recordOrders?: readonly CertificateOrder[]
  /** Reconcile again then: a new certificate waits for the customer's hourly limit, or a preview expires. */
  readonly retryAt?: Date
  /** Which Release runs, the one before it and the failed ones (status.release, …). */
  readonly rollout: RolloutStatus
  /** The image the Deployment runs; undefined while a problem leaves its objects alone. */
  readonly image?: string
  /** Releases beyond their branch's history, to delete once the objects are applied. */
  readonly prune?: readonly Release[]
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

/** `refusal`: the API server refused the last apply (or its retry is not due yet). */
export function planWebspace(inputs: WebspaceInputs, refusal?: Refusal): WebspacePlan {
  const { webspace, runtime, customer, deployment, config, now } = inputs
  const problem =
    RULES.reduce<Problem | undefined>((found, rule) => found ?? rule(inputs), undefined) ??
    (refusal ? refusalProblem(refusal) : undefined)
  if (problem || !runtime || !customer) {
    const { reason, message } = problem ?? { reason: REASON.NoCustomer, message: '' }
    // The objects are left alone, and so is what the status says about the Release they run.
    const { release, previousRelease, failedReleases, conditions } = webspace.status ?? {}
    const released = conditions?.find((c) => c.type === CONDITION.Released)
    return {
      objects: undefined,
      url: undefined,
      counts: countsOf(deployment),
      ...(webspace.status?.image ? { image: webspace.status.image } : {}),
      rollout: {
        ...(release ? { release } : {}),
        ...(previousRelease ? { previousRelease } : {}),
        ...(failedReleases ? { failedReleases } : {}),
      },
      conditions: [
        { type: CONDITION.Deployed, status: 'False', reason, message },
        ...(released ? [released] : []),
        { type: CONDITION.Ready, status: 'False', reason, message },
      ],
    }
  }
  const rollout = decideRollout({ webspace, releases: inputs.releases ?? [], deployment })
  const image = rollout.release?.spec.image ?? webspace.spec.image ?? runtime.spec.image
  const claimed = domainClaimed(inputs, domainPolicy(config.pagesDomain, customer))
  const routed = claimed.status === 'True'
  const rendered = renderWebspace(webspace, runtime, customer, config, { routed, image })
  // An issuer the customer may not use (stored before the admission policy): it runs and stays
  // routed, without a Certificate, as a StaticSite does.
  const issuerProblem = rendered.some((o) => o.kind === 'Certificate')
    ? issuerNotAllowed(webspace.spec.tls.clusterIssuer, customer, config)
    : undefined
  const allowed = issuerProblem ? rendered.filter((o) => o.kind !== 'Certificate') : rendered
  const order = orderOf(
    { kind: 'Webspace', metadata: webspace.metadata },
    allowed,
    inputs.certificate,
    customer,
    now,
  )
  const limited = order?.kind === 'limited' ? order : undefined
  // A suspended customer's previews go (production keeps its objects at 0 replicas).
  const previews = customer.spec.suspended
    ? []
    : previewsOf(webspace, inputs.releases ?? [], config.previewDomain, now)
  const objects = [
    ...(limited ? withoutNewOrder(allowed, inputs.certificate) : allowed),
    ...previews.flatMap((preview) => renderPreview(webspace, runtime, customer, config, preview)),
  ]
  // Due again when the certificate order may be placed or the first preview expires.
  const due = [limited?.retryAt, ...previews.map((p) => p.expires)]
    .filter((d): d is Date => d !== undefined)
    .sort((a, b) => a.getTime() - b.getTime())[0]
  const orders = order?.kind === 'record' ? { recordOrders: order.orders } : due ? { retryAt: due } : {}
  const domains = domainsOf(webspace, config.pagesDomain)
  const [domain] = domains
  const { tls } = webspace.spec
  const scheme = tls.mode === 'none' ? 'http' : 'https'
  // Its IngressRoute names the Secret in its own namespace directly: checked, not copied.
  const verdict =
    tls.mode === 'secret'
      ? tlsSecretVerdict({
          namespace: webspace.metadata.namespace ?? '',
          name: tls.secretName ?? '',
          read: inputs.tlsSecret ?? { kind: 'missing' },
          domains,
          now,
        })
      : undefined
  const certificate: DesiredCondition[] = limited
    ? [
        {
          type: CONDITION.CertificateReady,
          status: 'False',
          reason: REASON.CertificateRateLimited,
          message: limited.message,
        },
      ]
    : issuerProblem
      ? [
          {
            type: CONDITION.CertificateReady,
            status: 'False',
            reason: REASON.IssuerNotAllowed,
            message: issuerProblem,
          },
        ]
      : verdict
        ? [
            {
              type: CONDITION.CertificateReady,
              status: verdict.status,
              reason: verdict.reason,
              message: verdict.message,
            },
          ]
        : []
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
  const failing = [deployed, claimed, ...certificate, available].find((c) => c.status !== 'True')
  const ready: DesiredCondition = failing
    ? { ...failing, type: CONDITION.Ready }
    : {
        type: CONDITION.Ready,
        status: 'True',
        reason: REASON.Ready,
        message: `serving ${scheme}://${domain ?? ''}/`,
      }
  return {
    ...orders,
    objects,
    url: suspended || !routed ? undefined : `${scheme}://${domain ?? ''}/`,
    counts: countsOf(deployment),
    rollout: rollout.status,
    image,
    prune: rollout.prune,
    conditions: [deployed, claimed, ...certificate, available, progressing, ...rollout.conditions, ready],
  }
}
