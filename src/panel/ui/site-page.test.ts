import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Condition } from '../../api/conditions.js'
import type { StaticSite } from '../../api/resources.js'
import { siteView } from '../views.js'
import { customerViewer } from './fixtures.js'
import { sitePage } from './site-page.js'
import { sitesPage } from './sites-page.js'

const viewer = customerViewer

const served = 'a'.repeat(40)
const older = 'b'.repeat(40)
const condition = (type: string, status: Condition['status'], message = ''): Condition => ({
  type,
  status,
  reason: 'R',
  message,
  lastTransitionTime: '2026-12-06T20:00:00Z',
})

const site = (name: string, conditions: Condition[] = []) =>
  siteView({
    apiVersion: 'hostplane.dev/v1alpha1',
    kind: 'StaticSite',
    metadata: { name, generation: 1, resourceVersion: '7' },
    spec: {
      repo: 'https://git.example.com/<x>.git',
      ref: 'main',
      path: '/',
      syncInterval: '5m',
      tls: { mode: 'auto' },
    },
    status: {
      url: 'javascript:alert(1)',
      lastCommit: served,
      lastSync: '2026-12-06T20:15:00Z',
      revisions: [
        { commit: served, publishedAt: '2026-12-06T20:15:00Z' },
        { commit: older, publishedAt: '2026-12-06T19:00:00Z' },
      ],
      conditions,
    },
  } as StaticSite)

describe('the StaticSite pages', () => {
  it('list each site with routing, certificate and last sync in words', () => {
    const page = sitesPage(viewer, [
      site('blog', [
        condition('Routed', 'True'),
        condition('CertificateReady', 'False', 'the ACME order failed'),
      ]),
    ]).value
    assert.match(page, /<a href="\/sites\/blog">blog<\/a>/)
    assert.match(page, /<span class="word ok">routed<\/span>/)
    assert.match(page, /<span class="word problem">the ACME order failed<\/span>/)
    assert.match(page, /<time datetime="2026-12-06T20:15:00.000Z"\s*>2026-12-06 20:15 UTC<\/time/)
    assert.doesNotMatch(page, /href="javascript:/, 'a status URL that is not http(s) is no link target')
  })

  it('say what to do when there is no site yet', () =>
    assert.match(sitesPage(viewer, []).value, /href="\/sites\/new"[\s\S]*No static sites yet/))

  it("offer a rollback to every kept revision but the served one, each a POST with the session's CSRF token", () => {
    const page = sitePage(viewer, site('blog')).value
    assert.match(page, /served now/)
    assert.equal(page.match(/action="\/sites\/blog\/rollback"/g)?.length, 1)
    assert.match(page, new RegExp(`name="commit" value="${older}"`))
    assert.match(page, new RegExp(`Roll back<span class="sr-only"> to ${older.slice(0, 12)}</span>`))
    assert.doesNotMatch(page, new RegExp(`value="${served}"`))
    assert.match(page, /action="\/sites\/blog\/sync"[\s\S]*name="_csrf" value="csrf-1"/)
    assert.match(page, /https:\/\/git.example.com\/&lt;x&gt;.git/)
  })
})
