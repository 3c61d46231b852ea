import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { siteKey } from '../../api/site-key.js'
import type { KubeObject } from '../../kube/object.js'
import {
  certificateName,
  httpRouteName,
  middlewareName,
  routeName,
  SITE_LABEL,
  siteKeyOf,
  tlsCopyName,
  tlsSecretName,
} from './generated.js'

/** How Traefik's Kubernetes CRD provider names a Middleware (provider.Normalize of `<namespace>-<name>`). */
const traefikId = (namespace: string, name: string) =>
  `${namespace}-${name}`
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .join('-')

const object = (kind: string, name: string, label?: string): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name, namespace: 'hostplane-system', ...(label ? { labels: { [SITE_LABEL]: label } } : {}) },
})

describe('generated object names', () => {
  it('are pinned: route, http, purpose with a hash, and the Certificate and Secret by the site key', () => {
    const key = 'team-a--blog'
    assert.equal(routeName(key), 'route-47ff5c5af54e3cd8.team-a--blog')
    assert.equal(httpRouteName(key), 'http-47ff5c5af54e3cd8.team-a--blog')
    assert.equal(middlewareName(key, 'prefix'), 'prefix-47ff5c5af54e3cd8.team-a--blog')
    assert.equal(certificateName(key), 'team-a--blog')
    assert.equal(tlsSecretName(key), 'team-a--blog-tls')
    // The admission policy lets the operator write only Secrets named tls-* in the system namespace.
    assert.equal(tlsCopyName(key), 'tls-47ff5c5af54e3cd8.team-a--blog')
    assert.equal(siteKeyOf(object('Secret', tlsCopyName(key))), key)
  })

  it('give sites whose keys Traefik would read alike different routes and Middlewares in Traefik', () => {
    const alike: [string, string][][] = [
      [
        ['team-a', 'blog'],
        ['team', 'a-blog'],
      ],
      [
        ['sh-a', 'x-blog'],
        ['sh-a-x', 'blog'],
      ],
      [
        ['ns', 'www.x'],
        ['ns', 'www-x'],
      ],
    ]
    for (const sites of alike) {
      const ids = sites.flatMap(([ns, name]) =>
        [routeName, httpRouteName, (key: string) => middlewareName(key, 'prefix')].map((nameOf) =>
          traefikId('hostplane-system', nameOf(siteKey(ns, name))),
        ),
      )
      assert.equal(new Set(ids).size, sites.length * 3, ids.join(' = '))
    }
  })
})

describe('siteKeyOf', () => {
  it('is the site a name is made for, whatever the label says', () => {
    assert.equal(siteKeyOf(object('IngressRoute', httpRouteName('ns--x'), 'ns--x-http')), 'ns--x')
    assert.equal(siteKeyOf(object('Middleware', middlewareName('ns--x', 'prefix'), 'ns--y')), 'ns--x')
    assert.equal(siteKeyOf(object('Certificate', 'ns--x', 'ns--y')), 'ns--x')
  })

  it('is the label for names of earlier operators (<key>-<part>, the route as the bare key), so their site deletes them', () => {
    assert.equal(siteKeyOf(object('IngressRoute', 'ns--x-http', 'ns--x')), 'ns--x')
    assert.equal(siteKeyOf(object('IngressRoute', 'ns--x', 'ns--x')), 'ns--x')
    assert.equal(siteKeyOf(object('Middleware', 'ns--www.x.test-prefix', 'ns--www.x.test')), 'ns--www.x.test')
  })

  it('is undefined for an object of no site', () => {
    assert.equal(siteKeyOf(object('Middleware', 'something')), undefined)
  })
})
