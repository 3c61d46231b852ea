/**
 * Automatic TLS of `hostplane serve` against a real ACME CA: Pebble, built from its Go module,
 * validating HTTP-01 challenges on the HTTP listener under test (its DNS helper resolves every test
 * domain to 127.0.0.1). Orders are counted with the `/metrics` of the control listener; issued
 * certificates are verified against the issuing root Pebble made for this run.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import type { TLSSocket } from 'node:tls'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { createLogger } from '../../src/ops/log.js'
import { initLocalRepo } from '../../src/standalone/local-repo-init.js'
import {
  type Standalone,
  type StandaloneTls,
  startStandalone,
} from '../../src/standalone/standalone-server.js'
import { sleep, waitFor } from '../cluster/process.js'
import {
  type ChallengeDns,
  type Pebble,
  pebbleUnavailable,
  startChallengeDns,
  startPebble,
} from '../acme/pebble.js'
import { sendRequest } from '../serving/http-request.js'
import { freePort } from '../serving/nginx-for-tests.js'

const skip = await pebbleUnavailable()

const site = (name: string, domains: readonly string[], tls = 'auto') => `apiVersion: hostplane.dev/v1alpha1
kind: StaticSite
metadata:
  name: ${name}
spec:
  repo: https://repos.localhost/site
  domains: [${domains.join(', ')}]
  tls: {mode: ${tls}}
---
`

let dir: string
let repos: string
let dns: ChallengeDns
let pebble: Pebble
let httpPort: number
let httpsPort: number

interface Running {
  readonly serve: Standalone
  /** Log lines (pino JSON) written so far. */
  readonly lines: string[]
}

const running: Running[] = []

/**
 * `hostplane serve` on the fixed ports Pebble validates against, with a data directory of its
 * own; one at a time, so an instance a failed test left running is stopped first.
 */
async function serve(name: string, sites: string, tls: Partial<StandaloneTls> = {}): Promise<Running> {
  for (const run of [...running]) await stop(run)
  const sitesDir = join(dir, name, 'sites')
  await mkdir(sitesDir, { recursive: true })
  await writeFile(join(sitesDir, 'sites.yaml'), sites)
  const lines: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
      done()
    },
  })
  const started = await startStandalone({
    sitesDir,
    dataDir: join(dir, name, 'data'),
    listen: { host: '127.0.0.1', port: httpPort },
    controlListen: { host: '127.0.0.1', port: 0 },
    allowedHosts: [],
    localRepos: repos,
    pagesDomain: 'localhost',
    webhookSecrets: {},
    rescanIntervalMs: 60_000,
    tls: {
      listen: { host: '127.0.0.1', port: httpsPort },
      directoryUrl: pebble.directoryUrl,
      caFile: pebble.caFile,
      pollMs: { min: 100, max: 1000 },
      backoff: { initialMs: 500, maxMs: 4000 },
      ...tls,
    },
    log: createLogger({ name: 'acme-test', level: 'debug', destination }),
  })
  const run = { serve: started, lines }
  running.push(run)
  await started.settled()
  return run
}

async function stop(run: Running): Promise<void> {
  running.splice(running.indexOf(run), 1)
  await run.serve.stop()
}

async function metric(run: Running, name: string): Promise<number> {
  const text = await (await fetch(`${run.serve.controlUrl}/metrics`)).text()
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0)
}

const orders = (run: Running) => metric(run, 'hostplane_acme_orders_total')
const issued = (run: Running) => metric(run, 'hostplane_acme_certificates_issued_total')

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => ((await check()) ? true : undefined), {
    timeoutMs,
    intervalMs: 100,
    describe: () => `timed out waiting until ${what}`,
  })
}

interface HttpsAnswer {
  readonly status: number
  readonly body: string
  readonly serial: string
}

/** GET over HTTPS with this SNI name and Host, trusting only Pebble's issuing root. */
async function httpsGet(servername: string, path = '/'): Promise<HttpsAnswer> {
  const ca = await pebble.issuingRoot()
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: httpsPort,
        path,
        servername,
        headers: { Host: servername },
        ca,
        agent: false,
        timeout: 5000,
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            serial: (response.socket as TLSSocket).getPeerCertificate().serialNumber,
          }),
        )
      },
    )
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')))
    req.on('error', reject)
    req.end()
  })
}

const httpGet = (host: string, path = '/') =>
  sendRequest({ port: httpPort, method: 'GET', path, headers: { Host: host } })

before(async () => {
  if (skip) return
  dir = await mkdtemp(join(tmpdir(), 'hostplane-acme-'))
  const content = join(dir, 'content')
  await mkdir(content)
  await writeFile(join(content, 'index.html'), '<h1>served over TLS</h1>\n')
  repos = join(dir, 'repos')
  await initLocalRepo(content, join(repos, 'site'))
  httpPort = await freePort()
  httpsPort = await freePort()
  dns = await startChallengeDns()
  pebble = await startPebble({ httpPort, dns, dir })
})

after(async () => {
  for (const run of [...running]) await stop(run)
  await pebble?.stop()
  await dns?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('hostplane serve with automatic TLS (ACME HTTP-01 against Pebble)', { skip }, () => {
  let serial: string

  it('gets a certificate for a configured site and serves its page over HTTPS, verified against Pebble’s root', async () => {
    const run = await serve('main', site('www', ['a.test']) + site('plain', ['plain.test'], 'none'))
    await until('a.test has a certificate', async () => (await issued(run)) === 1)
    const page = await httpsGet('a.test')
    assert.equal(page.status, 200)
    assert.match(page.body, /served over TLS/)
    serial = page.serial
    assert.equal(await orders(run), 1, 'one order, for a.test only: plain.test has tls.mode none')

    const redirect = await httpGet(`a.test:${httpPort}`, '/docs/?q=1')
    assert.equal(redirect.status, 301, 'HTTP redirects to HTTPS once the domain has a certificate')
    assert.equal(redirect.headers.location, `https://a.test:${httpsPort}/docs/?q=1`)
    const behindPort80 = await httpGet('a.test', '/')
    assert.equal(behindPort80.headers.location, 'https://a.test/', 'a Host without port came in on port 80')
    assert.equal(
      await metric(run, 'hostplane_serve_responses_total\\{code="301"\\}'),
      2,
      'redirects to HTTPS are counted with the other responses',
    )
    const plain = await httpGet('plain.test')
    assert.equal(plain.status, 200, 'a site without TLS keeps working over HTTP')
    assert.match(plain.body, /served over TLS/)

    const stored = join(dir, 'main', 'data', 'acme', `127.0.0.1-${new URL(pebble.directoryUrl).port}-dir`)
    assert.equal((await stat(join(stored, 'account.key'))).mode & 0o777, 0o600)
    assert.equal((await stat(join(stored, 'certificates', 'a.test.pem'))).mode & 0o777, 0o600)
    const status = (await (await fetch(`${run.serve.controlUrl}/status/tls`)).json()) as {
      domains: { domain: string; notAfter?: string; failures: number }[]
    }
    assert.deepEqual(
      status.domains.map(({ domain, failures }) => ({ domain, failures })),
      [{ domain: 'a.test', failures: 0 }],
    )
    assert.ok(status.domains[0]?.notAfter, 'the status names when the certificate expires')
  })

  it('places no order for unknown SNI names or Host headers, however many arrive', async () => {
    const [run] = running
    assert.ok(run)
    const names = Array.from({ length: 25 }, (_, i) => `attacker-${i}.test`)
    const handshakes = await Promise.allSettled(names.map((name) => httpsGet(name)))
    assert.ok(
      handshakes.every((result) => result.status === 'rejected'),
      'an unknown SNI name gets no certificate',
    )
    const answers = await Promise.all(names.map((name) => httpGet(name, '/.well-known/acme-challenge/x')))
    assert.ok(answers.every((answer) => answer.status === 404))
    await sleep(1000)
    assert.equal(await orders(run), 1)
  })

  it('reuses the stored account and certificate after a restart: no new order', async () => {
    const run = await serve('main', site('www', ['a.test']) + site('plain', ['plain.test'], 'none'))
    const page = await httpsGet('a.test')
    assert.equal(page.status, 200)
    assert.equal(page.serial, serial, 'the same certificate')
    await sleep(1500)
    assert.equal(await orders(run), 0)
    await stop(run)
  })

  it('orders at most the budget per window and defers the rest until the window has passed', async () => {
    const domains = ['b1.test', 'b2.test', 'b3.test', 'b4.test', 'b5.test']
    const started = Date.now()
    const sites = domains.map((domain) => site(domain.split('.')[0] ?? '', [domain])).join('')
    const run = await serve('budget', sites, { budgetOrders: 2, budgetWindowMs: 6000 })
    await until('two certificates are issued', async () => (await issued(run)) === 2, 5000)
    assert.equal(await orders(run), 2, 'no more orders than the budget')
    assert.equal(await metric(run, 'hostplane_acme_orders_deferred_total'), 3)
    assert.ok(run.lines.some((line) => line.includes('certificate order for b3.test deferred')))
    await until('all five are issued', async () => (await issued(run)) === 5, 30_000)
    assert.ok(Date.now() - started >= 12_000, 'five orders at two per 6 s take two windows')
    assert.equal(await orders(run), 5)
    for (const domain of domains) assert.equal((await httpsGet(domain)).status, 200)
    await stop(run)
  })

  it('keeps serving over HTTP when the CA is down, logs the domain and the reason, and retries with backoff', async () => {
    await pebble.stop()
    const run = await serve('down', site('www', ['down.test']))
    await until(
      'three orders have failed',
      async () => (await metric(run, 'hostplane_acme_orders_failed_total')) >= 3,
    )
    const failures = run.lines
      .map((line) => JSON.parse(line) as { domain?: string; reason?: string; msg: string; time: number })
      .filter((line) => line.msg.startsWith('ordering a certificate for down.test failed'))
    assert.ok(failures.length >= 3)
    assert.equal(failures[0]?.domain, 'down.test')
    assert.match(failures[0]?.reason ?? '', /ECONNREFUSED/)
    const [first, second, third] = failures.map((line) => line.time)
    assert.ok(first && second && third)
    assert.ok(
      third - second > second - first,
      `backoff grows: ${second - first} ms, then ${third - second} ms`,
    )
    const page = await httpGet('down.test')
    assert.equal(page.status, 200, 'the site is served over HTTP meanwhile')
    await stop(run)
  })

  it('renews a certificate when it enters its renewal window, while running and at the next start', async () => {
    pebble = await startPebble({ httpPort, dns, dir, validitySeconds: 9 })
    const run = await serve('renew', site('www', ['renew.test']))
    await until('renew.test has a certificate', async () => (await issued(run)) === 1)
    const first = await httpsGet('renew.test')
    await until('the certificate is renewed', async () => (await issued(run)) === 2, 20_000)
    const renewed = await httpsGet('renew.test')
    assert.notEqual(renewed.serial, first.serial)
    assert.ok(run.lines.some((line) => line.includes('"renewal":true')))
    await stop(run)

    // Stopped while the stored certificate enters its window (6 s of 9): renewed at the next start.
    await sleep(7000)
    const restarted = await serve('renew', site('www', ['renew.test']))
    await until('the stored certificate is renewed at startup', async () => (await issued(restarted)) === 1)
    assert.equal(await orders(restarted), 1)
    assert.equal(
      await metric(restarted, 'hostplane_acme_orders_failed_total'),
      0,
      'the stored account is looked up by its key, not registered again',
    )
    await stop(restarted)
  })
})
