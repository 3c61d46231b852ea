import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { KubeObject } from '../../kube/object.js'
import { config, site, withPathPrefix, withTls } from './fixtures.js'
import { httpRouteName, middlewareName, routeName, tlsCopyName } from './generated.js'
import { renderSite } from './render.js'
import type { StaticSite } from './site.js'

const KEY = 'team-a--blog'

type Route = { match: string; middlewares: { name: string }[]; services: unknown[] }
const spec = (object: KubeObject | undefined) => (object as unknown as { spec: Record<string, unknown> }).spec
const find = (objects: readonly KubeObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name)
const routesOf = (objects: readonly KubeObject[]) =>
  spec(objects.find((o) => o.kind === 'IngressRoute')).routes as Route[]

const withRules = (rules: Partial<StaticSite['spec']>) => (s: StaticSite) => {
  Object.assign(s.spec, rules)
}

describe('renderSite', () => {
  it('routes the canonical domain through addPrefix /<site key> to nginx, with a Certificate for all domains', () => {
    const { objects, url, tls } = renderSite(site(), config(), ['blog.test', 'www.blog.test'])
    assert.equal(url, 'https://blog.test/')
    assert.deepEqual(tls, { kind: 'certificate', name: 'team-a--blog' })
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      [
        'Certificate/team-a--blog',
        `Middleware/${middlewareName(KEY, 'prefix')}`,
        `Middleware/${middlewareName(KEY, 'canonical')}`,
        `IngressRoute/${routeName(KEY)}`,
        `IngressRoute/${httpRouteName(KEY)}`,
      ],
    )
    assert.deepEqual(spec(find(objects, 'Middleware', middlewareName(KEY, 'prefix'))), {
      addPrefix: { prefix: '/team-a--blog' },
    })
    assert.deepEqual(spec(find(objects, 'Certificate', 'team-a--blog')), {
      secretName: 'team-a--blog-tls',
      dnsNames: ['blog.test', 'www.blog.test'],
      issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt' },
    })
    const route = spec(find(objects, 'IngressRoute', routeName(KEY)))
    assert.deepEqual(route.entryPoints, ['websecure'])
    assert.deepEqual(route.tls, { secretName: 'team-a--blog-tls' })
    assert.deepEqual(
      (route.routes as Route[]).map((r) => [r.match, r.middlewares.map((m) => m.name)]),
      [
        ['Host(`blog.test`)', [middlewareName(KEY, 'prefix')]],
        ['Host(`www.blog.test`)', [middlewareName(KEY, 'canonical')]],
      ],
    )
  })

  it('answers plain HTTP of a TLS site with a 301 to the canonical https URL, from a second IngressRoute on the plain entry points', () => {
    const { objects } = renderSite(site(withPathPrefix('/docs')), config(), ['a.test', 'www.a.test'])
    assert.deepEqual(spec(find(objects, 'IngressRoute', httpRouteName(KEY))), {
      entryPoints: ['web'],
      routes: [
        {
          kind: 'Rule',
          match: '(Host(`a.test`) || Host(`www.a.test`)) && (Path(`/docs`) || PathPrefix(`/docs/`))',
          middlewares: [{ name: middlewareName(KEY, 'canonical') }],
          services: [{ kind: 'Service', name: 'hostplane-nginx', port: 80 }],
        },
      ],
    })
    assert.deepEqual(spec(find(objects, 'Middleware', middlewareName(KEY, 'canonical'))), {
      redirectRegex: { regex: '^https?://[^/?]+(.*)$', replacement: 'https://a.test${1}', permanent: true },
    })
    const single = renderSite(site(), config(), ['a.test']).objects
    assert.ok(find(single, 'IngressRoute', httpRouteName(KEY)), 'also for a site with one domain')
    const plain = renderSite(site(withTls({ mode: 'none' })), config(), ['a.test']).objects
    assert.deepEqual(
      plain.map((o) => `${o.kind}/${o.metadata.name}`),
      [`Middleware/${middlewareName(KEY, 'prefix')}`, `IngressRoute/${routeName(KEY)}`],
      'tls none: served on the plain entry points, nothing to redirect',
    )
  })

  it('labels every object with the site key and managed-by, and names the source in annotations', () => {
    for (const object of renderSite(site(), config(), ['blog.test']).objects) {
      assert.equal(object.metadata.namespace, 'hostplane-system')
      assert.deepEqual(object.metadata.labels, {
        'hostplane.dev/site': 'team-a--blog',
        'app.kubernetes.io/managed-by': 'hostplane',
      })
      assert.deepEqual(object.metadata.annotations, {
        'hostplane.dev/source-namespace': 'team-a',
        'hostplane.dev/source-name': 'blog',
      })
    }
  })

  it('redirects every other domain with a 301 to the canonical one, keeping path and query', () => {
    const canonical = spec(
      find(
        renderSite(site(), config(), ['a.test', 'b.test', 'c.test']).objects,
        'Middleware',
        middlewareName(KEY, 'canonical'),
      ),
    )
    assert.deepEqual(canonical, {
      redirectRegex: { regex: '^https?://[^/?]+(.*)$', replacement: 'https://a.test${1}', permanent: true },
    })
    assert.equal(
      routesOf(renderSite(site(), config(), ['a.test', 'b.test', 'c.test']).objects)[1]?.match,
      '(Host(`b.test`) || Host(`c.test`))',
    )
  })

  it('serves a pathPrefix exactly (not /docsearch) and strips it before addPrefix', () => {
    const { objects, url } = renderSite(site(withPathPrefix('/docs/')), config(), ['a.test'])
    assert.equal(url, 'https://a.test/docs/')
    const [route] = routesOf(objects)
    assert.equal(route?.match, 'Host(`a.test`) && (Path(`/docs`) || PathPrefix(`/docs/`))')
    assert.deepEqual(
      route?.middlewares.map((m) => m.name),
      [middlewareName(KEY, 'slash'), middlewareName(KEY, 'strip'), middlewareName(KEY, 'prefix')],
    )
    assert.deepEqual(spec(find(objects, 'Middleware', middlewareName(KEY, 'strip'))), {
      stripPrefix: { prefixes: ['/docs'] },
    })
  })

  it('redirects the bare pathPrefix to itself with a slash, relatively and with the query, before stripping it', () => {
    const { objects } = renderSite(site(withPathPrefix('/guides/v2')), config(), ['a.test'])
    const { redirectRegex } = spec(find(objects, 'Middleware', middlewareName(KEY, 'slash'))) as {
      redirectRegex: { regex: string; replacement: string; permanent: boolean }
    }
    assert.deepEqual(redirectRegex, {
      regex: '^https?://[^/?]+/guides/v2(\\?.*)?$',
      replacement: './v2/${1}',
      permanent: true,
    })
    // What Traefik's redirectRegex does with it (Go's RE2 and JavaScript agree on this pattern).
    const regex = new RegExp(redirectRegex.regex)
    const redirect = (url: string) => url.replace(regex, redirectRegex.replacement.replace('${1}', '$1'))
    assert.equal(redirect('https://a.test/guides/v2'), './v2/')
    assert.equal(redirect('https://a.test/guides/v2?tab=1'), './v2/?tab=1')
    assert.ok(!regex.test('https://a.test/guides/v2/'), 'the root with its slash is served')
    assert.ok(!regex.test('https://a.test/guides/v2x'))
  })

  it('applies headers by path prefix: a route per path with every rule whose path is a prefix of it', () => {
    const { objects } = renderSite(
      site(
        withRules({
          headers: [
            { path: '/', set: { 'X-Frame-Options': 'DENY' } },
            { path: '/assets', set: { 'Cache-Control': 'max-age=31536000' } },
          ],
        }),
      ),
      config(),
      ['a.test'],
    )
    assert.deepEqual(
      routesOf(objects).map((r) => [r.match, r.middlewares.map((m) => m.name)]),
      [
        [
          'Host(`a.test`) && PathPrefix(`/assets`)',
          [middlewareName(KEY, 'headers-0'), middlewareName(KEY, 'headers-1'), middlewareName(KEY, 'prefix')],
        ],
        ['Host(`a.test`)', [middlewareName(KEY, 'headers-0'), middlewareName(KEY, 'prefix')]],
      ],
    )
    assert.deepEqual(spec(find(objects, 'Middleware', middlewareName(KEY, 'headers-1'))), {
      headers: { customResponseHeaders: { 'Cache-Control': 'max-age=31536000' } },
    })
  })

  it('turns redirect rules into ordered regex redirects, with :splat, escaped literals, path targets kept relative and the status as permanent or not', () => {
    const { objects } = renderSite(
      site(
        withPathPrefix('/p'),
        withRules({
          redirects: [
            { from: '/old/*', to: '/new/:splat', status: 301 },
            { from: '/a.html', to: 'https://elsewhere.test/$x', status: 302 },
          ],
        }),
      ),
      config(),
      ['a.test'],
    )
    assert.deepEqual(spec(find(objects, 'Middleware', middlewareName(KEY, 'redirect-0'))), {
      redirectRegex: {
        regex: '^https?://[^/?]+/p/old/([^?]*)(?:\\?.*)?$',
        replacement: '/p/new/${1}',
        permanent: true,
      },
    })
    assert.deepEqual(spec(find(objects, 'Middleware', middlewareName(KEY, 'redirect-1'))), {
      redirectRegex: {
        regex: '^https?://[^/?]+/p/a\\.html(?:\\?.*)?$',
        replacement: 'https://elsewhere.test/$$x',
        permanent: false,
      },
    })
    assert.deepEqual(
      routesOf(objects)[0]
        ?.middlewares.map((m) => m.name)
        .slice(1, 3),
      [middlewareName(KEY, 'redirect-0'), middlewareName(KEY, 'redirect-1')],
    )
  })

  const tlsCases: {
    name: string
    tls: StaticSite['spec']['tls']
    cfg?: Parameters<typeof config>[0]
    domains: string[]
    secret?: string
    certificate: boolean
    entryPoint: string
  }[] = [
    {
      name: 'tls auto with an issuer from the spec',
      tls: { mode: 'auto', clusterIssuer: 'own' },
      domains: ['a.test'],
      secret: 'team-a--blog-tls',
      certificate: true,
      entryPoint: 'websecure',
    },
    {
      name: 'tls secret routes with the copy of the named Secret in the system namespace, and no Certificate',
      tls: { mode: 'secret', secretName: 'mine' },
      domains: ['a.test'],
      secret: tlsCopyName('team-a--blog'),
      certificate: false,
      entryPoint: 'websecure',
    },
    {
      name: 'tls none serves plain HTTP on the HTTP entry points',
      tls: { mode: 'none' },
      domains: ['a.test'],
      certificate: false,
      entryPoint: 'web',
    },
    {
      name: 'wildcard mode covers a default domain with the shared Secret',
      tls: { mode: 'auto' },
      cfg: { tls: { mode: 'wildcard', secretName: 'wild' } },
      domains: ['blog-team-a.pages.test'],
      secret: 'wild',
      certificate: false,
      entryPoint: 'websecure',
    },
    {
      name: 'wildcard mode still issues a Certificate when a custom domain is listed',
      tls: { mode: 'auto' },
      cfg: { tls: { mode: 'wildcard', secretName: 'wild' } },
      domains: ['blog-team-a.pages.test', 'a.test'],
      secret: 'team-a--blog-tls',
      certificate: true,
      entryPoint: 'websecure',
    },
  ]
  for (const c of tlsCases) {
    it(c.name, () => {
      const { objects } = renderSite(site(withTls(c.tls)), config(c.cfg), c.domains)
      const route = spec(objects.find((o) => o.kind === 'IngressRoute'))
      assert.deepEqual(route.tls, c.secret ? { secretName: c.secret } : undefined)
      assert.deepEqual(route.entryPoints, [c.entryPoint])
      assert.equal(
        objects.some((o) => o.kind === 'Certificate'),
        c.certificate,
      )
    })
  }

  it('routes a site with the SPA fallback through /_spa/<site key>, which nginx answers with index.html', () => {
    const { objects } = renderSite(site(withRules({ fallback: 'index' })), config(), ['a.test'])
    assert.deepEqual(spec(find(objects, 'Middleware', middlewareName(KEY, 'prefix'))), {
      addPrefix: { prefix: '/_spa/team-a--blog' },
    })
  })

  it('serves a custom notFound page through the errors middleware, asking nginx for it under the site key', () => {
    const { objects } = renderSite(
      site(
        withPathPrefix('/docs'),
        withRules({
          notFound: '/errors/missing.html',
          fallback: 'index',
          headers: [{ path: '/', set: { 'X-Site': 'docs' } }],
        }),
      ),
      config(),
      ['a.test', 'www.a.test'],
    )
    assert.deepEqual(spec(find(objects, 'Middleware', middlewareName(KEY, 'not-found'))), {
      errors: {
        status: ['404'],
        service: { name: 'hostplane-nginx', port: 80 },
        query: '/team-a--blog/errors/missing.html',
      },
    })
    assert.deepEqual(
      routesOf(objects).map((r) => r.middlewares.map((m) => m.name)),
      [
        [
          middlewareName(KEY, 'slash'),
          middlewareName(KEY, 'headers-0'),
          middlewareName(KEY, 'not-found'),
          middlewareName(KEY, 'strip'),
          middlewareName(KEY, 'prefix'),
        ],
        [middlewareName(KEY, 'canonical')],
      ],
    )
  })

  it('leaves the default notFound page to nginx: no errors middleware', () => {
    for (const notFound of [undefined, '/404.html']) {
      const { objects } = renderSite(site(withRules({ notFound })), config(), ['a.test'])
      assert.equal(find(objects, 'Middleware', middlewareName(KEY, 'not-found')), undefined)
    }
  })

  it('is pure: the same input renders the same objects', () => {
    assert.deepEqual(renderSite(site(), config(), ['a.test']), renderSite(site(), config(), ['a.test']))
  })
})
