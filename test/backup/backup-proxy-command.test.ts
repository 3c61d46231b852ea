/**
 * `hostplane backup-proxy` as a process, as its Pod runs it: the bucket's keys and the customers'
 * tokens from Secrets mounted as the kubelet mounts them, moto's S3 server behind it, real restic
 * and `hostplane backup run|verify` in front of it with a `rest:` repository Secret that holds only
 * `repository` and `password` (what a backup Job gets). Its probes and metrics answer; a wrong or
 * unknown token is refused; a customer added to, or removed from, the tokens Secret is let in, or
 * shut out, without a restart; no token and no key of the bucket reaches its log; it is not ready
 * while its bucket does not answer; SIGTERM stops it at once.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Restic, ResticError } from '../../src/backup/restic.js'
import { binaryUnavailable } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'
import { type CliProcess, runHostplane, startCli } from '../e2e/cli-process.js'
import { freePort } from '../serving/nginx-for-tests.js'
import { motoUnavailable, S3_TEST_CREDENTIALS, type S3UnderTest, startMoto } from './moto.js'
import { mountSecret } from './mounted-secret.js'

const unavailable =
  (await binaryUnavailable('backup', '/usr/bin/restic', 'restic')) || (await motoUnavailable())

const BUCKET = 'hostplane-proxy-command'
/** moto checks no signature: a key of its own, to look for in the log. */
const SECRET_KEY = `proxy-secret-${randomBytes(12).toString('hex')}`
const TOKENS = {
  acme: randomBytes(24).toString('base64url'),
  bravo: randomBytes(24).toString('base64url'),
}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe('hostplane backup-proxy as a process', { skip: unavailable }, () => {
  let s3: S3UnderTest
  let work: string
  let tokensDir: string
  let proxy: CliProcess
  let rest: string
  let ops: string
  const repositoryUrl = (customer: string, token: string) =>
    `rest:http://${customer}:${token}@${rest}/${customer}/`
  const restic = (customer: string, token: string) =>
    new Restic(
      { url: repositoryUrl(customer, token), password: `password-of-${customer}`, env: {} },
      { cacheDir: join(work, `cache-${customer}`), timeoutMs: 30_000 },
    )
  const status = (path: string, customer: string, token: string) =>
    fetch(`http://${rest}${path}`, {
      headers: { authorization: `Basic ${Buffer.from(`${customer}:${token}`).toString('base64')}` },
    }).then((response) => response.status)
  const metrics = () => fetch(`${ops}/metrics`).then((response) => response.text())

  before(async () => {
    s3 = await startMoto()
    await s3.createBucket(BUCKET)
    work = await mkdtemp(join(tmpdir(), 'hp-backup-proxy-'))
    await mkdir(join(work, 'volume'))
    await writeFile(join(work, 'volume/index.html'), '<p>backed up through the proxy</p>\n')
    const credentials = await mountSecret(join(work, 'credentials'), {
      'access-key-id': S3_TEST_CREDENTIALS.AWS_ACCESS_KEY_ID,
      'secret-access-key': SECRET_KEY,
    })
    tokensDir = await mountSecret(join(work, 'tokens'), { acme: `${sha256(TOKENS.acme)}\n` })
    const [port, opsPort] = [await freePort(), await freePort()]
    rest = `127.0.0.1:${port}`
    ops = `http://127.0.0.1:${opsPort}`
    proxy = startCli(
      [
        'backup-proxy',
        ...['--listen', rest, '--ops-listen', `127.0.0.1:${opsPort}`],
        ...['--endpoint', s3.endpoint, '--bucket', BUCKET, '--prefix', 'backups/'],
        ...['--credentials', credentials, '--tokens', tokensDir],
      ],
      join(work, 'proxy.log'),
      { LOG_FORMAT: 'json' },
    )
    await waitFor(
      () =>
        fetch(`${ops}/readyz`).then(
          (response) => (response.ok ? true : undefined),
          () => undefined,
        ),
      { timeoutMs: 20_000, intervalMs: 200, describe: () => 'the proxy did not become ready' },
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await proxy.log()}`)
    })
  })

  after(async () => {
    await proxy?.stop()
    await s3?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('answers /healthz and /readyz, and counts its customers in /metrics', async () => {
    assert.equal((await fetch(`${ops}/healthz`)).status, 200)
    assert.equal((await fetch(`${ops}/readyz`)).status, 200)
    assert.match(await metrics(), /^hostplane_backup_proxy_customers 1$/m)
  })

  it('carries restic’s init, backup and snapshots into the bucket under <prefix><customer>/', async () => {
    const acme = restic('acme', TOKENS.acme)
    await acme.run(['init'])
    await acme.run(['backup', join(work, 'volume')])
    assert.equal((await acme.snapshots()).length, 1)
    const keys = [...(await s3.objects(BUCKET)).keys()]
    assert.ok(
      keys.some((key) => /^backups\/acme\/data\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(key)),
      keys.join(' '),
    )
    assert.ok(
      keys.every((key) => key.startsWith('backups/acme/')),
      keys.join(' '),
    )
    const said = await metrics()
    assert.match(
      said,
      /^hostplane_backup_proxy_requests_total\{method="POST",type="data",status="200"\} [1-9]/m,
    )
    assert.match(said, /^hostplane_backup_proxy_object_bytes_total\{direction="in"\} [1-9]/m)
  })

  it('takes and verifies a restore point with `hostplane backup` and a Secret of only repository and password', async () => {
    const repository = await mountSecret(join(work, 'repository-secret'), {
      repository: repositoryUrl('acme', TOKENS.acme),
      password: 'password-of-acme',
    })
    const backup = (...args: string[]) =>
      runHostplane(['backup', ...args, '--repository', repository, '--cache-dir', join(work, 'cache-job')])
    const taken = await backup('run', '--point', 'p1', '--volume', join(work, 'volume'))
    assert.equal(taken.code, 0, taken.stderr)
    assert.equal((JSON.parse(taken.stdout) as { files: { files: number } }).files.files, 1)
    const verified = await backup('verify', '--point', 'p1', '--volume', join(work, 'drill'))
    assert.equal(verified.code, 0, verified.stderr)
    assert.deepEqual(JSON.parse(verified.stdout), { point: 'p1', verified: true, problems: [] })
  })

  it('refuses a wrong token, and a customer the tokens Secret does not name', async () => {
    await assert.rejects(restic('acme', 'guessed').snapshots(), ResticError)
    assert.equal(await status('/acme/config', 'acme', 'guessed'), 401)
    assert.equal(await status('/bravo/config', 'bravo', TOKENS.bravo), 401)
    assert.equal(await status('/acme/config', 'bravo', TOKENS.bravo), 401)
  })

  it('lets a customer in once the tokens Secret names it, and out once it no longer does, without a restart', async () => {
    await mountSecret(tokensDir, { acme: sha256(TOKENS.acme), bravo: sha256(TOKENS.bravo) })
    await waitFor(
      async () => ((await status('/bravo/config', 'bravo', TOKENS.bravo)) === 401 ? undefined : true),
      {
        timeoutMs: 15_000,
        intervalMs: 250,
        describe: () => 'bravo’s token was not taken up',
      },
    )
    const bravo = restic('bravo', TOKENS.bravo)
    await bravo.run(['init'])
    assert.deepEqual(await bravo.snapshots(), [])
    // Its token opens its own repository only.
    assert.equal(await status('/acme/config', 'bravo', TOKENS.bravo), 404)
    assert.match(await metrics(), /^hostplane_backup_proxy_customers 2$/m)

    await mountSecret(tokensDir, { acme: sha256(TOKENS.acme) })
    await waitFor(
      async () => ((await status('/bravo/config', 'bravo', TOKENS.bravo)) === 401 ? true : undefined),
      {
        timeoutMs: 15_000,
        intervalMs: 250,
        describe: () => 'bravo’s token still worked after its removal',
      },
    )
    assert.equal(await status('/acme/config', 'acme', TOKENS.acme), 200)
  })

  it('is alive but not ready while its bucket does not answer, and counts the bucket’s refusals', async () => {
    const opsPort = await freePort()
    const lost = startCli(
      [
        'backup-proxy',
        ...['--listen', `127.0.0.1:${await freePort()}`, '--ops-listen', `127.0.0.1:${opsPort}`],
        ...['--endpoint', s3.endpoint, '--bucket', 'no-such-bucket'],
        ...['--credentials', join(work, 'credentials'), '--tokens', tokensDir],
      ],
      join(work, 'lost.log'),
      { LOG_FORMAT: 'json' },
    )
    try {
      const url = `http://127.0.0.1:${opsPort}`
      await waitFor(
        () =>
          fetch(`${url}/metrics`).then(
            async (response) =>
              /^hostplane_backup_proxy_bucket_errors_total\{status="404"\} [1-9]/m.test(await response.text())
                ? true
                : undefined,
            () => undefined,
          ),
        { timeoutMs: 20_000, intervalMs: 200, describe: () => 'no refusal of the bucket was counted' },
      )
      assert.equal((await fetch(`${url}/healthz`)).status, 200)
      assert.equal((await fetch(`${url}/readyz`)).status, 503)
    } finally {
      await lost.stop()
    }
  })

  it('logs one line per request with its customer, and neither a token nor the bucket’s key', async () => {
    const log = await proxy.log()
    for (const secret of [TOKENS.acme, TOKENS.bravo, sha256(TOKENS.acme), SECRET_KEY, 'guessed', 'Basic '])
      assert.ok(!log.includes(secret), `the log holds ${secret}`)
    const requests = log
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'request')
    const upload = requests.find((line) => line.method === 'POST' && line.type === 'data')
    assert.ok(upload, 'a line for an upload')
    assert.equal(upload.customer, 'acme')
    assert.equal(upload.status, 200)
    assert.ok(Number(upload.bytesIn) > 0 && typeof upload.ms === 'number')
    assert.ok(requests.some((line) => line.status === 401 && line.customer === undefined))
  })

  it('stops at once on SIGTERM, saying so', async () => {
    const started = Date.now()
    await proxy.stop()
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`)
    assert.match(await proxy.log(), /"msg":"shutting down"/)
  })
})
