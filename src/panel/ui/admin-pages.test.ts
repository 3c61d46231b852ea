import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Identity } from '../identity.js'
import type { CustomerView } from '../schemas.js'
import { byAdmin, doing, entry } from '../audit/fixtures.js'
import { actingBanner } from './admin-frame.js'
import { auditPage, auditSearchOf } from './audit-page.js'
import { customerPage, customersPage } from './customer-pages.js'
import type { Viewer } from './frame.js'

const root: Identity['actor'] = {
  id: 'oidc:root',
  method: 'oidc',
  subject: 'root',
  admin: true,
  email: 'root@provider.test',
}
const admin = (actingAs?: string): Viewer => ({
  identity: actingAs === undefined ? { actor: root } : { actor: root, actingAs },
  csrfToken: 'csrf-1',
  signOutPath: '/auth/logout',
})

const customer = (name: string, change: Partial<CustomerView['spec']> = {}): CustomerView => ({
  name,
  resourceVersion: '42',
  namespace: `sh-${name}`,
  spec: {
    displayName: `<i>${name}</i>`,
    email: `ops@${name}.example`,
    tier: 'shared',
    size: 'small',
    suspended: false,
    ...change,
  },
  status: {
    ready: { state: 'ok', text: 'ready' },
    provisioned: { state: 'ok', text: 'namespace provisioned' },
    suspended: change.suspended
      ? { state: 'problem', text: 'suspended: every site and webspace is offline' }
      : { state: 'ok', text: 'not suspended' },
  },
})

describe('the admin pages', () => {
  it('an admin acting as a customer gets a banner naming it, with a CSRF-carrying form that stops it', () => {
    const banner =
      actingBanner({ actor: root, actingAs: 'acme' }, 'csrf-1')?.value ?? assert.fail('no banner')
    assert.match(banner, /Acting as customer <strong>acme<\/strong>/)
    assert.match(
      banner,
      /<form class="inline" method="post" action="\/admin\/act-as\/stop">\s*<input type="hidden" name="_csrf" value="csrf-1" \/>/,
    )
    assert.match(banner, /Stop acting as acme/)
  })

  it('no banner for an admin acting as no customer, nor for a customer on its own account', () => {
    assert.equal(actingBanner({ actor: root }, 'c'), undefined)
    const alice = {
      id: 'oidc:alice',
      method: 'oidc',
      subject: 'alice',
      admin: false,
      customer: 'acme',
    } as const
    assert.equal(actingBanner({ actor: alice, actingAs: 'acme' }, 'c'), undefined)
  })

  it('lists each Customer (escaped) with its state in words and an Act as button naming it', () => {
    const page = customersPage(admin(), [customer('acme'), customer('globex')]).value
    assert.match(page, /<a href="\/admin\/customers\/acme">acme<\/a>/)
    assert.match(page, /&lt;i&gt;acme&lt;\/i&gt;/)
    assert.doesNotMatch(page, /<i>acme/)
    assert.match(
      page,
      /<input type="hidden" name="customer" value="globex" \/>[\s\S]*?Act as<span class="sr-only"> globex<\/span>/,
    )
    assert.match(page, /<span class="word ok">not suspended<\/span>/)
  })

  it('a Customer’s page offers Suspend, or Bring back online once suspended, with the resourceVersion in its tier form', () => {
    const active = customerPage(admin(), customer('acme')).value
    assert.match(active, /name="suspended" value="true"[\s\S]*?class="danger"[\s\S]*?Suspend/)
    assert.match(active, /name="resourceVersion" value="42"/)
    const suspended = customerPage(admin(), customer('acme', { suspended: true })).value
    assert.match(suspended, /name="suspended" value="false"[\s\S]*?Bring back online/)
  })

  const searches: [string, Record<string, string>, object, string[]][] = [
    ['empty fields are no filter', { actor: '', action: '', since: ' ' }, { limit: 50 }, []],
    [
      'filters as given, times normalised',
      { actor: 'root@provider.test', outcome: 'refused', since: '2026-12-06T12:00:00+01:00' },
      { limit: 50, actor: 'root@provider.test', outcome: 'refused', since: '2026-12-06T11:00:00.000Z' },
      [],
    ],
    [
      'what is not a filter is said, not searched by',
      { action: 'format-disk', until: 'yesterday', cursor: '../etc' },
      { limit: 50 },
      ['action format-disk is not one of', 'until yesterday is not a time'],
    ],
  ]
  for (const [what, raw, query, problems] of searches)
    it(`reads the audit page's search: ${what}`, () => {
      const search = auditSearchOf(raw)
      assert.deepEqual(search.query, query)
      assert.deepEqual(
        search.problems.map((p) => problems.find((start) => p.startsWith(start)) ?? p),
        problems,
      )
    })

  it('the audit page shows each entry, export links and the next page with the same filters', () => {
    const search = auditSearchOf({ customer: 'acme', action: 'act-as.start' })
    const shown = entry(3, byAdmin('root'), doing('act-as.start', { kind: 'Customer', name: 'acme' }))
    const page = auditPage(admin(), search, { items: [shown], next: shown.id }).value
    assert.match(page, /root@provider\.test <span class="muted">\(admin\)<\/span>/)
    assert.match(page, /act-as\.start/)
    assert.match(page, /Customer acme/)
    assert.match(
      page,
      /href="\/api\/v1\/admin\/audit\/export\?customer=acme&amp;action=act-as\.start&amp;format=csv"/,
    )
    assert.match(page, /format=jsonl"/)
    assert.match(
      page,
      new RegExp(`href="/admin/audit\\?customer=acme&amp;action=act-as\\.start&amp;cursor=${shown.id}"`),
    )
    assert.match(page, /<option value="act-as\.start" selected>/)
  })
})
