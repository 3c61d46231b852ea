/**
 * The shared request → response table: one list of rows run against the built-in server
 * (static-server.test.ts) and against Debian's nginx (nginx.test.ts). Each row says which layer
 * owns its rule in a cluster: `nginx` rows run against nginx too, with the request Traefik would
 * send after routing (path prefixed with `/<site key>`, or `/_spa/<site key>` for a site with the
 * SPA fallback, pathPrefix stripped, Host kept); `traefik` rows (canonical domain, pathPrefix,
 * redirects and headers rules, a custom notFound page) run, with the nginx rows, through real
 * Traefik in front of nginx (test/e2e/table.test.ts); `standalone` rows would have no cluster
 * counterpart (none at the moment). Every response of every row must carry each header once.
 */
import { gzipSync } from 'node:zlib'
import { versionValidators } from '../../src/serve/file-response.js'
import { servedSite, type ServedSite } from '../../src/serve/served-site.js'
import { FIXTURE_MTIME, type TreeEntry } from './published-tree.js'

export type Layer = 'nginx' | 'traefik' | 'standalone'

export interface Expected {
  /** One status, or the statuses either implementation may give (stated per row). */
  readonly status: number | readonly number[]
  readonly location?: string
  readonly bodyIncludes?: string
  readonly bodyExcludes?: string
  /** Exact header values; null: the header must be absent. */
  readonly headers?: Readonly<Record<string, string | null>>
}

export interface Row {
  readonly name: string
  readonly layer: Layer
  readonly site: keyof typeof SITES
  readonly method?: string
  /** Host header; the site's canonical domain unless given. */
  readonly host?: string
  /** Public path and query, sent byte for byte. */
  readonly path: string
  /**
   * Send the absolute form `http://<absoluteForm><path>` as the request target (which HTTP/1.1
   * servers must accept); the Host header is sent as well.
   */
  readonly absoluteForm?: string
  /** The client shuts down its sending side once the request is sent, and then reads the response. */
  readonly halfClose?: boolean
  readonly headers?: Readonly<Record<string, string>>
  readonly expect: Expected
  /**
   * What a visitor gets through Traefik where that differs from `expect` because Traefik handles
   * the request first (test/e2e/table.test.ts; each difference is explained in docs/serving.md).
   */
  readonly viaTraefik?: Expected
}

export const SITES = {
  blog: servedSite('team-a--blog', { domains: ['a.test', 'www.a.test'] }),
  guide: servedSite('team-b--guide', {
    domains: ['b.test'],
    pathPrefix: '/guide',
    redirects: [
      { from: '/old', to: '/new', status: 301 },
      { from: '/blog/*', to: 'https://blog.b.test/:splat', status: 302 },
    ],
    headers: [{ path: '/', set: { 'X-Site': 'guide', 'X-Frame-Options': 'DENY' } }],
  }),
  app: servedSite('team-c--app', {
    domains: ['c.test'],
    notFound: '/errors/missing.html',
    fallback: 'index',
  }),
  spa: servedSite('team-d--spa', { domains: ['d.test'], fallback: 'index' }),
} satisfies Record<string, ServedSite>

export const TREES: Readonly<Record<keyof typeof SITES, Readonly<Record<string, TreeEntry>>>> = {
  blog: {
    'index.html': '<h1>blog home</h1>',
    'about.html': '<h1>blog about</h1>',
    'docs/index.html': '<h1>blog docs</h1>',
    'docs/empty/': '',
    '404.html': '<h1>blog page not found</h1>',
    'page.html': '<h1>identity page</h1>',
    'page.html.br': 'BROTLI-ENCODED-PAGE',
    // Valid gzip (stored, uncompressed blocks), so the marker is readable both as sent and
    // after Traefik decompresses it for a client that sent no Accept-Encoding.
    'page.html.gz': gzipSync('GZIP-ENCODED-PAGE', { level: 0 }),
    'style.css': 'body { color: black }',
    // Long enough for nginx's on-the-fly gzip (gzip_min_length), which must leave a .br alone.
    'theme.css': `body { color: navy }${' '.repeat(300)}`,
    'theme.css.br': `BROTLI-ENCODED-THEME${'-'.repeat(300)}`,
    'half-closed.html': '<h1>for a half-closed client</h1>',
    'app.3f2a1b9c.js': 'console.log("fingerprinted")',
    'range.txt': '0123456789',
    '.git/config': '[core] secret-git-config',
    '.env': 'SECRET_ENV=1',
    'passwd-link': { symlink: '/etc/passwd' },
    'docs-link/': '',
    'docs-link/inner': { symlink: '../docs/index.html' },
  },
  guide: {
    'index.html': '<h1>guide home</h1>',
    'new.html': '<h1>guide new</h1>',
  },
  app: {
    'index.html': '<h1>app shell</h1>',
    'errors/missing.html': '<h1>app missing</h1>',
    '.env': 'SECRET_ENV=app',
  },
  spa: {
    'index.html': '<h1>spa shell</h1>',
    'about.html': '<h1>spa about</h1>',
    'assets/app.js': 'console.log("spa")',
    '404.html': '<h1>spa page not found</h1>',
    '.env': 'SECRET_ENV=spa',
    'passwd.txt': { symlink: '/etc/passwd' },
    'assets/about.js': { symlink: '../about.html' },
  },
}

const validators = (content: string) => versionValidators(FIXTURE_MTIME.getTime(), Buffer.byteLength(content))
const rangeTxt = validators('0123456789')
const HTML = 'text/html; charset=utf-8'
const BLOG_404 = 'blog page not found'

export const ROWS: readonly Row[] = [
  // Files, clean URLs and directories.
  {
    name: 'the site root serves index.html with the default security headers',
    layer: 'nginx',
    site: 'blog',
    path: '/',
    expect: {
      status: 200,
      bodyIncludes: 'blog home',
      headers: {
        'content-type': HTML,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'strict-origin-when-cross-origin',
        'cache-control': 'no-cache',
      },
    },
  },
  {
    name: 'a clean URL serves the .html file',
    layer: 'nginx',
    site: 'blog',
    path: '/about',
    expect: { status: 200, bodyIncludes: 'blog about' },
  },
  {
    name: 'the .html name itself is served too',
    layer: 'nginx',
    site: 'blog',
    path: '/about.html',
    expect: { status: 200, bodyIncludes: 'blog about' },
  },
  {
    name: 'a directory without its slash redirects relatively, so the public host and path stay and the site key never shows',
    layer: 'nginx',
    site: 'blog',
    path: '/docs',
    expect: { status: 301, location: './docs/' },
  },
  {
    name: 'the directory redirect keeps the query string',
    layer: 'nginx',
    site: 'blog',
    path: '/docs?tab=2',
    expect: { status: 301, location: './docs/?tab=2' },
  },
  {
    name: 'a page is addressed without a trailing slash: /about/ is a directory request and a 404',
    layer: 'nginx',
    site: 'blog',
    path: '/about/',
    expect: { status: 404, bodyIncludes: BLOG_404 },
  },
  {
    name: 'index.html may be named: /docs/index.html is served, not redirected',
    layer: 'nginx',
    site: 'blog',
    path: '/docs/index.html',
    expect: { status: 200, bodyIncludes: 'blog docs' },
  },
  {
    name: 'a directory with its slash serves its index.html',
    layer: 'nginx',
    site: 'blog',
    path: '/docs/',
    expect: { status: 200, bodyIncludes: 'blog docs' },
  },
  {
    name: 'a directory without index.html is the site 404, never a listing',
    layer: 'nginx',
    site: 'blog',
    path: '/docs/empty/',
    expect: { status: 404, bodyIncludes: BLOG_404 },
  },
  {
    name: 'a missing page gets the site 404.html with status 404',
    layer: 'nginx',
    site: 'blog',
    path: '/no-such-page',
    expect: { status: 404, bodyIncludes: BLOG_404 },
  },
  {
    name: 'a site without 404.html gets a plain 404',
    layer: 'nginx',
    site: 'guide',
    path: '/guide/no-such-page',
    expect: { status: 404, bodyIncludes: 'Not Found', bodyExcludes: 'blog' },
  },
  // Never served.
  {
    name: '/.git/config is the site 404, never the file',
    layer: 'nginx',
    site: 'blog',
    path: '/.git/config',
    expect: { status: 404, bodyIncludes: BLOG_404, bodyExcludes: 'secret' },
  },
  {
    name: 'a percent-encoded dot does not reach a dotfile',
    layer: 'nginx',
    site: 'blog',
    path: '/%2egit/config',
    expect: { status: 404, bodyExcludes: 'secret' },
  },
  {
    name: 'a dotfile at the root is not served',
    layer: 'nginx',
    site: 'blog',
    path: '/.env',
    expect: { status: 404, bodyExcludes: 'SECRET' },
  },
  {
    name: 'a leftover symlink to /etc/passwd inside the tree is not served',
    layer: 'nginx',
    site: 'blog',
    path: '/passwd-link',
    expect: { status: 404, bodyExcludes: 'root:' },
  },
  {
    name: 'a symlink to a file of the same tree is not followed either',
    layer: 'nginx',
    site: 'blog',
    path: '/docs-link/inner',
    expect: { status: 404, bodyExcludes: 'blog docs' },
  },
  // Hostile request lines and headers.
  {
    name: 'an encoded slash after .. is refused before the file system is touched',
    layer: 'nginx',
    site: 'blog',
    path: '/..%2f..%2f..%2fetc/passwd',
    expect: { status: 400, bodyExcludes: 'root:' },
  },
  {
    name: 'encoded dot-dot segments are refused',
    layer: 'nginx',
    site: 'blog',
    path: '/%2e%2e/%2e%2e/etc/passwd',
    expect: { status: 400, bodyExcludes: 'root:' },
    viaTraefik: { status: 404, bodyIncludes: BLOG_404, bodyExcludes: 'root:' },
  },
  {
    name: 'a raw .. segment is refused',
    layer: 'nginx',
    site: 'blog',
    path: '/docs/../about',
    expect: { status: 400 },
    viaTraefik: { status: 200, bodyIncludes: 'blog about' },
  },
  {
    name: 'an encoded NUL is refused',
    layer: 'nginx',
    site: 'blog',
    path: '/about%00.html',
    expect: { status: 400 },
  },
  {
    name: 'backslashes are refused',
    layer: 'nginx',
    site: 'blog',
    path: '/..\\..\\etc\\passwd',
    expect: { status: 400, bodyExcludes: 'root:' },
  },
  {
    name: 'oversized request headers are refused (nginx says 400, node 431)',
    layer: 'nginx',
    site: 'blog',
    path: '/',
    headers: { Cookie: `c=${'x'.repeat(40 * 1024)}` },
    expect: { status: [400, 431] },
  },
  {
    name: 'a request line longer than the path limit is 414',
    layer: 'nginx',
    site: 'blog',
    path: `/${'a'.repeat(12 * 1024)}`,
    expect: { status: 414 },
  },
  {
    name: 'a request line longer than the whole 16 KiB head limit is 414 too, not 431',
    layer: 'nginx',
    site: 'blog',
    path: `/${'a'.repeat(20 * 1024)}`,
    expect: { status: 414 },
  },
  // Request forms and connections every HTTP/1.1 server must handle.
  {
    name: 'an absolute-form request target is served, the site named by its authority, not by Host',
    layer: 'nginx',
    site: 'blog',
    absoluteForm: 'a.test',
    host: 'nobody.test',
    path: '/about',
    expect: { status: 200, bodyIncludes: 'blog about' },
  },
  {
    name: 'a client that half-closes its connection after the request still gets the response',
    layer: 'nginx',
    site: 'blog',
    halfClose: true,
    path: '/half-closed.html',
    expect: { status: 200, bodyIncludes: 'for a half-closed client' },
    // Go's server cancels the request when it reads the client's FIN (golang/go#18527), and
    // Traefik then answers 499 unless nginx's answer came first (traefik/traefik#2771).
    viaTraefik: { status: [200, 499] },
  },
  {
    name: 'POST is not allowed',
    layer: 'nginx',
    site: 'blog',
    method: 'POST',
    path: '/',
    expect: { status: 405 },
  },
  {
    name: 'DELETE is not allowed',
    layer: 'nginx',
    site: 'blog',
    method: 'DELETE',
    path: '/about',
    expect: { status: 405 },
  },
  // Encodings, caching, validators, ranges.
  {
    name: 'a .br file is served to a client that accepts br, with the type of the original',
    layer: 'nginx',
    site: 'blog',
    path: '/page.html',
    headers: { 'Accept-Encoding': 'gzip, deflate, br' },
    expect: {
      status: 200,
      bodyIncludes: 'BROTLI-ENCODED-PAGE',
      headers: { 'content-encoding': 'br', 'content-type': HTML, vary: 'Accept-Encoding' },
    },
  },
  {
    name: 'a .br file of a type nginx gzips on the fly is sent as it is, with one Content-Encoding and one Vary',
    layer: 'nginx',
    site: 'blog',
    path: '/theme.css',
    headers: { 'Accept-Encoding': 'gzip, br' },
    expect: {
      status: 200,
      bodyIncludes: 'BROTLI-ENCODED-THEME',
      headers: {
        'content-encoding': 'br',
        'content-type': 'text/css; charset=utf-8',
        vary: 'Accept-Encoding',
      },
    },
  },
  {
    name: 'a .gz file is served to a client that accepts only gzip',
    layer: 'nginx',
    site: 'blog',
    path: '/page.html',
    headers: { 'Accept-Encoding': 'gzip' },
    expect: {
      status: 200,
      bodyIncludes: 'GZIP-ENCODED-PAGE',
      headers: { 'content-encoding': 'gzip', 'content-type': HTML },
    },
  },
  {
    name: 'br;q=0 means no br',
    layer: 'nginx',
    site: 'blog',
    path: '/page.html',
    headers: { 'Accept-Encoding': 'br;q=0, gzip' },
    expect: { status: 200, bodyIncludes: 'GZIP-ENCODED-PAGE' },
  },
  {
    name: 'a client without Accept-Encoding gets the plain file',
    layer: 'nginx',
    site: 'blog',
    path: '/page.html',
    expect: { status: 200, bodyIncludes: 'identity page', headers: { 'content-encoding': null } },
    viaTraefik: { status: 200, bodyIncludes: 'GZIP-ENCODED-PAGE', headers: { 'content-encoding': null } },
  },
  {
    name: 'a fingerprinted asset is cached for a year as immutable',
    layer: 'nginx',
    site: 'blog',
    path: '/app.3f2a1b9c.js',
    expect: {
      status: 200,
      headers: {
        'cache-control': 'public, max-age=31536000, immutable',
        'content-type': 'text/javascript; charset=utf-8',
      },
    },
  },
  {
    name: 'a plain asset must be revalidated',
    layer: 'nginx',
    site: 'blog',
    path: '/style.css',
    expect: {
      status: 200,
      headers: { 'cache-control': 'no-cache', 'content-type': 'text/css; charset=utf-8' },
    },
  },
  {
    name: 'a file carries nginx-format ETag and Last-Modified',
    layer: 'nginx',
    site: 'blog',
    path: '/range.txt',
    expect: { status: 200, headers: { etag: rangeTxt.etag, 'last-modified': rangeTxt.lastModified } },
  },
  {
    name: 'If-None-Match with the current ETag is 304',
    layer: 'nginx',
    site: 'blog',
    path: '/range.txt',
    headers: { 'If-None-Match': rangeTxt.etag },
    expect: { status: 304 },
  },
  {
    name: 'If-Modified-Since at the Last-Modified time is 304',
    layer: 'nginx',
    site: 'blog',
    path: '/range.txt',
    headers: { 'If-Modified-Since': rangeTxt.lastModified },
    expect: { status: 304 },
  },
  {
    name: 'an older If-Modified-Since gets the file',
    layer: 'nginx',
    site: 'blog',
    path: '/range.txt',
    headers: { 'If-Modified-Since': 'Mon, 01 Jan 2024 00:00:00 GMT' },
    expect: { status: 200, bodyIncludes: '0123456789' },
  },
  {
    name: 'a single byte range is 206 with Content-Range',
    layer: 'nginx',
    site: 'blog',
    path: '/range.txt',
    headers: { Range: 'bytes=2-5' },
    expect: {
      status: 206,
      bodyIncludes: '2345',
      headers: { 'content-range': 'bytes 2-5/10', 'content-length': '4' },
    },
  },
  {
    name: 'a suffix range gives the last bytes',
    layer: 'nginx',
    site: 'blog',
    path: '/range.txt',
    headers: { Range: 'bytes=-3' },
    expect: { status: 206, bodyIncludes: '789', headers: { 'content-range': 'bytes 7-9/10' } },
  },
  {
    name: 'a range past the end is 416 with an empty body, each header sent once',
    layer: 'nginx',
    site: 'blog',
    path: '/range.txt',
    headers: { Range: 'bytes=20-' },
    expect: {
      status: 416,
      headers: { 'content-range': 'bytes */10', 'content-length': '0', 'x-content-type-options': 'nosniff' },
    },
  },
  {
    name: 'HEAD answers the headers of GET without a body',
    layer: 'nginx',
    site: 'blog',
    method: 'HEAD',
    path: '/about',
    expect: {
      status: 200,
      headers: { 'content-type': HTML, 'content-length': String('<h1>blog about</h1>'.length) },
    },
  },
  // Traefik's part in a cluster: domains, pathPrefix, redirects and headers rules.
  {
    name: 'a non-canonical domain redirects to the canonical one with path and query',
    layer: 'traefik',
    site: 'blog',
    host: 'www.a.test',
    path: '/about?x=1',
    expect: { status: 301, location: 'http://a.test/about?x=1' },
  },
  {
    name: 'an unknown host is a plain 404',
    layer: 'traefik',
    site: 'blog',
    host: 'nobody.test',
    path: '/',
    expect: { status: 404, bodyExcludes: 'blog' },
  },
  {
    name: 'the bare pathPrefix redirects to itself with a slash',
    layer: 'traefik',
    site: 'guide',
    path: '/guide',
    expect: { status: 301, location: './guide/' },
  },
  {
    name: 'the pathPrefix with its slash serves the site root, with the site header rules',
    layer: 'traefik',
    site: 'guide',
    path: '/guide/',
    expect: {
      status: 200,
      bodyIncludes: 'guide home',
      headers: { 'x-site': 'guide', 'x-frame-options': 'DENY' },
    },
  },
  {
    name: 'a path outside the pathPrefix is not the site',
    layer: 'traefik',
    site: 'guide',
    path: '/new',
    expect: { status: 404 },
  },
  {
    name: 'a redirect rule sends a site path to another, under the pathPrefix',
    layer: 'traefik',
    site: 'guide',
    path: '/guide/old',
    expect: { status: 301, location: '/guide/new' },
  },
  {
    name: 'a wildcard redirect rule carries the rest of the path into :splat',
    layer: 'traefik',
    site: 'guide',
    path: '/guide/blog/2024/post',
    expect: { status: 302, location: 'https://blog.b.test/2024/post' },
  },
  // A custom spec.notFound: Traefik's errors middleware in a cluster.
  {
    name: 'a missing file gets the spec.notFound page with status 404, even with the SPA fallback',
    layer: 'traefik',
    site: 'app',
    path: '/assets/missing.js',
    expect: { status: 404, bodyIncludes: 'app missing' },
  },
  {
    name: 'a hidden path gets the spec.notFound page with status 404, never the SPA fallback',
    layer: 'traefik',
    site: 'app',
    path: '/.env',
    expect: { status: 404, bodyIncludes: 'app missing', bodyExcludes: 'SECRET' },
  },
  // SPA fallback (spec.fallback: index): in a cluster Traefik adds /_spa/<site key> and nginx falls back.
  {
    name: 'with fallback index, an extension-less missing path gets index.html with 200',
    layer: 'nginx',
    site: 'app',
    path: '/settings/profile',
    expect: { status: 200, bodyIncludes: 'app shell' },
  },
  {
    name: 'an SPA route gets the app shell, to be revalidated like any page',
    layer: 'nginx',
    site: 'spa',
    path: '/settings/profile?tab=2',
    expect: {
      status: 200,
      bodyIncludes: 'spa shell',
      headers: { 'content-type': HTML, 'cache-control': 'no-cache' },
    },
  },
  {
    name: 'an SPA route with a trailing slash gets the app shell too',
    layer: 'nginx',
    site: 'spa',
    path: '/settings/',
    expect: { status: 200, bodyIncludes: 'spa shell' },
  },
  {
    name: 'an SPA site still serves its real pages and files',
    layer: 'nginx',
    site: 'spa',
    path: '/about',
    expect: { status: 200, bodyIncludes: 'spa about' },
  },
  {
    name: 'with fallback index, a page addressed with a trailing slash gets the app shell, not the page',
    layer: 'nginx',
    site: 'spa',
    path: '/about/',
    expect: { status: 200, bodyIncludes: 'spa shell' },
  },
  {
    name: 'a directory of an SPA site without its slash still redirects relatively, query kept',
    layer: 'nginx',
    site: 'spa',
    path: '/assets?v=1',
    expect: { status: 301, location: './assets/?v=1' },
  },
  {
    name: 'an SPA site still serves its assets',
    layer: 'nginx',
    site: 'spa',
    path: '/assets/app.js',
    expect: { status: 200, bodyIncludes: 'console.log("spa")' },
  },
  {
    name: 'a missing asset of an SPA site is the site 404, not the app shell',
    layer: 'nginx',
    site: 'spa',
    path: '/app.js',
    expect: { status: 404, bodyIncludes: 'spa page not found', bodyExcludes: 'spa shell' },
  },
  {
    name: 'a missing asset whose dot is percent-encoded is the site 404 too',
    layer: 'nginx',
    site: 'spa',
    path: '/app%2ejs',
    expect: { status: 404, bodyIncludes: 'spa page not found' },
  },
  {
    name: 'a dotfile of an SPA site is the site 404, never the file',
    layer: 'nginx',
    site: 'spa',
    path: '/.env',
    expect: { status: 404, bodyIncludes: 'spa page not found', bodyExcludes: 'SECRET' },
  },
  {
    name: 'an extension-less path under a hidden directory is the site 404, not the app shell',
    layer: 'nginx',
    site: 'spa',
    path: '/.well-known/missing',
    expect: { status: 404, bodyIncludes: 'spa page not found', bodyExcludes: 'spa shell' },
  },
  {
    name: 'a leftover symlink to /etc/passwd in an SPA site is not served',
    layer: 'nginx',
    site: 'spa',
    path: '/passwd.txt',
    expect: { status: 404, bodyIncludes: 'spa page not found', bodyExcludes: 'root:' },
  },
  {
    name: 'a symlink inside an SPA site is not followed either',
    layer: 'nginx',
    site: 'spa',
    path: '/assets/about.js',
    expect: { status: 404, bodyExcludes: 'spa about' },
  },
  {
    name: 'an SPA site cannot reach another site with dot-dot segments',
    layer: 'nginx',
    site: 'spa',
    path: '/%2e%2e/team-a--blog/about',
    expect: { status: 400, bodyExcludes: 'blog about' },
    // Traefik resolves the dot segments first: the path stays inside the SPA site, which answers
    // its shell for an unknown route.
    viaTraefik: { status: 200, bodyIncludes: 'spa shell', bodyExcludes: 'blog about' },
  },
]
