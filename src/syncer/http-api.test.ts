import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, it } from 'node:test'
import Fastify from 'fastify'
import { MAX_WEBHOOK_BYTES, type SyncTarget, syncerHttpApi } from './http-api.js'

const SITES = [
  { key: 'team/blog', repo: 'https://git.example/team/blog.git', ref: 'main' },
  { key: 'team/docs', repo: 'git@git.example:team/blog.git', ref: 'main' },
  { key: 'other/site', repo: 'https://git.example/other/site.git', ref: 'main' },
]

/** A site list that records what was triggered. */
function target(): SyncTarget & { triggered: string[] } {
  const triggered: string[] = []
  return {
    triggered,
    sites: () => SITES,
    trigger: (key) => {
      if (!SITES.some((s) => s.key === key)) return false
      triggered.push(key)
      return true
    },
  }
}

async function api(t: SyncTarget) {
  const app = Fastify()
  await app.register(syncerHttpApi, {
    target: t,
    webhookSecrets: { gitea: 'gitea-secret', gitlab: 'gitlab-token' },
    syncToken: 'sync-token',
  })
  return app
}

const push = JSON.stringify({
  ref: 'refs/heads/main',
  repository: { clone_url: 'https://git.example/team/blog.git' },
})
const giteaSignature = (body: string) => createHmac('sha256', 'gitea-secret').update(body).digest('hex')

describe('the syncer HTTP API', () => {
  it('syncs every site of a signed Gitea push, whatever URL form the site uses', async () => {
    const t = target()
    const app = await api(t)
    const answer = await app.inject({
      method: 'POST',
      url: '/webhooks/gitea',
      headers: {
        'content-type': 'application/json',
        'x-gitea-event': 'push',
        'x-gitea-signature': giteaSignature(push),
      },
      payload: push,
    })
    assert.equal(answer.statusCode, 202)
    assert.deepEqual(answer.json(), { sites: 2 })
    assert.deepEqual(t.triggered, ['team/blog', 'team/docs'])
  })

  it('accepts a GitLab push with the token and refuses a wrong token without syncing', async () => {
    const t = target()
    const app = await api(t)
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      project: { git_http_url: 'https://git.example/other/site.git' },
    })
    const send = (token: string) =>
      app.inject({
        method: 'POST',
        url: '/webhooks/gitlab',
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': 'Push Hook',
          'x-gitlab-token': token,
        },
        payload: body,
      })
    assert.equal((await send('wrong')).statusCode, 401)
    assert.deepEqual(t.triggered, [])
    assert.equal((await send('gitlab-token')).statusCode, 202)
    assert.deepEqual(t.triggered, ['other/site'])
  })

  it('answers 404 for a forge without a configured secret and for an unknown forge', async () => {
    const app = await api(target())
    for (const forge of ['github', 'bitbucket'])
      assert.equal(
        (await app.inject({ method: 'POST', url: `/webhooks/${forge}`, payload: push })).statusCode,
        404,
      )
  })

  it('checks the signature before parsing: a signed non-JSON body is 400, an unsigned one 401', async () => {
    const app = await api(target())
    const send = (body: string, signature?: string) =>
      app.inject({
        method: 'POST',
        url: '/webhooks/gitea',
        headers: {
          'content-type': 'text/plain',
          'x-gitea-event': 'push',
          ...(signature ? { 'x-gitea-signature': signature } : {}),
        },
        payload: body,
      })
    assert.equal((await send('not json')).statusCode, 401)
    assert.equal((await send('not json', giteaSignature('not json'))).statusCode, 400)
  })

  it('refuses bodies over 1 MiB with 413', async () => {
    const app = await api(target())
    const body = 'x'.repeat(MAX_WEBHOOK_BYTES + 1)
    const answer = await app.inject({
      method: 'POST',
      url: '/webhooks/gitea',
      headers: { 'content-type': 'application/json', 'x-gitea-signature': giteaSignature(body) },
      payload: body,
    })
    assert.equal(answer.statusCode, 413)
  })

  it('syncs one site on POST /sync with the bearer token, 401 without, 404 for an unknown site', async () => {
    const t = target()
    const app = await api(t)
    const sync = (url: string, authorization?: string) =>
      app.inject({ method: 'POST', url, headers: authorization ? { authorization } : {} })
    assert.equal((await sync('/sync/team/blog')).statusCode, 401)
    assert.equal((await sync('/sync/team/blog', 'Bearer wrong')).statusCode, 401)
    assert.equal((await sync('/sync/team/nope', 'Bearer sync-token')).statusCode, 404)
    assert.equal((await sync('/sync/team/blog', 'Bearer sync-token')).statusCode, 202)
    assert.deepEqual(t.triggered, ['team/blog'])
  })
})
