/**
 * What a StaticSite should look like, decided from plain inputs: the objects to apply and the
 * conditions to report. The reconciler gathers the inputs (the site, its rivals for its domains,
 * the cached Certificate, whether its customer is suspended) and performs the writes; everything
 * here is pure.
 */
import type { Customer } from '../../api/resources.js'
import { type DesiredCondition, findCondition } from '../../kube/conditions.js'
import type { KubeObject } from '../../kube/object.js'
import type { OperatorConfig } from '../config.js'
import {
  type CertificateObject,
  certificateVerdict,
  type Issuance,
  NO_ISSUANCE,
} from './certificate-readiness.js'
import { CONDITION, REASON } from './conditions.js'
import { type Claim, claimOf, createdAt } from '../../domains/claims.js'
import { type ClaimantEntry, decideDomains } from '../../domains/decide.js'
import { type DomainPolicy, domainPolicy } from '../../domains/site-domains.js'
import { GENERATED } from './generated.js'
import { prefixOf, renderSite, type TlsSource } from './render.js'
import type { StaticSite } from './site.js'

export interface SitePlan {
  readonly objects: readonly KubeObject[]
  /** Routed, DomainClaimed, CertificateReady, then Ready. */
  readonly conditions: readonly DesiredCondition[]
  readonly url?: string
}

export interface PlanInputs {
  readonly site: StaticSite
  readonly config: OperatorConfig
  /** Claims of other sites and webspaces sharing a domain with this one. */
  readonly rivals: readonly Claim[]
  /**
   * The Customer owning the site's namespace, if any: the site may only use its domains, and
   * while it is suspended the site keeps only its Certificate.
   */
  readonly customer?: Customer
  /** The cached Certificate named by the site key, if any. */
  readonly certificate?: CertificateObject
  /** Its newest CertificateRequest, Orders and Challenges: why it is not ready. @default none */
  readonly issuance?: Issuance
  /** For the Certificate's expiry. */
  readonly now: Date
}

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

function certificateCondition(
  tls: TlsSource,
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
    case 'secret':
      return condition(
        type,
        'True',
        REASON.ExistingSecret,
        `served with the TLS Secret ${tls.secretName} of the system namespace (tls.mode secret); keeping it valid is up to its owner`,
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
  const domains = decideDomains(claimant(site), domainPolicy(config.pagesDomain, customer), rivals)
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
  const held = condition(
    CONDITION.DomainClaimed,
    'True',
    REASON.DomainClaimed,
    `this site holds ${domains.domains.join(', ')}${prefixOf(site) ? ` under ${prefixOf(site)}` : ''}`.slice(
      0,
      1024,
    ),
  )
  // The site keeps its domain claim and Certificate, so resuming routes it at once without a new issuance.
  if (customer?.spec.suspended)
    return {
      objects: rendered.objects.filter((o) => o.kind === GENERATED.Certificate.kind),
      conditions: withReady(
        [
          condition(
            CONDITION.Routed,
            'False',
            REASON.CustomerSuspended,
            `customer ${customer.metadata.name} is suspended: the site has no route until spec.suspended is false again`,
          ),
          held,
          certificateCondition(rendered.tls, inputs),
        ],
        site,
      ),
    }
  return {
    objects: rendered.objects,
    url: rendered.url,
    conditions: withReady(
      [
        condition(CONDITION.Routed, 'True', REASON.RouteApplied, `routed at ${rendered.url}`),
        held,
        certificateCondition(rendered.tls, inputs),
      ],
      site,
    ),
  }
}
