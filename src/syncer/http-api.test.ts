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

/** Own webhook secrets of some sites, by key. */
const SITE_SECRETS: Record<string, string> = { 'team/blog': 'blog-secret', 'other/site': 'other-secret' }

/** A site list that records what was triggered. */
function target(): SyncTarget & { triggered: string[] } {
  const triggered: string[] = []
  return {
    triggered,
    sites: () => SITES,
    webhookSecret: (key) => Promise.resolve(SITE_SECRETS[key]),
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

  describe('a site’s own hook', () => {
    const hook = (app: Awaited<ReturnType<typeof api>>, url: string, headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', ...headers },
        payload: push,
      })
    const github = (secret: string) => ({
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(push).digest('hex')}`,
    })

    it('syncs the site when the delivery is signed with its own secret, in any forge’s scheme or as a bearer token', async () => {
      const t = target()
      const app = await api(t)
      const signedHeaders: Record<string, string>[] = [
        github('blog-secret'),
        { 'x-gitea-signature': createHmac('sha256', 'blog-secret').update(push).digest('hex') },
        { 'x-gitlab-token': 'blog-secret' },
        { authorization: 'Bearer blog-secret' },
      ]
      for (const headers of signedHeaders) {
        const answer = await hook(app, '/hooks/sites/team/blog', headers)
        assert.equal(answer.statusCode, 202)
        assert.deepEqual(answer.json(), { queued: 'team/blog' })
      }
      assert.deepEqual(t.triggered, ['team/blog', 'team/blog', 'team/blog', 'team/blog'])
    })

    it('refuses another site’s secret, a platform secret, a missing signature, an unknown site and a site without a webhook alike', async () => {
      const t = target()
      const app = await api(t)
      const refusals: [string, Record<string, string>][] = [
        ['/hooks/sites/team/blog', github('other-secret')],
        ['/hooks/sites/team/blog', { 'x-gitlab-token': 'gitlab-token' }],
        ['/hooks/sites/team/blog', { authorization: 'Bearer sync-token' }],
        ['/hooks/sites/team/blog', {}],
        ['/hooks/sites/team/nope', github('blog-secret')],
        ['/hooks/sites/team/docs', github('blog-secret')],
      ]
      const answers = await Promise.all(refusals.map(([url, headers]) => hook(app, url, headers)))
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        refusals.map(() => 401),
      )
      assert.equal(new Set(answers.map((a) => a.body)).size, 1, 'every refusal reads the same')
      assert.deepEqual(t.triggered, [])
    })

    it('refuses bodies over 1 MiB with 413', async () => {
      const app = await api(target())
      const answer = await app.inject({
        method: 'POST',
        url: '/hooks/sites/team/blog',
        headers: { 'content-type': 'application/json', authorization: 'Bearer blog-secret' },
        payload: 'x'.repeat(MAX_WEBHOOK_BYTES + 1),
      })
      assert.equal(answer.statusCode, 413)
    })
  })
})
