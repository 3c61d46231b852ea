/**
 * Who a verified ID token names, as the panel sees it: the provider's subject, the Customer the
 * account belongs to, and whether it is a provider admin. Decided once from the validated claims
 * and stored in the session; nothing the browser sends later can change it (STYLE 13).
 */
import { MAX_CUSTOMER_NAME } from '../../api/customer.js'
import { DNS_LABEL } from '../../api/schema-kit.js'

export interface SignInIdentity {
  /** The provider's `sub`, stable per account. */
  readonly subject: string
  readonly email?: string
  /** The Customer (metadata.name) the account acts as; absent for an admin of no customer. */
  readonly customer?: string
  readonly admin: boolean
}

export interface ClaimMapping {
  /**
   * Claim whose string value names the Customer. @default hostplane_customer
   */
  readonly customerClaim?: string
  /**
   * When set, a value `<prefix><customer>` of the groups claim names the Customer too (for
   * providers that only pass groups, e.g. `hostplane-customer-`).
   */
  readonly customerGroupPrefix?: string
  /** Claim holding the account's groups (a string or a list of strings). @default groups */
  readonly groupsClaim?: string
  /** A value of the groups claim that makes the account a provider admin; unset: nobody is. */
  readonly adminGroup?: string
}

export type ClaimDecision =
  | { readonly identity: SignInIdentity; readonly refusal?: undefined }
  | { readonly identity?: undefined; readonly refusal: string }

const customerName = new RegExp(DNS_LABEL)
const isCustomerName = (value: string) => value.length <= MAX_CUSTOMER_NAME && customerName.test(value)

const strings = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v) => typeof v === 'string') : []

/**
 * The identity the claims of a validated ID token name, or why they name none: no customer and no
 * admin group, several different customers, or a customer value that is no Customer name.
 */
export function identityFromClaims(
  claims: Readonly<Record<string, unknown>>,
  mapping: ClaimMapping,
): ClaimDecision {
  const {
    customerClaim = 'hostplane_customer',
    customerGroupPrefix,
    groupsClaim = 'groups',
    adminGroup,
  } = mapping
  const subject = claims.sub
  if (typeof subject !== 'string' || subject === '') return { refusal: 'the ID token has no subject' }
  const groups = strings(claims[groupsClaim])
  const fromGroups = customerGroupPrefix
    ? groups.filter((g) => g.startsWith(customerGroupPrefix)).map((g) => g.slice(customerGroupPrefix.length))
    : []
  const named = [...new Set([...strings(claims[customerClaim]), ...fromGroups])]
  const invalid = named.find((name) => !isCustomerName(name))
  if (invalid !== undefined)
    return { refusal: `the customer claim ${JSON.stringify(invalid)} is not a Customer name` }
  if (named.length > 1) return { refusal: `the account names several customers (${named.join(', ')})` }
  const admin = adminGroup !== undefined && groups.includes(adminGroup)
  const [customer] = named
  if (customer === undefined && !admin)
    return { refusal: `the ID token names no customer (claim ${customerClaim}) and no admin group` }
  const email = typeof claims.email === 'string' ? claims.email : undefined
  return {
    identity: {
      subject,
      ...(email !== undefined ? { email } : {}),
      ...(customer !== undefined ? { customer } : {}),
      admin,
    },
  }
}
