/**
 * What a StaticSite should look like, decided from plain inputs: the objects to apply and the
 * conditions to report. The reconciler gathers the inputs (the site, its rivals for its domains,
 * the cached Certificate, whether its customer is suspended, the site's own TLS Secret) and
 * performs the writes; everything here is pure.
 */
import type { Customer } from '../../api/resources.js'
import { type DesiredCondition, findCondition } from '../../kube/conditions.js'
import type { KubeObject } from '../../kube/object.js'
import type { Refusal } from '../../kube/refusal.js'
import { refusalCondition } from '../refusals.js'
import type { OperatorConfig } from '../config.js'
import {
  type CertificateObject,
  certificateVerdict,
  type Issuance,
  NO_ISSUANCE,
} from './certificate-readiness.js'
import { CONDITION, REASON } from './conditions.js'
import { issuerNotAllowed } from '../customer/cluster-issuers.js'
import { type Claim, claimOf, createdAt } from '../../domains/claims.js'
import { type ClaimantEntry, decideDomains } from '../../domains/decide.js'
import { type DomainPolicy, domainPolicy } from '../../domains/site-domains.js'
import type { CertificateOrder } from '../../api/customer.js'
import { orderOf, withoutNewOrder } from '../certificate-rate.js'
import { customerDomainLimitExceeded } from '../domain-limit.js'
import { GENERATED } from './generated.js'
import { prefixOf, renderSite, renderTlsCopy, type TlsSource } from './render.js'
import { type TlsSecretRead, tlsSecretVerdict } from './tls-secret.js'
import type { StaticSite } from './site.js'

export interface SitePlan {
  readonly objects: readonly KubeObject[]
  /** Routed, DomainClaimed, CertificateReady, then Ready. */
  readonly conditions: readonly DesiredCondition[]
  readonly url?: string
  /** The plan reports `inputs.refusal`: apply nothing until its retry is due. */
  readonly refused?: boolean
  /** A new certificate order: record these in the Customer's status before writing anything. */
  readonly recordOrders?: readonly CertificateOrder[]
  /** The new certificate waits for the customer's hourly limit: reconcile again then. */
  readonly retryAt?: Date
}

export interface PlanInputs {
  readonly site: StaticSite
  readonly config: OperatorConfig
  /** Claims of other sites and webspaces sharing a domain with this one. */
  readonly rivals: readonly Claim[]
  /** Claims of the sites and webspaces of its namespace, for its customer's domain limit. @default none */
  readonly neighbours?: readonly Claim[]
  /**
   * The Customer owning the site's namespace, if any: the site may only use its domains, and
   * while it is suspended the site keeps only its Certificate.
   */
  readonly customer?: Customer
  /** The cached Certificate named by the site key, if any. */
  readonly certificate?: CertificateObject
  /** Its newest CertificateRequest, Orders and Challenges: why it is not ready. @default none */
  readonly issuance?: Issuance
  /** With `tls.mode: secret`: what reading the site's own TLS Secret found. @default missing */
  readonly tlsSecret?: TlsSecretRead
  /** The cached copy of that Secret in the system namespace, served while the Secret is invalid. */
  readonly tlsCopy?: KubeObject
  /** For the certificates' expiry. */
  readonly now: Date
  /** The API server refused the last apply of the site's objects (or its retry is not due yet). */
  readonly refusal?: Refusal
}

/** A refused write of a site's objects, all in the system namespace: a quota there is the platform's. */
export const siteRefusal = (refusal: Refusal) =>
  refusalCondition(refusal, {
    what: 'the site',
    quota:
      'the platform bounds the objects sites generate: remove sites you no longer need or ask the platform operator',
  })

/** The site as a claimant: claimed when it was created, for its pathPrefix. */
const claimant = (site: StaticSite): ClaimantEntry => ({
  kind: 'StaticSite',
  object: site,
  claimedAt: createdAt(site),
  pathPrefix: prefixOf(site),
})

/** The site's claim on its domains; undefined when it has no servable domain. */
export const siteClaim = (site: StaticSite, policy: DomainPolicy): Claim | undefined =>
  claimOf('StaticSite', site, policy, claimant(site))

const condition = (
  type: string,
  status: DesiredCondition['status'],
  reason: string,
  message: string,
): DesiredCondition => ({ type, status, reason, message })

/**
 * With `tls.mode: secret`, the site's own Secret checked, and the copy to serve: a fresh one of a
 * valid Secret, else the last valid copy (an invalid update or a deleted Secret does not take the
 * site's HTTPS down), else none.
 */
function ownSecret(
  site: StaticSite,
  config: OperatorConfig,
  tls: Extract<TlsSource, { kind: 'secret' }>,
  domains: readonly string[],
  { tlsSecret = { kind: 'missing' }, tlsCopy, now }: PlanInputs,
): { readonly condition: DesiredCondition; readonly copy?: KubeObject } {
  const namespace = site.metadata.namespace ?? ''
  const verdict = tlsSecretVerdict({ namespace, name: tls.source, read: tlsSecret, domains, now })
  const { status, reason, message } = verdict
  if (status === 'True' && tlsSecret.kind === 'found')
    return {
      condition: condition(CONDITION.CertificateReady, status, reason, message),
      copy: renderTlsCopy(site, config, tlsSecret.secret),
    }
  const kept = tlsCopy ? '; the last valid copy is served until it is fixed' : ''
  return {
    condition: condition(CONDITION.CertificateReady, status, reason, `${message}${kept}`.slice(0, 1024)),
    copy: tlsCopy,
  }
}

function certificateCondition(
  tls: Exclude<TlsSource, { kind: 'secret' }>,
  { certificate, issuance = NO_ISSUANCE, now }: PlanInputs,
): DesiredCondition {
  const type = CONDITION.CertificateReady
  switch (tls.kind) {
    case 'none':
      return condition(
        type,
        'True',
        REASON.TlsDisabled,
        'tls.mode is none: the site is served over HTTP only',
      )
    case 'wildcard':
      return condition(
        type,
        'True',
        REASON.WildcardCertificate,
        `served with the platform's wildcard certificate (Secret ${tls.secretName})`,
      )
    case 'certificate': {
      const { status, reason, message } = certificateVerdict(tls.name, certificate, issuance, now)
      return condition(type, status, reason, message)
    }
  }
}

/**
 * Ready summarises the operator's conditions and the syncer's Synced (a routed site without
 * content is not ready). When False it carries the reason of the first failing condition, the
 * one to act on: the domain first, then the route, then the certificate, then the content.
 */
function readyCondition(own: readonly DesiredCondition[], site: StaticSite): DesiredCondition {
  const order: readonly string[] = [CONDITION.DomainClaimed, CONDITION.Routed, CONDITION.CertificateReady]
  const failing = own
    .filter((c) => c.status !== 'True')
    .sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type))[0]
  if (failing)
    return condition(CONDITION.Ready, 'False', failing.reason, `${failing.type}: ${failing.message}`)
  const synced = findCondition(site.status?.conditions, CONDITION.Synced)
  if (!synced)
    return condition(
      CONDITION.Ready,
      'False',
      REASON.WaitingForSync,
      'routed; waiting for the syncer to publish the repository',
    )
  if (synced.status !== 'True')
    return condition(CONDITION.Ready, 'False', REASON.NotSynced, `Synced: ${synced.message}`)
  return condition(CONDITION.Ready, 'True', REASON.Ready, 'the site is published and routed')
}

const NO_CERTIFICATE = condition(
  CONDITION.CertificateReady,
  'Unknown',
  REASON.NoRoute,
  'no certificate is requested while the site has no route',
)

const withReady = (own: DesiredCondition[], site: StaticSite) => [...own, readyCondition(own, site)]

export function planSite(inputs: PlanInputs): SitePlan {
  const { site, config, rivals, customer } = inputs
  const policy = domainPolicy(config.pagesDomain, customer)
  const domains = decideDomains(claimant(site), policy, rivals)
  const overLimit =
    domains.held && customerDomainLimitExceeded(siteClaim(site, policy), inputs.neighbours ?? [], customer)
  if (overLimit)
    return {
      objects: [],
      conditions: withReady(
        [
          condition(CONDITION.Routed, 'False', REASON.DomainQuotaExceeded, overLimit),
          condition(CONDITION.DomainClaimed, 'False', REASON.DomainQuotaExceeded, overLimit),
          NO_CERTIFICATE,
        ],
        site,
      ),
    }
  if (!domains.held)
    return {
      objects: [],
      conditions: withReady(
        [
          domains.refused
            ? condition(CONDITION.Routed, 'False', domains.reason, domains.message)
            : condition(CONDITION.Routed, 'False', REASON.DomainNotClaimed, `not routed: ${domains.message}`),
          condition(CONDITION.DomainClaimed, 'False', domains.reason, domains.message),
          NO_CERTIFICATE,
        ],
        site,
      ),
    }
  const rendered = renderSite(site, config, domains.domains)
  const { tls } = rendered
  // An issuer the customer may not use (stored before the admission policy): route, no Certificate.
  const issuerProblem =
    tls.kind === 'certificate' ? issuerNotAllowed(site.spec.tls.clusterIssuer, customer, config) : undefined
  const { condition: tlsReady, copy } =
    tls.kind === 'secret'
      ? ownSecret(site, config, tls, domains.domains, inputs)
      : {
          condition: issuerProblem
            ? condition(CONDITION.CertificateReady, 'False', REASON.IssuerNotAllowed, issuerProblem)
            : certificateCondition(tls, inputs),
          copy: undefined,
        }
  const allowed = issuerProblem
    ? rendered.objects.filter((o) => o.kind !== GENERATED.Certificate.kind)
    : rendered.objects
  const order = orderOf(
    { kind: 'StaticSite', metadata: site.metadata },
    allowed,
    inputs.certificate,
    customer,
    inputs.now,
  )
  const limited = order?.kind === 'limited' ? order : undefined
  const ordered = limited ? withoutNewOrder(allowed, inputs.certificate) : allowed
  const certificateReady = limited
    ? condition(CONDITION.CertificateReady, 'False', REASON.CertificateRateLimited, limited.message)
    : tlsReady
  const orders =
    order?.kind === 'record' ? { recordOrders: order.orders } : limited ? { retryAt: limited.retryAt } : {}
  // The copy first: applied before the route that names it.
  const objects = copy ? [copy, ...ordered] : ordered
  const held = condition(
    CONDITION.DomainClaimed,
    'True',
    REASON.DomainClaimed,
    `this site holds ${domains.domains.join(', ')}${prefixOf(site) ? ` under ${prefixOf(site)}` : ''}`.slice(
      0,
      1024,
    ),
  )
  // The site keeps its domain claim and Certificate (or TLS copy), so resuming routes it at once
  // without a new issuance.
  if (customer?.spec.suspended)
    return {
      ...orders,
      objects: objects.filter(
        (o) => o.kind === GENERATED.Certificate.kind || o.kind === GENERATED.Secret.kind,
      ),
      conditions: withReady(
        [
          condition(
            CONDITION.Routed,
            'False',
            REASON.CustomerSuspended,
            `customer ${customer.metadata.name} is suspended: the site has no route until spec.suspended is false again`,
          ),
          held,
          certificateReady,
        ],
        site,
      ),
    }
  if (inputs.refusal) {
    const { reason, message } = siteRefusal(inputs.refusal)
    return {
      objects,
      refused: true,
      conditions: withReady(
        [condition(CONDITION.Routed, 'False', reason, message), held, certificateReady],
        site,
      ),
    }
  }
  return {
    ...orders,
    objects,
    url: rendered.url,
    conditions: withReady(
      [
        condition(CONDITION.Routed, 'True', REASON.RouteApplied, `routed at ${rendered.url}`),
        held,
        certificateReady,
      ],
      site,
    ),
  }
}
