/** A GitHub push delivery, signed as GitHub signs it, for the syncer's webhook endpoint. */
import { createHmac } from 'node:crypto'

export function sendGithubPush(
  syncerUrl: string,
  secret: string,
  cloneUrl: string,
  ref = 'refs/heads/main',
): Promise<Response> {
  const body = JSON.stringify({ ref, repository: { clone_url: cloneUrl } })
  return fetch(`${syncerUrl}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
    body,
    signal: AbortSignal.timeout(10_000),
  })
}
