/**
 * May this identity run this git service on this repository? A pure table of rules over plain
 * inputs (STYLE 13): the SSH transport gathers the identity (bound at the verified signature and
 * looked up again now), the parsed command and the repository the index holds, and acts on the
 * answer. A repository that does not exist and one of another customer get the same answer, so
 * the refusal does not tell who has which webspace.
 */
import type { Size, Tier } from '../api/customer.js'
import type { KeyOwner } from './claims.js'
import type { GitCommand } from './command.js'

export interface RepositoryEntry {
  readonly customer: string
  readonly namespace: string
  readonly webspace: string
  /** The Webspace's UID: the repository's directory name, never a client path. */
  readonly uid: string
  /** The branch the Webspace deploys. */
  readonly branch: string
  readonly suspended: boolean
  /** receive.maxInputSize for pushes, bytes. */
  readonly maxPushBytes: number
  /** The customer's tier and size: they give its builds' limits. */
  readonly tier: Tier
  readonly size: Size
}

export interface AccessInput {
  /** The identity bound at authentication. */
  readonly bound: KeyOwner
  /** Who owns the key now (undefined: the key was removed or lost its claim). */
  readonly current: KeyOwner | undefined
  readonly command: GitCommand
  readonly repository: RepositoryEntry | undefined
}

export type AccessDecision =
  | { readonly allowed: true; readonly repository: RepositoryEntry }
  | { readonly allowed: false; readonly message: string }

type Rule = (input: AccessInput) => string | undefined

const RULES: readonly Rule[] = [
  ({ bound, current }) =>
    current?.customer === bound.customer && current.key === bound.key
      ? undefined
      : 'this key is no longer registered; the session is closed',
  ({ command, repository, bound }) =>
    repository && repository.customer === bound.customer && repository.customer === command.customer
      ? undefined
      : `repository ${command.customer}/${command.webspace}.git not found`,
  ({ command, repository }) =>
    command.service === 'git-receive-pack' && repository?.suspended
      ? `customer ${command.customer} is suspended: pushes are refused`
      : undefined,
]

export function decideAccess(input: AccessInput): AccessDecision {
  const refusal = RULES.map((rule) => rule(input)).find((message) => message !== undefined)
  const { repository } = input
  if (refusal !== undefined || !repository) return { allowed: false, message: refusal ?? 'not found' }
  return { allowed: true, repository }
}
