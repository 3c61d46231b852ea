/**
 * Who the API server takes a client for (a SelfSubjectReview): the user and groups it authorizes
 * and audits, impersonation applied — what the panel shows a customer and what
 * `hostplane panel-token` records itself as.
 */
import type { KubeRest } from './rest.js'

export interface UserInfo {
  readonly username: string
  readonly groups: readonly string[]
  readonly extra?: Readonly<Record<string, readonly string[]>>
}

interface SelfSubjectReview {
  status?: { userInfo?: Partial<UserInfo> }
}

export async function selfSubjectReview(rest: KubeRest): Promise<UserInfo> {
  const review = await rest.request<SelfSubjectReview>(
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
  )
  const { username = '', groups = [], extra } = review.status?.userInfo ?? {}
  return { username, groups, ...(extra ? { extra } : {}) }
}
