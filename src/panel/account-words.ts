/**
 * A customer's domains and quota in words, for the domains page and the dashboard: each domain a
 * site or webspace uses with its DomainClaimed condition and what to do when it is not claimed,
 * and each limit of the namespace's ResourceQuota as "3 of 10". Pure.
 */
import type { Condition } from '../api/conditions.js'
import { DOMAIN_REASON } from '../domains/reasons.js'
import { findCondition } from '../kube/conditions.js'
import { quantity } from '../api/quantity.js'
import { CONDITION, REASON } from '../operator/staticsite/conditions.js'
import { conditionWord, type StatusWord } from './status-words.js'

/** What the customer can do about each reason a domain is not claimed. */
const DOMAIN_FIXES: Readonly<Record<string, string>> = {
  [DOMAIN_REASON.DomainNotAllowed]:
    'use a domain under one of your allowed suffixes, or ask your provider to add this one to your account',
  [DOMAIN_REASON.DomainOwnedByOtherNamespace]:
    'another customer’s site or webspace holds this domain: pick another domain, or ask your provider if it is yours',
  [DOMAIN_REASON.PathPrefixTaken]:
    'another site on this domain already uses this path prefix: pick another pathPrefix',
  [DOMAIN_REASON.DomainRefused]:
    'this name under the pages domain is reserved: use your own domain, or no domains to get the default one',
  [DOMAIN_REASON.InvalidDefaultDomain]:
    'the default domain would be too long for a certificate: use a shorter name or set your own domains',
  [REASON.DomainQuotaExceeded]:
    'your account’s limit on domains is reached: remove a domain from another site or webspace, or ask for a larger tier',
  [REASON.CustomerSuspended]: 'your account is suspended: contact your provider',
}

export interface DomainClaimWord extends StatusWord {
  /** What to change, when the domain is not claimed for a reason the customer can act on. */
  readonly fix?: string
}

/** The DomainClaimed condition of a site or webspace in words, with what to fix. */
export function domainClaimWord(
  conditions: readonly Condition[] | undefined,
  generation: number | undefined,
): DomainClaimWord {
  const word = conditionWord(
    conditions,
    CONDITION.DomainClaimed,
    { ok: 'claimed', pending: 'claiming' },
    generation,
  )
  const fix =
    word.state === 'problem'
      ? DOMAIN_FIXES[findCondition(conditions, CONDITION.DomainClaimed)?.reason ?? '']
      : undefined
  return fix ? { ...word, fix } : word
}

/** The quota lines a customer reads, in this order; the rest counts what the operator generates. */
const QUOTA_LABELS: readonly (readonly [string, string])[] = [
  ['count/staticsites.hostplane.dev', 'static sites'],
  ['count/webspaces.hostplane.dev', 'webspaces'],
  ['count/databases.hostplane.dev', 'databases'],
  ['count/releases.hostplane.dev', 'releases'],
  ['count/sshkeys.hostplane.dev', 'SSH keys'],
  ['requests.cpu', 'CPU requested'],
  ['limits.cpu', 'CPU limit'],
  ['requests.memory', 'memory requested'],
  ['limits.memory', 'memory limit'],
  ['requests.storage', 'storage'],
  ['pods', 'pods'],
  ['secrets', 'secrets'],
  ['configmaps', 'config maps'],
  ['services', 'services'],
]

export interface QuotaLine {
  /** The ResourceQuota key, e.g. `count/staticsites.hostplane.dev`. */
  readonly resource: string
  readonly label: string
  readonly used: string
  readonly hard: string
  /** The share used, 0–100 (rounded down), for a meter. */
  readonly percent: number
  /** `ok` below 80 %, `pending` from 80 %, `problem` at the limit. */
  readonly state: StatusWord['state']
  readonly text: string
}

interface QuotaStatus {
  readonly hard?: Readonly<Record<string, string>>
  readonly used?: Readonly<Record<string, string>>
}

/** The customer's limits (`status.hard`) against what it uses (`status.used`), in words and numbers. */
export function quotaLines(status: QuotaStatus | undefined): QuotaLine[] {
  const hardOf = status?.hard ?? {}
  const usedOf = status?.used ?? {}
  return QUOTA_LABELS.flatMap(([resource, label]) => {
    const hard = hardOf[resource]
    if (hard === undefined) return []
    const used = usedOf[resource] ?? '0'
    const limit = quantity(hard)
    const share = limit > 0 ? quantity(used) / limit : 1
    const percent = Number.isFinite(share) ? Math.min(100, Math.floor(share * 100)) : 0
    const state = share >= 1 ? 'problem' : share >= 0.8 ? 'pending' : 'ok'
    const full = state === 'problem' ? ': the limit is reached' : ''
    return [{ resource, label, used, hard, percent, state, text: `${label}: ${used} of ${hard}${full}` }]
  })
}
