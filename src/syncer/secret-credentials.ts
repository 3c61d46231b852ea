/**
 * Reads a site's Secrets — git credentials (`spec.secretRef`) and its webhook secret
 * (`spec.webhook.secretRef`) — in the site's own namespace only. The syncer may read Secrets only
 * where the platform operator granted it (see docs/syncer.md); a refusal becomes a message saying
 * so, never a crash or a retry storm.
 */
import type { KubeRest } from '../kube/rest.js'
import { KubeApiError } from '../kube/rest.js'
import { credentialsFromSecret, type GitCredentials } from './git-credentials.js'
import { SyncError } from './sync-error.js'

export async function readSecretCredentials(
  rest: KubeRest,
  namespace: string,
  name: string,
): Promise<GitCredentials> {
  return credentialsFromSecret(name, await readSecretData(rest, namespace, name))
}

/** The decoded data of a Secret in a site's namespace; a missing or forbidden one is a SyncError. */
export async function readSecretData(
  rest: KubeRest,
  namespace: string,
  name: string,
): Promise<Record<string, string>> {
  let secret: { data?: Record<string, string> }
  try {
    secret = await rest.request(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
    )
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404)
      throw new SyncError(
        'HP_ERR_SYNC_CREDENTIALS',
        `credentials unavailable: Secret ${name} does not exist in namespace ${namespace}`,
      )
    if (error instanceof KubeApiError && error.status === 403)
      throw new SyncError(
        'HP_ERR_SYNC_CREDENTIALS',
        `credentials unavailable: the syncer may not read Secrets in namespace ${namespace}; bind the ClusterRole hostplane-syncer-secrets there (see docs/syncer.md)`,
      )
    throw error
  }
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value, 'base64').toString('utf8'),
    ]),
  )
}
