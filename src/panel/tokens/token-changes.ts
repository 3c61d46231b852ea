/**
 * Creating and revoking a customer's API token, each recorded in the audit log: the panel's
 * routes and `hostplane panel-token` change tokens only through these, so a token an auditor
 * cannot find in the log was not made by either.
 */
import type { AuditTrail } from '../audit/audit-log.js'
import type { Identity } from '../identity.js'
import { isTokenId } from './token.js'
import type { TokenRecord, TokenStore } from './token-store.js'

/** The entry names the new token by its id: its description is the customer's text and stays out. */
export const createToken = (
  audit: AuditTrail,
  caller: Identity,
  tokens: TokenStore,
  customer: string,
  description: string,
): Promise<{ token: string; record: TokenRecord }> =>
  audit.record(
    caller,
    { action: 'token.create', object: { kind: 'ApiToken' } },
    () => tokens.create(customer, description),
    ({ record }) => record.id,
  )

export function revokeToken(
  audit: AuditTrail,
  caller: Identity,
  tokens: TokenStore,
  customer: string,
  id: string,
): Promise<void> {
  // Only a token id is named: a whole token pasted as the id must not reach the log.
  const object = { kind: 'ApiToken', ...(isTokenId(id) ? { name: id } : {}) }
  return audit.record(caller, { action: 'token.revoke', object }, () => tokens.revoke(customer, id))
}
