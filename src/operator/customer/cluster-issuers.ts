/**
 * Which cert-manager ClusterIssuers a customer's StaticSites and Webspaces may name in
 * `tls.clusterIssuer`: the platform default, the platform-wide tenant issuers
 * (`--tenant-cluster-issuers`) and the Customer's own `spec.clusterIssuers`. Other issuers are
 * the platform's own. The admission policy (src/admission/issuer-policy.ts) refuses the rest when an object
 * is written; this rule reports objects stored before (`IssuerNotAllowed`). Outside customer
 * namespaces (the platform's own sites) every issuer is allowed. Pure.
 */
import type { Customer } from '../../api/resources.js'
import type { OperatorConfig } from '../config.js'

export type IssuerConfig = Pick<OperatorConfig, 'defaultIssuer' | 'tenantClusterIssuers'>

/** The issuers every customer may use, the default first. */
export const platformIssuers = ({ defaultIssuer, tenantClusterIssuers }: IssuerConfig): string[] => [
  ...new Set([defaultIssuer, ...tenantClusterIssuers]),
]

export const allowedIssuers = (config: IssuerConfig, customer: Customer): string[] => [
  ...new Set([...platformIssuers(config), ...(customer.spec.clusterIssuers ?? [])]),
]

/** Why `clusterIssuer` may not be used in `customer`'s namespace; undefined when it may. */
export function issuerNotAllowed(
  clusterIssuer: string | undefined,
  customer: Customer | undefined,
  config: IssuerConfig,
): string | undefined {
  if (clusterIssuer === undefined || customer === undefined) return undefined
  const allowed = allowedIssuers(config, customer)
  if (allowed.includes(clusterIssuer)) return undefined
  return `tls.clusterIssuer ${clusterIssuer} is not allowed for customer ${customer.metadata.name}: use one of ${allowed.join(', ')}, or leave it out for the platform default ${config.defaultIssuer} (ask the platform operator to add an issuer to the Customer's spec.clusterIssuers); no Certificate is requested until then`
}
