/**
 * Rollback in `hostplane serve`, on the real process as `npm start` runs it: `GET /status/sites`
 * shows each site's published commit and kept revisions, and `POST /sites/<ns>/<name>/ref` with
 * the sync token pins the site's file to a kept commit (served again without the network) and
 * back to its branch, keeping the file's comments.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, it } from 'node:test'
import { waitFor } from '../cluster/process.js'
import { TestRepos } from '../git/test-repos.js'
import { sendRequest } from '../serving/http-request.js'
import { type ServeProcess, startServe } from './serve-process.js'

let dir: string
let repos: TestRepos
let serve: ServeProcess | undefined

const SITE = `# Our docs: follow main.
apiVersion: hostplane.dev/v1alpha1
kind: StaticSite
metadata:
  name: docs
spec:
  repo: https://repos.localhost/docs
  domains: [docs.test]
  syncInterval: 1h
`

interface SiteState {
  site: string
  sync?: { state: string; commit?: string; revisions: { commit: string }[]; failure?: { message: string } }
}

const page = async () =>
  (await sendRequest({ port: serve?.port ?? 0, method: 'GET', path: '/', headers: { Host: 'docs.test' } }))
    .body
const state = async (): Promise<SiteState | undefined> => {
  const answer = await fetch(`http://127.0.0.1:${serve?.controlPort ?? 0}/status/sites`)
  return ((await answer.json()) as { sites: SiteState[] }).sites.find((s) => s.site === 'default/docs')
}
const setRef = async (ref: unknown, token: string | undefined, site = 'default/docs') =>
  fetch(`http://127.0.0.1:${serve?.controlPort ?? 0}/sites/${site}/ref`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ ref }),
  })
const token = async () => (await readFile(join(dir, 'data', 'sync-token'), 'utf8')).trim()

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostplane-rollback-'))
  repos = new TestRepos(join(dir, 'repos'))
  await repos.create('docs', { 'index.html': '<p>first</p>\n' })
  await mkdir(join(dir, 'sites'))
  await writeFile(join(dir, 'sites', 'docs.yaml'), SITE)
  serve = await startServe(join(dir, 'sites'), join(dir, 'data'), [
    '--local-repos',
    repos.root,
    '--rescan-interval',
    '1h',
  ])
})
after(async () => {
  await serve?.stop()
  await rm(dir, { recursive: true, force: true })
})

it('shows the published commit and kept revisions, rolls back to a kept commit by the file and follows the branch again', async () => {
  await waitFor(async () => ((await page()).includes('first') ? true : undefined), {
    timeoutMs: 30_000,
    describe: () => `not published:\n${serve?.output.all}`,
  })
  const first = (await state())?.sync?.commit ?? assert.fail('no commit in /status/sites')
  assert.match(first, /^[0-9a-f]{40}$/)
  await repos.commit('docs', { 'index.html': '<p>second</p>\n' })
  const synced = await fetch(`http://127.0.0.1:${serve?.controlPort ?? 0}/sync/default/docs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await token()}` },
  })
  assert.equal(synced.status, 202)
  const after = await waitFor(
    async () => {
      const now = await state()
      return now?.sync?.revisions.length === 2 ? now : undefined
    },
    { timeoutMs: 30_000, describe: () => `no second revision:\n${serve?.output.all}` },
  )
  assert.equal(after.sync?.state, 'synced')
  assert.equal(after.sync?.revisions[1]?.commit, first, 'newest first')
  assert.match(await page(), /second/)

  const rolled = await setRef(first, await token())
  assert.equal(rolled.status, 200, await rolled.text())
  await waitFor(async () => ((await page()).includes('first') ? true : undefined), {
    timeoutMs: 30_000,
    describe: () => `not rolled back:\n${serve?.output.all}`,
  })
  const file = await readFile(join(dir, 'sites', 'docs.yaml'), 'utf8')
  assert.match(file, /^# Our docs: follow main\./)
  assert.match(file, new RegExp(`ref: ${first}`))
  assert.equal((await state())?.sync?.commit, first)

  assert.equal((await setRef('main', await token())).status, 200)
  await waitFor(async () => ((await page()).includes('second') ? true : undefined), {
    timeoutMs: 30_000,
    describe: () => `not back on main:\n${serve?.output.all}`,
  })
})

it('refuses without the token, a ref the schema refuses and an unknown site, changing no file', async () => {
  const before = await readFile(join(dir, 'sites', 'docs.yaml'), 'utf8')
  assert.equal((await setRef('main', undefined)).status, 401)
  assert.equal((await setRef('main', 'wrong')).status, 401)
  const bad = await setRef('../../etc', await token())
  assert.equal(bad.status, 422)
  assert.match(((await bad.json()) as { error: string }).error, /ref must be/)
  assert.equal((await setRef(42, await token())).status, 400)
  assert.equal((await setRef('main', await token(), 'default/nope')).status, 404)
  assert.equal(await readFile(join(dir, 'sites', 'docs.yaml'), 'utf8'), before)
})
