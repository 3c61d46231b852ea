/**
 * The real `hostplane serve` process fed bad site files: malformed YAML, a valid resource of the
 * wrong kind, a field the schema refuses, a domain claimed in two files and a site defined twice.
 * Every problem is logged naming its file; every valid site keeps serving; a domain stays with
 * the site that claimed it first whatever happens to the files' modification times, and passes
 * to the other site when the owner's file is deleted. (The hostile requests — path traversal,
 * encoded NUL, oversized headers — are rows of the shared table, run against this process by
 * serve-table.test.ts.)
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, unlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '../cluster/process.js'
import { sendRequest } from '../serving/http-request.js'
import { type ServeProcess, startServe } from './serve-process.js'
import { tableRepository } from './table-sites.js'

const staticSite = (namespace: string, name: string, repo: string, domains: readonly string[]) =>
  `apiVersion: hostplane.dev/v1alpha1
kind: StaticSite
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  repo: https://repos.localhost/${repo}
  domains: [${domains.join(', ')}]
`
const BLOG = staticSite('team-a', 'blog', 'blog', ['a.test', 'www.a.test'])

let dir: string
let serve: ServeProcess

const sitesFile = (name: string) => join(dir, 'sites', name)
const get = (host: string, path = '/') =>
  sendRequest({ port: serve.port, method: 'GET', path, headers: { Host: host } })
const logged = (pattern: RegExp) => serve.output.waitFor(pattern, 30_000)

/** Polls `host` until its body matches `pattern`. */
const eventually = (host: string, pattern: RegExp) =>
  waitFor(
    async () => {
      const response = await get(host)
      return pattern.test(response.body) ? response : undefined
    },
    { timeoutMs: 30_000, describe: () => `${host} never answered ${pattern}:\n${serve.output.all}` },
  )

async function siteFile(name: string, text: string, ageSeconds = 0): Promise<void> {
  await writeFile(sitesFile(name), text)
  const at = new Date(Date.now() - ageSeconds * 1000)
  await utimes(sitesFile(name), at, at)
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostplane-standalone-'))
  await mkdir(join(dir, 'sites'))
  const repos = join(dir, 'repos')
  await tableRepository(dir, repos, 'blog')
  await tableRepository(dir, repos, 'guide')
  // By modification time the copycat's file is the older one; at startup the claim goes by namespace/name.
  await siteFile('blog.yaml', BLOG)
  await siteFile('copycat.yaml', staticSite('team-z', 'copycat', 'guide', ['a.test', 'z.test']), 3600)
  await siteFile('second-copycat.yaml', staticSite('team-z', 'copycat', 'guide', ['other.test']), 7200)
  await siteFile('broken.yaml', 'apiVersion: hostplane.dev/v1alpha1\nspec: [unclosed\n')
  await siteFile(
    'customer.yaml',
    'apiVersion: hostplane.dev/v1alpha1\nkind: Customer\nmetadata: {name: acme}\nspec: {displayName: Acme, email: ops@acme.test, tier: shared, size: small}\n',
  )
  await siteFile(
    'http-repo.yaml',
    staticSite('team-y', 'plain', 'blog', ['y.test']).replace('https://', 'http://'),
  )
  serve = await startServe(join(dir, 'sites'), join(dir, 'data'), [
    '--local-repos',
    repos,
    '--rescan-interval',
    '1s',
  ])
  await eventually('a.test', /blog home/)
})
after(async () => {
  await serve?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('hostplane serve with bad site files', () => {
  it('names a malformed YAML file and says it is not YAML', async () => {
    await logged(/broken\.yaml: invalid YAML: /)
  })

  it('names a valid resource of another kind and ignores it', async () => {
    await logged(/customer\.yaml: kind: Customer is valid but hostplane serve runs only StaticSite; ignored/)
  })

  it('names the file and the field the schema refuses', async () => {
    await logged(/http-repo\.yaml: spec\.repo: Invalid value: .*: repo must be an https:\/\/ URL/)
  })

  it('uses the first definition of a site defined in two files and names the file that holds it', async () => {
    await logged(
      /second-copycat\.yaml: StaticSite team-z\/copycat is already defined in \S*\/copycat\.yaml; this one is ignored/,
    )
    assert.equal((await get('other.test')).status, 404)
  })

  it('gives a domain claimed in two files found at startup to the namespace first in order, and tells the other who holds it', async () => {
    await logged(
      /copycat\.yaml: StaticSite team-z\/copycat: DomainOwnedByOtherNamespace: domain a\.test belongs to namespace team-a, where StaticSite blog claimed it at the same time as this StaticSite \(ties go to namespace\/name order\); use another domain, or ask the owner to remove it; not routed/,
    )
    assert.match((await get('a.test')).body, /blog home/)
    assert.equal(
      (await get('z.test')).status,
      404,
      'the other site is not routed on its other domains either',
    )
  })

  it('keeps serving every valid site, with its canonical-domain redirect', async () => {
    const redirect = await get('www.a.test', '/about')
    assert.equal(redirect.status, 301)
    assert.equal(redirect.headers.location, 'http://a.test/about')
  })

  it('keeps a domain with its site when the files are touched and re-saved, and picks up a new file without a restart', async () => {
    const old = new Date(Date.now() - 86_400_000)
    await utimes(sitesFile('copycat.yaml'), old, old)
    await writeFile(sitesFile('blog.yaml'), BLOG)
    // The new file is read by the same scan as the touched ones, or a later one.
    await siteFile('late.yaml', staticSite('team-l', 'late', 'blog', ['late.test']))
    await eventually('late.test', /blog home/)
    assert.match((await get('a.test')).body, /blog home/)
  })

  it('gives the domain to the other site when the file of the site that holds it is deleted', async () => {
    await unlink(sitesFile('blog.yaml'))
    await eventually('a.test', /guide home/)
  })

  it('answers /healthz and /metrics on the control listener', async () => {
    const control = (path: string) =>
      sendRequest({ port: serve.controlPort, method: 'GET', path, headers: {} })
    assert.equal((await control('/healthz')).body, 'ok\n')
    assert.match((await control('/metrics')).body, /hostplane_serve_responses_total\{code="200"\} \d+/)
  })
})
