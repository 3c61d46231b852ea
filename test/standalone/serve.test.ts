/**
 * `hostplane serve` assembled (site files → sync engine → built-in server, plus the control
 * listener), fed bad input: malformed YAML, a valid resource of the wrong kind, a field the schema
 * refuses, a domain claimed by two files, and the hostile rows of the shared request table. The
 * blog of the table is published from a real git repository through a local repository.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { silentLogger } from '../../src/ops/log.js'
import { initLocalRepo } from '../../src/standalone/local-repo-init.js'
import { type Standalone, startStandalone } from '../../src/standalone/standalone-server.js'
import { checkRow } from '../serving/check-row.js'
import { sendRequest } from '../serving/http-request.js'
import { ROWS, TREES } from '../serving/table.js'

const staticSite = (
  namespace: string,
  name: string,
  domains: readonly string[],
) => `apiVersion: hostplane.dev/v1alpha1
kind: StaticSite
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  repo: https://repos.localhost/blog
  domains: [${domains.join(', ')}]
`

let dir: string
let serve: Standalone
let port: number

const get = (host: string, path = '/') => sendRequest({ port, method: 'GET', path, headers: { Host: host } })

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000
  let value = await read()
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    value = await read()
  }
  return value
}

/** The blog of the shared table as a git repository (what git can hold: no .git directory). */
async function blogRepository(): Promise<string> {
  const content = join(dir, 'blog-content')
  for (const [path, entry] of Object.entries(TREES.blog)) {
    const target = join(content, path)
    if (path.startsWith('.git/') || path.endsWith('/')) continue
    await mkdir(dirname(target), { recursive: true })
    if (typeof entry === 'object' && 'symlink' in entry) await symlink(entry.symlink, target)
    else await writeFile(target, entry)
  }
  await initLocalRepo(content, join(dir, 'repos', 'blog'))
  return join(dir, 'repos')
}

async function siteFile(name: string, text: string, ageSeconds: number): Promise<void> {
  const path = join(dir, 'sites', name)
  await writeFile(path, text)
  const at = new Date(Date.now() - ageSeconds * 1000)
  await utimes(path, at, at)
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostplane-standalone-'))
  await mkdir(join(dir, 'sites'))
  await siteFile('blog.yaml', staticSite('team-a', 'blog', ['a.test', 'www.a.test']), 100)
  await siteFile('copycat.yaml', staticSite('team-z', 'copycat', ['a.test']), 50)
  await siteFile('broken.yaml', 'apiVersion: hostplane.dev/v1alpha1\nspec: [unclosed\n', 40)
  await siteFile(
    'customer.yaml',
    'apiVersion: hostplane.dev/v1alpha1\nkind: Customer\nmetadata: {name: acme}\nspec: {displayName: Acme, email: ops@acme.test, tier: shared, size: small}\n',
    30,
  )
  await siteFile(
    'http-repo.yaml',
    staticSite('team-y', 'plain', ['y.test']).replace('https://', 'http://'),
    20,
  )
  serve = await startStandalone({
    sitesDir: join(dir, 'sites'),
    dataDir: join(dir, 'data'),
    listen: { host: '127.0.0.1', port: 0 },
    controlListen: { host: '127.0.0.1', port: 0 },
    allowedHosts: [],
    localRepos: await blogRepository(),
    pagesDomain: 'pages.test',
    webhookSecrets: {},
    rescanIntervalMs: 60_000,
    log: silentLogger(),
  })
  port = Number(new URL(serve.url).port)
  const home = await eventually(
    () => get('a.test'),
    (response) => response.status === 200,
  )
  assert.equal(home.status, 200, 'the blog is published from its local repository')
})
after(async () => {
  await serve.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('hostplane serve with bad site files', () => {
  const problem = (file: string) => serve.problems().find((line) => line.startsWith(join(dir, 'sites', file)))

  it('names a malformed YAML file and says it is not YAML', () => {
    assert.match(problem('broken.yaml') ?? '', /broken\.yaml: invalid YAML: /)
  })

  it('names a valid resource of another kind and ignores it', () => {
    assert.match(
      problem('customer.yaml') ?? '',
      /customer\.yaml: kind: Customer is valid but hostplane serve runs only StaticSite/,
    )
  })

  it('names the file and the field the schema refuses', () => {
    assert.match(
      problem('http-repo.yaml') ?? '',
      /http-repo\.yaml: spec\.repo: repo must be an https:\/\/ URL/,
    )
  })

  it('gives a domain to the older file and tells the newer one which file holds it', async () => {
    assert.match(
      problem('copycat.yaml') ?? '',
      /copycat\.yaml: StaticSite team-z\/copycat: a\.test is already served by StaticSite team-a\/blog of the older file .*blog\.yaml; not routed/,
    )
    assert.match((await get('a.test')).body, /blog home/)
  })

  it('keeps serving every valid site, with its canonical-domain redirect', async () => {
    assert.equal(serve.sites().length, 2, serve.problems().join('\n'))
    const redirect = await get('www.a.test', '/about')
    assert.equal(redirect.status, 301)
    assert.equal(redirect.headers.location, 'http://a.test/about')
  })

  it('picks up a new site file without a restart', async () => {
    await writeFile(join(dir, 'sites', 'late.yaml'), staticSite('team-l', 'late', ['late.test']))
    const late = await eventually(
      () => get('late.test'),
      (response) => response.status === 200,
    )
    assert.match(late.body, /blog home/)
  })

  it('answers /healthz and /metrics on the control listener', async () => {
    const control = Number(new URL(serve.controlUrl).port)
    const health = await sendRequest({ port: control, method: 'GET', path: '/healthz', headers: {} })
    assert.equal(health.body, 'ok\n')
    const metrics = await sendRequest({ port: control, method: 'GET', path: '/metrics', headers: {} })
    assert.match(metrics.body, /hostplane_serve_responses_total\{code="200"\} \d+/)
  })
})

describe('hostplane serve answers the hostile and error rows of the shared table', () => {
  const rows = ROWS.filter(
    (row) =>
      row.site === 'blog' &&
      row.layer === 'nginx' &&
      (typeof row.expect.status === 'number' ? [row.expect.status] : row.expect.status).every(
        (s) => s >= 400,
      ),
  )
  it('has the path traversal, encoded NUL and oversized header rows among them', () => {
    const names = rows.map((row) => row.name).join('\n')
    for (const wanted of [/encoded slash after \.\./, /encoded NUL/, /oversized request headers/])
      assert.match(names, wanted)
  })
  for (const row of rows) it(row.name, () => checkRow(port, row))
})
