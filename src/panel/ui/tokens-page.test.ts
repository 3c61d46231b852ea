import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Viewer } from './frame.js'
import { tokensPage } from './tokens-page.js'

const viewer: Viewer = {
  identity: { actor: { id: 'oidc:a', method: 'oidc', subject: 'a', admin: false }, actingAs: 'acme' },
  csrfToken: 'csrf-1',
  signOutPath: '/auth/logout',
}
const record = {
  id: '0123456789abcdef',
  customer: 'acme',
  description: 'CI <deploys>',
  createdAt: '2026-12-06T20:00:00Z',
}

describe('the API token page', () => {
  it('shows a new token on the page that made it, and lists tokens by what they are for, escaped', () => {
    const page = tokensPage(viewer, {
      tokens: [record],
      created: { token: 'hpt_0123456789abcdef_secret', record },
    }).value
    assert.match(page, /value="hpt_0123456789abcdef_secret"/)
    assert.match(page, /shown this once/)
    assert.match(page, /CI &lt;deploys&gt;/)
    assert.match(page, /href="\/tokens\/0123456789abcdef\/revoke"/)
  })

  it('never shows a token otherwise', () =>
    assert.doesNotMatch(tokensPage(viewer, { tokens: [record] }).value, /hpt_|id="token"/))
})
