import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { href, html } from './html.js'

describe('html: values, never markup', () => {
  const evil = `"><script>alert(1)</script><a href='x'>&`

  it('escapes text in element content and in quoted attributes', () => {
    const page = html`<p title="${evil}">${evil}</p>`.value
    assert.equal(
      page,
      '<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&#39;x&#39;&gt;&amp;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&#39;x&#39;&gt;&amp;</p>',
    )
    assert.doesNotMatch(page, /<script>/)
  })

  it('inserts html values as they are, joins lists and leaves nothing for false, null and undefined', () => {
    const items = ['a<b', 'c'].map((item) => html`<li>${item}</li>`)
    // prettier-ignore
    assert.equal(html`<ul>${items}</ul>${false}${null}${undefined}${0}`.value, '<ul><li>a&lt;b</li><li>c</li></ul>0')
  })

  it('lets only paths of this site and http(s) URLs be link targets', () => {
    assert.equal(href('/panel/sites/a'), '/panel/sites/a')
    assert.equal(href('https://docs.example.com/x'), 'https://docs.example.com/x')
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', '//evil.example', 'JaVaScRiPt:x', ' /x'])
      assert.equal(href(bad), '#', bad)
  })
})
