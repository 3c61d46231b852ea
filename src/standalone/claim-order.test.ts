import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { StaticSite } from '../api/resources.js'
import { ClaimOrder } from './claim-order.js'
import type { FileSite } from './site-files.js'

const entry = (file: string, name: string, options: { document?: number } = {}) =>
  ({
    file,
    document: options.document ?? 1,
    site: {
      apiVersion: 'hostplane.dev/v1alpha1',
      kind: 'StaticSite',
      metadata: { name, namespace: 'default' },
      spec: {
        repo: 'https://repos.localhost/x',
        ref: 'main',
        path: '/',
        syncInterval: '5m',
        tls: { mode: 'auto' },
      },
    } as StaticSite,
  }) satisfies FileSite

const names = (sites: readonly FileSite[]) => sites.map((s) => `${s.site.metadata.name}@${s.file}`)

describe('ClaimOrder', () => {
  it('gives the sites of one scan one claim time, ordered by file name then document, and a later scan a later time', () => {
    const order = new ClaimOrder()
    const first = order.arrange([
      entry('z.yaml', 'last-file'),
      entry('m.yaml', 'second-doc', { document: 2 }),
      entry('m.yaml', 'first-doc'),
    ])
    assert.deepEqual(names(first.sites), ['first-doc@m.yaml', 'second-doc@m.yaml', 'last-file@z.yaml'])
    assert.deepEqual(
      first.sites.map((s) => s.claimedAt),
      [0, 0, 0],
    )
    const later = order.arrange([...first.sites, entry('a.yaml', 'newcomer')])
    assert.deepEqual(
      later.sites.map((s) => `${s.site.metadata.name}@${s.claimedAt}`),
      ['first-doc@0', 'second-doc@0', 'last-file@0', 'newcomer@1'],
    )
  })

  it('keeps the first claimer first, with its claim time, when the file of a later site would sort before it (a touched or renamed file moves nothing)', () => {
    const order = new ClaimOrder()
    order.arrange([entry('b.yaml', 'owner')])
    const later = order.arrange([entry('renamed-b.yaml', 'owner'), entry('a.yaml', 'newcomer')])
    assert.deepEqual(
      later.sites.map((s) => `${s.site.metadata.name}@${s.file}@${s.claimedAt}`),
      ['owner@renamed-b.yaml@0', 'newcomer@a.yaml@1'],
    )
  })

  it('uses the file that defined a site first, and says which file holds it to the other', () => {
    const order = new ClaimOrder()
    order.arrange([entry('b.yaml', 'blog')])
    const arranged = order.arrange([entry('a.yaml', 'blog'), entry('b.yaml', 'blog')])
    assert.deepEqual(names(arranged.sites), ['blog@b.yaml'])
    assert.deepEqual(arranged.problems, [
      'a.yaml: StaticSite default/blog is already defined in b.yaml; this one is ignored',
    ])
  })

  it('lets the next site take over when the first one is no longer defined, and puts a returning site last', () => {
    const order = new ClaimOrder()
    order.arrange([entry('a.yaml', 'first'), entry('b.yaml', 'second')])
    assert.deepEqual(names(order.arrange([entry('b.yaml', 'second')]).sites), ['second@b.yaml'])
    assert.deepEqual(names(order.arrange([entry('a.yaml', 'first'), entry('b.yaml', 'second')]).sites), [
      'second@b.yaml',
      'first@a.yaml',
    ])
  })

  it('keeps the place of a site while its file cannot be read, so fixing the file gives its claims back', () => {
    const order = new ClaimOrder()
    order.arrange([entry('a.yaml', 'first'), entry('b.yaml', 'second')])
    assert.deepEqual(names(order.arrange([entry('b.yaml', 'second')], new Set(['a.yaml'])).sites), [
      'second@b.yaml',
    ])
    assert.deepEqual(names(order.arrange([entry('a.yaml', 'first'), entry('b.yaml', 'second')]).sites), [
      'first@a.yaml',
      'second@b.yaml',
    ])
  })
})
