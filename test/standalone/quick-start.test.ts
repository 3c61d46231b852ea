/**
 * The README's quick start, for real: a fresh copy of the repository (what `git clone` gives, with
 * the installed node_modules standing in for `npm ci`), then `npm start` exactly as a user runs it,
 * with no network. The URL it prints must answer with the example page.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, it } from 'node:test'
import { sendRequest } from '../serving/http-request.js'
import { waitForOutput } from './process-output.js'

const repository = join(import.meta.dirname, '..', '..')
let copy: string
let stopNpm: (() => Promise<void>) | undefined

/** `npm start` in the copy, as a user runs it; resolves with the banner's open, try, sync and panel lines. */
async function npmStart(): Promise<RegExpExecArray> {
  // Port 0: the machine is shared with other test runs; the printed URL names the port taken.
  const npm = spawn('npm', ['start', '--', '--listen', '127.0.0.1:0', '--control-listen', '127.0.0.1:0'], {
    cwd: copy,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_offline: 'true', NO_COLOR: '1' },
  })
  stopNpm = () =>
    new Promise((resolve) => {
      if (npm.exitCode !== null || npm.signalCode !== null) return resolve()
      npm.once('exit', () => resolve())
      process.kill(-(npm.pid as number), 'SIGTERM')
    })
  return waitForOutput(
    npm,
    /open +(http:\/\/\S+)\n +try +(curl .*)\n +sync +(curl .*)\n +panel +(http:\/\/\S+) \(sign in with the token in (\S+)\)\n/,
    120_000,
  )
}

/** The files a clone has: tracked and new ones, without what .gitignore leaves out (build/, .data/). */
async function freshCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hostplane-quick-start-'))
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repository,
  })
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
  for (const file of files) {
    if (!(await stat(join(repository, file)).catch(() => undefined))) continue
    await mkdir(dirname(join(dir, file)), { recursive: true })
    await cp(join(repository, file), join(dir, file))
  }
  await symlink(join(repository, 'node_modules'), join(dir, 'node_modules'))
  return dir
}

before(async () => {
  copy = await freshCopy()
})
after(async () => {
  await stopNpm?.()
  await rm(copy, { recursive: true, force: true })
})

it('npm start in a fresh copy builds, creates the example repository and serves the example page at the printed URL', async () => {
  const printed = await npmStart()
  const open = new URL(printed[1] as string)
  assert.equal(open.hostname, 'example.localhost')
  assert.match(printed[2] as string, /^curl -H 'Host: example\.localhost' http:\/\/127\.0\.0\.1:\d+\/$/)

  // The first publish runs right after the banner; give it a few seconds.
  const deadline = Date.now() + 15_000
  let page = await sendRequest({
    port: Number(open.port),
    method: 'GET',
    path: '/',
    headers: { Host: open.host },
  })
  while (page.status !== 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    page = await sendRequest({
      port: Number(open.port),
      method: 'GET',
      path: '/',
      headers: { Host: open.host },
    })
  }
  assert.equal(page.status, 200)
  assert.match(page.body, /<h1>Hello from hostplane<\/h1>/)
  assert.ok(await stat(join(copy, '.data', 'repos', 'example', 'HEAD')), 'the example repository is created')

  // The panel it prints: signed in with the token file it names, it lists the example site.
  const panel = new URL(printed[4] as string)
  assert.equal(printed[5], '.data/sync-token')
  const first = await fetch(panel, { redirect: 'manual' })
  assert.equal(first.status, 303)
  const token = (await readFile(join(copy, '.data', 'sync-token'), 'utf8')).trim()
  const signedIn = await fetch(new URL('/panel/sign-in', panel), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  })
  assert.equal(signedIn.status, 303)
  const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const sites = await fetch(panel, { headers: { cookie } })
  assert.equal(sites.status, 200)
  assert.match(sites.headers.get('content-security-policy') ?? '', /default-src 'none'/)
  const text = await sites.text()
  assert.match(text, /default\/example/)
  assert.match(text, /<span class="word ok">routed<\/span>/)
})

it('a second npm start with no source changed does not build again, and prints the manual sync line', async () => {
  await stopNpm?.()
  const built = join(copy, 'build', 'src', 'cli', 'main.js')
  const before = (await stat(built)).mtimeMs
  const printed = await npmStart()
  assert.equal((await stat(built)).mtimeMs, before, 'build/ was not written again')
  assert.match(
    printed[3] as string,
    /^curl -X POST -H "Authorization: Bearer \$\(cat \.data\/sync-token\)" http:\/\/127\.0\.0\.1:\d+\/sync\/<namespace>\/<name>$/,
  )
})
