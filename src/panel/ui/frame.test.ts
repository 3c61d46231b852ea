import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { customerPage, type Viewer } from './frame.js'
import { html } from './html.js'
import { assetPath } from './page.js'

const viewer = (email: string): Viewer => ({
  identity: { actor: { id: 'oidc:a', method: 'oidc', subject: 'a', admin: false, email }, actingAs: 'acme' },
  csrfToken: 'csrf-1',
  signOutPath: '/auth/logout',
})

describe("the cluster panel's frame", () => {
  it('marks the current section, names who is signed in (escaped) and signs out with a CSRF-carrying POST', () => {
    const page = customerPage(viewer('<b>@x.test'), {
      title: 'Static sites',
      section: 'sites',
      body: '',
    }).value
    assert.match(page, /<a href="\/sites"\s+aria-current="page"\s*>Static sites<\/a/)
    assert.equal(page.match(/aria-current/g)?.length, 1)
    assert.match(page, /&lt;b&gt;@x.test <span class="muted">\(acme\)<\/span>/)
    assert.match(
      page,
      /<form class="inline" method="post" action="\/auth\/logout">\s*<input type="hidden" name="_csrf" value="csrf-1" \/>/,
    )
    assert.doesNotMatch(page, /<script/, 'no script unless the page names one')
    assert.doesNotMatch(page, /class="banner"/)
  })

  it("puts the viewer's banner above the header and loads only the process's own scripts, at their hashed paths", () => {
    const script = { name: 'x', type: 'js', content: 'void 0' } as const
    const page = customerPage(
      { ...viewer('a@x.test'), banner: html`Acting as <b>acme</b>` },
      { title: 'T', body: '', scripts: [script] },
    ).value
    assert.match(page, /<header>\s*<div class="banner">Acting as <b>acme<\/b><\/div>/)
    assert.match(page, new RegExp(`<script src="${assetPath(script)}" defer></script>`))
    assert.match(assetPath(script), /^\/assets\/x-[0-9a-f]{12}\.js$/)
  })
})
