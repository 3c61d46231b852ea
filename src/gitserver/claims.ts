/**
 * Who owns each public key, cluster-wide: one fingerprint, one identity. The oldest claim wins:
 * the Customers' `sshKeys` first (oldest Customer first, in list order), then SshKeys by
 * creation time, namespace and name, so a tenant can never take over a key another tenant (or
 * the platform admin) registered, however it names or re-creates its objects. Pure: gathered
 * inputs in, ownership and each SshKey's condition out.
 */
import type { DesiredCondition } from '../kube/conditions.js'
import { ACCEPTED, KEY_REASONS } from './conditions.js'
import { classifyKey } from './keys.js'

/** The identity a verified signature binds: whose key it is, and which entry registered it. */
export interface KeyOwner {
  readonly customer: string
  readonly fingerprint: string
  /** The SshKey's name, or `customer` for an entry of Customer.spec.sshKeys. */
  readonly key: string
}

export interface CustomerKeys {
  readonly name: string
  readonly namespace: string
  readonly createdAt: string
  readonly sshKeys: readonly string[]
}

export interface SshKeyClaim {
  readonly namespace: string
  readonly name: string
  readonly createdAt: string
  readonly publicKey: string
}

export interface SshKeyVerdict {
  readonly fingerprint?: string
  readonly condition: DesiredCondition
}

export interface KeyClaims {
  /** Fingerprint → owner, only keys that may authenticate. */
  readonly owners: ReadonlyMap<string, KeyOwner>
  /** `namespace/name` of each SshKey → what its status should say. */
  readonly sshKeys: ReadonlyMap<string, SshKeyVerdict>
  /** Customer keys that are not used, for the log: `customer`, the reason and the fingerprint. */
  readonly refusedCustomerKeys: readonly { customer: string; reason: string; message: string }[]
}

const byAge = (a: { createdAt: string }, b: { createdAt: string }) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const refused = (reason: string, message: string, fingerprint?: string): SshKeyVerdict => ({
  fingerprint,
  condition: { type: ACCEPTED, status: 'False', reason, message },
})

export function claimKeys(customers: readonly CustomerKeys[], sshKeys: readonly SshKeyClaim[]): KeyClaims {
  const owners = new Map<string, KeyOwner>()
  const refusedCustomerKeys: { customer: string; reason: string; message: string }[] = []
  const customerOf = new Map(customers.map((c) => [c.namespace, c.name]))

  for (const customer of [...customers].sort((a, b) => byAge(a, b) || compareText(a.name, b.name))) {
    for (const line of customer.sshKeys) {
      const verdict = classifyKey(line)
      if (!verdict.ok) {
        refusedCustomerKeys.push({
          customer: customer.name,
          reason: verdict.reason,
          message: verdict.message,
        })
        continue
      }
      const owner = owners.get(verdict.fingerprint)
      if (owner && owner.customer !== customer.name)
        refusedCustomerKeys.push({
          customer: customer.name,
          reason: KEY_REASONS.duplicate,
          message: `${verdict.fingerprint} is a key of an older Customer`,
        })
      if (!owner)
        owners.set(verdict.fingerprint, {
          customer: customer.name,
          fingerprint: verdict.fingerprint,
          key: 'customer',
        })
    }
  }

  const verdicts = new Map<string, SshKeyVerdict>()
  const ordered = [...sshKeys].sort(
    (a, b) => byAge(a, b) || compareText(a.namespace, b.namespace) || compareText(a.name, b.name),
  )
  for (const claim of ordered) {
    const id = `${claim.namespace}/${claim.name}`
    const verdict = classifyKey(claim.publicKey)
    const customer = customerOf.get(claim.namespace)
    if (!verdict.ok) {
      verdicts.set(id, refused(verdict.reason, verdict.message, verdict.fingerprint))
      continue
    }
    const { fingerprint } = verdict
    if (!customer) {
      verdicts.set(id, refused(KEY_REASONS.invalid, 'the namespace belongs to no Customer', fingerprint))
      continue
    }
    const owner = owners.get(fingerprint)
    if (owner) {
      const where =
        owner.customer !== customer
          ? 'by another customer'
          : owner.key === 'customer'
            ? "in this Customer's sshKeys"
            : `as SshKey ${owner.key}`
      verdicts.set(id, refused(KEY_REASONS.duplicate, `this key is already registered ${where}`, fingerprint))
      continue
    }
    owners.set(fingerprint, { customer, fingerprint, key: claim.name })
    verdicts.set(id, {
      fingerprint,
      condition: {
        type: ACCEPTED,
        status: 'True',
        reason: KEY_REASONS.accepted,
        message: `${verdict.type} key accepted for pushes to ${customer}'s repositories`,
      },
    })
  }
  return { owners, sshKeys: verdicts, refusedCustomerKeys }
}
