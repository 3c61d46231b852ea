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

/** A browser's requests to the panel: its cookie, and forms as browsers post them. */
class PanelBrowser {
  cookie = ''

  constructor(readonly origin: string) {}

  async get(path: string) {
    return fetch(`${this.origin}${path}`, { redirect: 'manual', headers: { cookie: this.cookie } })
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    const answer = await fetch(`${this.origin}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: this.cookie,
        origin: this.origin,
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: new URLSearchParams(form),
    })
    const set = answer.headers.get('set-cookie')
    if (set) this.cookie = set.split(';')[0] ?? ''
    return answer
  }

  /** The CSRF token a page's forms carry. */
  async csrf(path: string): Promise<string> {
    const text = await (await this.get(path)).text()
    return /name="_csrf" value="([^"]+)"/.exec(text)?.[1] ?? assert.fail(`no CSRF token on ${path}`)
  }
}

it('the panel: sign-in with the sync token, the sites in words, sync now and roll back by buttons, refusals that change nothing', async () => {
  const browser = new PanelBrowser(`http://127.0.0.1:${serve?.controlPort ?? 0}`)
  assert.equal((await browser.get('/panel/')).headers.get('location'), '/panel/sign-in')
  const wrong = await browser.post('/panel/sign-in', { token: 'nope' })
  assert.equal(wrong.status, 401)
  assert.match(await wrong.text(), /That is not the sync token/)
  assert.equal(browser.cookie, '')
  assert.equal((await browser.post('/panel/sign-in', { token: await token() })).status, 303)
  assert.match(browser.cookie, /^hostplane-serve-panel=/)

  const list = await browser.get('/panel/')
  assert.equal(list.status, 200)
  assert.equal(list.headers.get('cache-control'), 'no-store')
  assert.match(list.headers.get('content-security-policy') ?? '', /script-src 'self'/)
  const listText = await list.text()
  assert.match(listText, /<a href="\/panel\/sites\/default\/docs">default\/docs<\/a>/)
  assert.match(listText, /class="word ok">synced at [0-9a-f]{12}</)
  const stylesheet =
    /<link rel="stylesheet" href="([^"]+)"/.exec(listText)?.[1] ?? assert.fail('no stylesheet')
  const css = await browser.get(stylesheet)
  assert.equal(css.status, 200)
  assert.match(css.headers.get('cache-control') ?? '', /immutable/)

  const csrf = await browser.csrf('/panel/sites/default/docs')
  assert.equal((await browser.post('/panel/sites/default/docs/sync', {})).status, 403, 'no CSRF token')
  assert.equal(
    (await browser.post('/panel/sites/default/docs/sync', { _csrf: csrf }, { origin: 'http://evil.example' }))
      .status,
    403,
    'another origin',
  )
  const synced = await browser.post('/panel/sites/default/docs/sync', { _csrf: csrf })
  assert.equal(synced.status, 303)
  assert.match(await (await browser.get(synced.headers.get('location') ?? '')).text(), /Sync requested/)

  const detail = await (await browser.get('/panel/sites/default/docs')).text()
  const older = [...detail.matchAll(/name="ref"\s+value="([0-9a-f]{40})"/g)].map((m) => m[1] ?? '')
  assert.equal(older.length, 1, 'one kept revision that is not served offers a rollback')
  const rolled = await browser.post('/panel/sites/default/docs/ref', { _csrf: csrf, ref: older[0] ?? '' })
  assert.equal(rolled.status, 303)
  assert.match(await (await browser.get(rolled.headers.get('location') ?? '')).text(), /Rolled back/)
  await waitFor(async () => ((await page()).includes('first') ? true : undefined), {
    timeoutMs: 30_000,
    describe: () => `not rolled back by the panel:\n${serve?.output.all}`,
  })

  const refused = await browser.post('/panel/sites/default/docs/ref', { _csrf: csrf, ref: '<b>..</b>' })
  assert.equal(refused.status, 422)
  const refusedText = await refused.text()
  assert.match(refusedText, /role="alert">.*ref must be/s)
  assert.doesNotMatch(refusedText, /<b>\.\.<\/b>/, 'what the form sent is never markup')

  assert.equal(
    (await browser.post('/panel/sites/default/docs/ref', { _csrf: csrf, ref: 'main' })).status,
    303,
  )
  await waitFor(async () => ((await page()).includes('second') ? true : undefined), {
    timeoutMs: 30_000,
    describe: () => `not back on main:\n${serve?.output.all}`,
  })

  // fetch does not let a caller set Host; a raw request does, as a rebinding page's would arrive.
  const rebound = await sendRequest({
    port: serve?.controlPort ?? 0,
    method: 'GET',
    path: '/panel/',
    headers: { Host: `evil.example:${serve?.controlPort ?? 0}`, Cookie: browser.cookie },
  })
  assert.equal(rebound.status, 403, 'a DNS name pointed at 127.0.0.1 does not reach the panel')

  const out = await browser.post('/panel/sign-out', { _csrf: csrf })
  assert.equal(out.status, 303)
  assert.equal((await browser.get('/panel/')).status, 303, 'signed out')
})

it('the panel refuses an address after ten wrong tokens in a minute', async () => {
  const browser = new PanelBrowser(`http://127.0.0.1:${serve?.controlPort ?? 0}`)
  let last = 0
  for (let i = 0; i < 11; i++) last = (await browser.post('/panel/sign-in', { token: `guess-${i}` })).status
  assert.equal(last, 429)
  assert.equal(
    (await browser.post('/panel/sign-in', { token: await token() })).status,
    429,
    'even the right one, for now',
  )
})
