import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseSiteFile } from './site-files.js'
import { SiteRefError, withSiteRef } from './site-ref.js'

const FILE = '/sites/blog.yaml'
const TEXT = `# The blog, published from its main branch.
apiVersion: hostplane.dev/v1alpha1
kind: StaticSite
metadata:
  name: blog # keep this name
spec:
  repo: https://git.example.com/acme/blog.git
  ref: main
---
apiVersion: hostplane.dev/v1alpha1
kind: StaticSite
metadata:
  name: docs
spec:
  repo: https://git.example.com/acme/docs.git
`
const entry = (document: number) => {
  const found = parseSiteFile(FILE, TEXT).sites.find((s) => s.document === document)
  return found ?? assert.fail(`no document ${document}`)
}
const COMMIT = '0123456789abcdef0123456789abcdef01234567'

describe('rolling a site of hostplane serve back by its file', () => {
  it('pins spec.ref of that document only, keeping comments and the other documents', () => {
    const next = withSiteRef(entry(1), TEXT, COMMIT)
    assert.match(next, /^# The blog, published from its main branch\./)
    assert.match(next, /name: blog # keep this name/)
    assert.match(next, new RegExp(`ref: ${COMMIT}`))
    const [blog, docs] = parseSiteFile(FILE, next).sites
    assert.equal(blog?.site.spec.ref, COMMIT)
    assert.equal(docs?.site.spec.ref, 'main', 'the other site keeps its default')
    assert.doesNotMatch(next.split('---')[1] ?? '', /ref:/)
  })

  it('adds spec.ref to a document that relied on the default', () => {
    const next = withSiteRef(entry(2), TEXT, COMMIT)
    assert.equal(parseSiteFile(FILE, next).sites[1]?.site.spec.ref, COMMIT)
  })

  it('follows a branch again', () => {
    const pinned = withSiteRef(entry(1), TEXT, COMMIT)
    assert.equal(
      parseSiteFile(FILE, withSiteRef(entry(1), pinned, 'release/2.x')).sites[0]?.site.spec.ref,
      'release/2.x',
    )
  })

  it('refuses a ref the schema refuses, and a file whose document no longer holds the site, writing nothing', () => {
    assert.throws(
      () => withSiteRef(entry(1), TEXT, '../../etc'),
      (e) => e instanceof SiteRefError && /ref must be/.test(e.message),
    )
    assert.throws(() => withSiteRef(entry(1), TEXT, '-x'), SiteRefError)
    assert.throws(
      () => withSiteRef(entry(2), TEXT.split('---')[0] ?? '', COMMIT),
      (e) => e instanceof SiteRefError && /changed since it was read/.test(e.message),
    )
    const renamed = TEXT.replace('name: blog', 'name: journal')
    assert.throws(() => withSiteRef(entry(1), renamed, COMMIT), /no longer defines StaticSite default\/blog/)
  })
})
