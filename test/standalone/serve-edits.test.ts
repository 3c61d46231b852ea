/**
 * The real `hostplane serve` process while its files and local repositories are edited: a typo in
 * a served site's file keeps the site serving its last revision (as a cluster refuses a bad apply
 * and keeps the object), fixing the file syncs again; a site goes only when no file defines it;
 * a site naming a local repository that does not exist says so and is published as soon as the
 * repository appears, not after its sync interval.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { sleep, waitFor } from '../cluster/process.js'
import { TestRepos } from '../git/test-repos.js'
import { sendRequest } from '../serving/http-request.js'
import { type ServeProcess, startServe } from './serve-process.js'

const staticSite = (name: string, domain: string, ref = 'main') =>
  `apiVersion: hostplane.dev/v1alpha1
kind: StaticSite
metadata:
  name: ${name}
spec:
  repo: https://repos.localhost/${name}
  ref: ${ref}
  domains: [${domain}]
`

let dir: string
let repos: TestRepos
let serve: ServeProcess

const sitesFile = (name: string) => join(dir, 'sites', name)
const get = (host: string) =>
  sendRequest({ port: serve.port, method: 'GET', path: '/', headers: { Host: host } })
const logged = (pattern: RegExp) => serve.output.waitFor(pattern, 30_000)
const eventually = (host: string, body: string, timeoutMs = 30_000) =>
  waitFor(async () => ((await get(host)).body === body ? true : undefined), {
    timeoutMs,
    describe: () => `${host} never answered ${JSON.stringify(body)}:\n${serve.output.all}`,
  })

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostplane-serve-edits-'))
  await mkdir(join(dir, 'sites'))
  repos = new TestRepos(join(dir, 'repos'))
  await repos.create('blog', { 'index.html': 'revision 1' })
  await repos.create('gone', { 'index.html': 'gone page' })
  await writeFile(sitesFile('blog.yaml'), staticSite('blog', 'blog.test'))
  await writeFile(sitesFile('gone.yaml'), staticSite('gone', 'gone.test'))
  serve = await startServe(join(dir, 'sites'), join(dir, 'data'), [
    '--local-repos',
    join(dir, 'repos'),
    '--rescan-interval',
    '1s',
  ])
  await eventually('blog.test', 'revision 1')
})
after(async () => {
  await serve?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('hostplane serve while site files are edited', () => {
  it('keeps serving the last revision when a served site’s file gets a typo, and publishes the edit once the typo is fixed', async () => {
    await repos.commit('blog', { 'index.html': 'revision 2' }, { branch: 'next' })
    // The edit switches to the branch `next`, with a typo: a key indented one space too far.
    await writeFile(
      sitesFile('blog.yaml'),
      staticSite('blog', 'blog.test', 'next').replace('spec:', ' spec:'),
    )
    await logged(/blog\.yaml: invalid YAML: [^"]* at line \d+, column \d+/)
    await logged(
      /blog\.yaml: StaticSite default\/blog keeps its last valid definition until the file is fixed/,
    )
    await sleep(2500) // two more rescans
    const during = await get('blog.test')
    assert.equal(during.status, 200)
    assert.equal(during.body, 'revision 1')
    assert.doesNotMatch(serve.output.all, /site removed/)
    const metrics = await sendRequest({
      port: serve.controlPort,
      method: 'GET',
      path: '/metrics',
      headers: {},
    })
    assert.match(metrics.body, /hostplane_serve_site_file_problems [1-9]/)

    await writeFile(sitesFile('blog.yaml'), staticSite('blog', 'blog.test', 'next'))
    await eventually('blog.test', 'revision 2')
  })

  it('unpublishes a site only when no file defines it: its file deleted', async () => {
    assert.equal((await get('gone.test')).body, 'gone page')
    await unlink(sitesFile('gone.yaml'))
    await logged(/"site":"default\/gone"[^\n]*site removed; its published trees are deleted/)
    assert.equal((await get('gone.test')).status, 404)
  })

  it('says a local repository does not exist, and publishes the site as soon as it appears', async () => {
    await writeFile(sitesFile('later.yaml'), staticSite('later', 'later.test'))
    await logged(/no local repository `later` under `[^`]*repos`/)
    assert.equal((await get('later.test')).status, 404)
    const created = Date.now()
    await repos.create('later', { 'index.html': 'later page' })
    // The site's sync interval is 5 minutes: only the repository's appearance can trigger this.
    await eventually('later.test', 'later page', 20_000)
    assert.ok(Date.now() - created < 20_000)
    assert.equal(
      serve.output.all.match(/no local repository `later`/g)?.length,
      1,
      'the error is logged once',
    )
  })
})
