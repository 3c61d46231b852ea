import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { servedSite, type ServedSiteSpec } from './served-site.js'
import { type Decision, resolveInTree, routeRequest, type TreeProbe } from './serving-rules.js'
import { SiteRoutes } from './site-routes.js'

const site = (spec: ServedSiteSpec = {}) =>
  servedSite('ns--site', { domains: ['site.test', 'alias.test'], ...spec })
const get = (target: string, host = 'site.test', method = 'GET') => ({
  method,
  host,
  target,
  scheme: 'https' as const,
})

/** A tree from a list of paths; a path ending in '/' is a directory. */
const tree =
  (...paths: string[]): TreeProbe =>
  (path) =>
    paths.includes(path) ? 'file' : paths.includes(`${path}/`) ? 'directory' : undefined

function decide(target: string, probe: TreeProbe, spec?: ServedSiteSpec, host?: string): Decision {
  const routed = routeRequest(get(target, host), SiteRoutes.build([site(spec)]))
  return routed.kind === 'site' ? resolveInTree(routed.site, routed.sitePath, probe) : routed
}

const file = (path: string, status: 200 | 404 = 200): Decision => ({ kind: 'file', path, status })
const redirect = (status: 301 | 302, location: string): Decision => ({ kind: 'redirect', status, location })
const plain = (status: 400 | 404 | 405 | 414): Decision => ({ kind: 'status', status })

describe('the serving rules', () => {
  const site404 = tree(
    '/index.html',
    '/about.html',
    '/docs/',
    '/docs/index.html',
    '/404.html',
    '/assets/',
    '/a.b/',
  )
  const cases: [string, string, TreeProbe, Decision, ServedSiteSpec?, string?][] = [
    ['the root serves index.html', '/', site404, file('/index.html')],
    ['a clean URL serves the .html file', '/about', site404, file('/about.html')],
    ['a file is served under its own name', '/about.html', site404, file('/about.html')],
    [
      'a directory without slash redirects to ./name/ so no prefix leaks',
      '/docs',
      site404,
      redirect(301, './docs/'),
    ],
    ['the directory redirect keeps the query', '/docs?a=1', site404, redirect(301, './docs/?a=1')],
    ['the directory redirect re-encodes the segment', '/a.b', site404, redirect(301, './a.b/')],
    ['a directory with slash serves its index.html', '/docs/', site404, file('/docs/index.html')],
    ['a directory without index.html is the site 404', '/assets/', site404, file('/404.html', 404)],
    ['a missing page is the site 404 page', '/nope', site404, file('/404.html', 404)],
    ['a missing page without a 404 page is a plain 404', '/nope', tree('/index.html'), plain(404)],
    [
      'a hidden segment is the site 404 even when the file exists',
      '/.git/config',
      tree('/.git/config', '/404.html'),
      file('/404.html', 404),
    ],
    [
      'spec.notFound names the 404 page',
      '/nope',
      tree('/e/missing.html'),
      file('/e/missing.html', 404),
      { notFound: '/e/missing.html' },
    ],
    [
      'fallback index serves index.html for an extension-less path',
      '/app/settings',
      tree('/index.html'),
      file('/index.html'),
      { fallback: 'index' },
    ],
    [
      'fallback index leaves a missing asset a 404',
      '/app.js',
      tree('/index.html'),
      plain(404),
      { fallback: 'index' },
    ],
    [
      'fallback index never serves index.html for a hidden path',
      '/.env',
      tree('/index.html'),
      plain(404),
      { fallback: 'index' },
    ],
    [
      'a non-canonical domain redirects to the canonical one, keeping port, path and query',
      '/a?b=1',
      site404,
      redirect(301, 'https://site.test:8443/a?b=1'),
      {},
      'alias.test:8443',
    ],
    ['an unknown host is a plain 404', '/', site404, plain(404), {}, 'nobody.test'],
    [
      'an absolute-form target is routed by its authority, not the Host header',
      'http://site.test/about',
      site404,
      file('/about.html'),
      {},
      'nobody.test',
    ],
    [
      'an absolute-form target naming another host is not the Host header’s site',
      'http://nobody.test/about',
      site404,
      plain(404),
    ],
    [
      'an absolute-form target on a non-canonical domain redirects with its path and query only',
      'http://alias.test:8443/a?b=1',
      site404,
      redirect(301, 'https://site.test:8443/a?b=1'),
    ],
    ['an absolute-form target with user information is a 400', 'http://u@site.test/', site404, plain(400)],
    ['a path traversal is a 400', '/..%2fetc/passwd', site404, plain(400)],
    [
      'an exact redirect rule wins over an existing file',
      '/about',
      site404,
      redirect(302, '/elsewhere'),
      { redirects: [{ from: '/about', to: '/elsewhere', status: 302 }] },
    ],
    [
      'a wildcard redirect carries the rest, encoded',
      '/old/a%20b/c',
      site404,
      redirect(301, 'https://new.test/a%20b/c'),
      { redirects: [{ from: '/old/*', to: 'https://new.test/:splat', status: 301 }] },
    ],
    [
      'a redirect target path is under the pathPrefix',
      '/p/x',
      site404,
      redirect(301, '/p/y'),
      { pathPrefix: '/p', redirects: [{ from: '/x', to: '/y', status: 301 }] },
    ],
    [
      'the bare pathPrefix redirects to add its slash',
      '/p?q',
      site404,
      redirect(301, './p/?q'),
      { pathPrefix: '/p' },
    ],
    [
      'below the pathPrefix the site paths start at /',
      '/p/about',
      site404,
      file('/about.html'),
      { pathPrefix: '/p' },
    ],
  ]
  for (const [name, target, probe, expected, spec, host] of cases)
    it(name, () => assert.deepEqual(decide(target, probe, spec, host), expected))

  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH'])
    it(`answers ${method} with 405 before anything else`, () =>
      assert.deepEqual(routeRequest(get('/', 'site.test', method), SiteRoutes.build([site()])), plain(405)))

  it('answers a request without Host with 400', () =>
    assert.deepEqual(routeRequest({ ...get('/'), host: undefined }, SiteRoutes.build([site()])), plain(400)))
})
