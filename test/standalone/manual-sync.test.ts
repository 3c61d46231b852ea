/**
 * The quick start's manual sync, on the real `hostplane serve` process started without any
 * secret, as `npm start` does: it makes a sync token in the data directory, prints the curl line
 * that uses it, and `POST /sync/<namespace>/<name>` with that token publishes a new commit at
 * once (the site's interval is an hour). The token survives a restart.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
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

const SITE = `apiVersion: hostplane.dev/v1alpha1
kind: StaticSite
metadata:
  name: docs
spec:
  repo: https://repos.localhost/docs
  domains: [docs.test]
  syncInterval: 1h
`

const start = () =>
  startServe(join(dir, 'sites'), join(dir, 'data'), ['--local-repos', repos.root, '--rescan-interval', '1h'])
const page = async () =>
  (await sendRequest({ port: serve?.port ?? 0, method: 'GET', path: '/', headers: { Host: 'docs.test' } }))
    .body
const sync = (authorization?: string) =>
  sendRequest({
    port: serve?.controlPort ?? 0,
    method: 'POST',
    path: '/sync/default/docs',
    headers: authorization ? { Authorization: authorization } : {},
  })

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostplane-manual-sync-'))
  repos = new TestRepos(join(dir, 'repos'))
  await repos.create('docs', { 'index.html': '<p>first</p>\n' })
  await mkdir(join(dir, 'sites'))
  await writeFile(join(dir, 'sites', 'docs.yaml'), SITE)
})
after(async () => {
  await serve?.stop()
  await rm(dir, { recursive: true, force: true })
})

it('hostplane serve without a token makes one, prints the curl line, and POST /sync with it publishes a new commit at once', async () => {
  serve = await start()
  const tokenFile = join(dir, 'data', 'sync-token')
  const printed = await serve.output.waitFor(
    / {2}sync {3}curl -X POST -H "Authorization: Bearer \$\(cat (\S+)\)" (http:\/\/\S+)\/sync\/<namespace>\/<name>\n/,
    10_000,
  )
  assert.equal(printed[1], tokenFile)
  assert.equal(printed[2], `http://127.0.0.1:${serve.controlPort}`)
  assert.equal((await stat(tokenFile)).mode & 0o777, 0o600, 'only its owner can read the token')
  const token = (await readFile(tokenFile, 'utf8')).trim()
  assert.match(token, /^[A-Za-z0-9_-]{43}$/)
  assert.match(await page(), /first/)

  assert.equal((await sync()).status, 401, 'no token, no sync')
  assert.equal((await sync('Bearer wrong')).status, 401)
  await repos.commit('docs', { 'index.html': '<p>second</p>\n' })
  const answer = await sync(`Bearer ${token}`)
  assert.equal(answer.status, 202, answer.body)
  await waitFor(async () => ((await page()).includes('second') ? true : undefined), {
    timeoutMs: 30_000,
    describe: () => `the new commit was not published after POST /sync:\n${serve?.output.all}`,
  })
})

it('the token made at first start is the same after a restart', async () => {
  const before = await readFile(join(dir, 'data', 'sync-token'), 'utf8')
  await serve?.stop()
  serve = await start()
  assert.equal(await readFile(join(dir, 'data', 'sync-token'), 'utf8'), before)
  assert.equal((await sync(`Bearer ${before.trim()}`)).status, 202)
})
