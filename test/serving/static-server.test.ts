import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { connect } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pino } from 'pino'
import { servedSite } from '../../src/serve/served-site.js'
import { type ResponseEvent, StaticServer } from '../../src/serve/static-server.js'
import { checkRow, publishTable } from './check-row.js'
import { sendRequest } from './http-request.js'
import { publishTree } from './published-tree.js'
import { ROWS, SITES } from './table.js'

const silent = pino({ level: 'silent' })

describe('the built-in server answers every row of the shared table', () => {
  let root: string
  let server: StaticServer
  let port: number

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hostplane-serve-'))
    await publishTable(root)
    server = new StaticServer({ sites: Object.values(SITES), root, log: silent })
    port = (await server.listen(0)).port
  })
  after(async () => {
    await server.close(100)
    await rm(root, { recursive: true, force: true })
  })

  for (const row of ROWS) it(`${row.name} [${row.layer}]`, () => checkRow(port, row))
})

describe('the built-in server', () => {
  let root: string
  let now: number
  let server: StaticServer
  let port: number
  const site = servedSite('ns--site', { domains: ['site.test'] })
  const get = (path: string, headers: Record<string, string> = {}) =>
    sendRequest({ port, method: 'GET', path, headers: { Host: 'site.test', ...headers } })

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hostplane-serve-'))
    await publishTree(root, site.key, 'c1', {
      'index.html': 'first commit',
      'big.bin': Buffer.alloc(300_000, 'b'),
    })
    now = 0
    server = new StaticServer({ sites: [site], root, log: silent, clock: () => now })
    port = (await server.listen(0)).port
  })
  after(async () => {
    await server.close(100)
    await rm(root, { recursive: true, force: true })
  })

  it('serves the new tree after the publish link switches and the syncer notifies', async () => {
    assert.equal((await get('/')).body, 'first commit')
    await publishTree(root, site.key, 'c2', { 'index.html': 'second commit' })
    server.notifyPublished(site.key)
    assert.equal((await get('/')).body, 'second commit')
  })

  it('sees a switched publish link by itself once the link TTL has passed', async () => {
    await publishTree(root, site.key, 'c3', { 'index.html': 'third commit' })
    now += 60_000
    // The expired link is re-read in the background of a request; a loaded machine may need a few.
    let body = ''
    for (let attempt = 0; attempt < 50 && body !== 'third commit'; attempt++) {
      body = (await get('/')).body
      if (body !== 'third commit') await new Promise((resolve) => setTimeout(resolve, 20))
    }
    assert.equal(body, 'third commit')
  })

  it('streams a file too large to keep in memory, ranges included', async () => {
    await publishTree(root, site.key, 'c4', { 'big.bin': Buffer.alloc(300_000, 'b') })
    server.notifyPublished(site.key)
    const whole = await get('/big.bin')
    assert.equal(whole.status, 200)
    assert.equal(whole.body.length, 300_000)
    const tail = await get('/big.bin', { Range: 'bytes=299990-' })
    assert.equal(tail.status, 206)
    assert.equal(tail.body, 'b'.repeat(10))
  })

  it('routes a new site after updateSites, and stops routing a removed one', async () => {
    const other = servedSite('ns--other', { domains: ['other.test'] })
    await publishTree(root, other.key, 'c1', { 'index.html': 'other site' })
    const ask = () => sendRequest({ port, method: 'GET', path: '/', headers: { Host: 'other.test' } })
    assert.equal((await ask()).status, 404)
    server.updateSites([site, other])
    assert.equal((await ask()).body, 'other site')
    server.updateSites([site])
    assert.equal((await ask()).status, 404)
  })

  it('does not serve a publish link that points outside the root', async () => {
    const escaped = servedSite('ns--escaped', { domains: ['escaped.test'] })
    const outside = await mkdtemp(join(tmpdir(), 'hostplane-outside-'))
    await writeFile(join(outside, 'index.html'), 'outside the root')
    await publishTree(root, escaped.key, 'c1', {}, () => outside)
    server.updateSites([site, escaped])
    const response = await sendRequest({ port, method: 'GET', path: '/', headers: { Host: 'escaped.test' } })
    assert.equal(response.status, 404)
    server.updateSites([site])
    await rm(outside, { recursive: true, force: true })
  })

  it('answers 400 to an HTTP/1.0 request without Host', async () => {
    const socket = connect(port, '127.0.0.1')
    socket.end('GET / HTTP/1.0\r\n\r\n')
    let answer = ''
    for await (const chunk of socket) answer += String(chunk)
    assert.match(answer, /^HTTP\/1\.1 400 /)
  })

  it('answers 404, and keeps running, when the publish root does not exist', async () => {
    const lost = new StaticServer({ sites: [site], root: join(root, 'no-such-root'), log: silent })
    const lostPort = (await lost.listen(0)).port
    try {
      const response = await sendRequest({
        port: lostPort,
        method: 'GET',
        path: '/',
        headers: { Host: 'site.test' },
      })
      assert.equal(response.status, 404)
    } finally {
      await lost.close(100)
    }
  })
})

describe('the built-in server reports every answer for the metrics', () => {
  const site = servedSite('ns--site', { domains: ['site.test'] })
  let root: string
  let server: StaticServer
  let port: number
  const answers: ResponseEvent[] = []

  /** Sends raw bytes, and returns the status line of the answer. */
  async function rawStatusLine(request: string): Promise<string> {
    const socket = connect(port, '127.0.0.1')
    socket.write(request)
    let answer = ''
    for await (const chunk of socket) answer += String(chunk)
    return answer.split('\r\n')[0] ?? ''
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hostplane-serve-'))
    await publishTree(root, site.key, 'c1', { 'index.html': 'home' })
    server = new StaticServer({
      sites: [site],
      root,
      log: silent,
      onResponse: (event) => answers.push(event),
    })
    port = (await server.listen(0)).port
  })
  after(async () => {
    await server.close(100)
    await rm(root, { recursive: true, force: true })
  })

  const refused: [string, string, string][] = [
    [
      'a request line past the head limit',
      `GET /${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: site.test\r\n\r\n`,
      'HTTP/1.1 414 URI Too Long',
    ],
    [
      'request headers past the head limit',
      `GET / HTTP/1.1\r\nHost: site.test\r\nCookie: ${'c'.repeat(20 * 1024)}\r\n\r\n`,
      'HTTP/1.1 431 Request Header Fields Too Large',
    ],
    ['a malformed header', 'GET / HTTP/1.1\r\nHost site.test\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
  ]
  for (const [name, request, statusLine] of refused)
    it(`answers and counts ${name}, which node's parser refuses`, async () => {
      answers.length = 0
      assert.equal(await rawStatusLine(request), statusLine)
      assert.deepEqual(answers, [{ site: undefined, status: Number(statusLine.split(' ')[1]) }])
    })

  it('counts a served request with its site', async () => {
    answers.length = 0
    await sendRequest({ port, method: 'GET', path: '/', headers: { Host: 'site.test' } })
    assert.deepEqual(answers, [{ site: site.key, status: 200 }])
  })
})

describe('the built-in server under slow and idle clients', () => {
  const site = servedSite('ns--site', { domains: ['site.test'] })
  let root: string

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hostplane-serve-'))
    await publishTree(root, site.key, 'c1', { 'index.html': 'home' })
  })
  after(() => rm(root, { recursive: true, force: true }))

  it('drops a client that does not finish its headers within the header timeout', async () => {
    const server = new StaticServer({
      sites: [site],
      root,
      log: silent,
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 300 },
    })
    const { port } = await server.listen(0)
    try {
      const started = Date.now()
      const socket = connect(port, '127.0.0.1')
      socket.write('GET / HTTP/1.1\r\nHost: site.test\r\nX-Slow: ')
      let answer = ''
      for await (const chunk of socket) answer += String(chunk)
      assert.match(answer, /^HTTP\/1\.1 408 /)
      assert.ok(Date.now() - started < 3000, `closed after ${Date.now() - started} ms`)
    } finally {
      await server.close(100)
    }
  })

  it('closes at once with an idle keep-alive connection open', async () => {
    const server = new StaticServer({ sites: [site], root, log: silent })
    const { port } = await server.listen(0)
    const socket = connect(port, '127.0.0.1')
    socket.write('GET / HTTP/1.1\r\nHost: site.test\r\n\r\n')
    await new Promise((resolve) => socket.once('data', resolve))
    const started = Date.now()
    await server.close(5000)
    assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`)
    socket.destroy()
  })
})
