import assert from 'node:assert/strict'
import { mkdir, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { KubeRest } from '../../src/kube/rest.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { run } from '../cluster/process.js'
import { GitServerRun, type KeyPair, keyPair } from './harness.js'

const env = await clusterForTests()

/** Milliseconds until the server closes a TCP connection that sends nothing; the banner it sent. */
const silentConnection = (port: number) =>
  new Promise<{ ms: number; banner: string }>((resolve, reject) => {
    const started = Date.now()
    let banner = ''
    const socket = connect(port, '127.0.0.1')
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (banner += chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve({ ms: Date.now() - started, banner }))
  })

describe('hostplane gitserver limits and timeouts', { skip: env.skip }, () => {
  let admin: KubeRest
  let gs: GitServerRun
  let customer: string
  let key: KeyPair

  before(async () => {
    const cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    gs = await GitServerRun.create(cluster, admin)
    await mkdir(join(gs.dir, 'keys'))
    key = await keyPair(join(gs.dir, 'keys'), 'owner')
    customer = await gs.customer('limits', { sshKeys: [key.publicKey] })
    await gs.start(['--handshake-timeout', '2s', '--idle-timeout', '2s', '--connections-per-minute', '8'])
  })

  after(async () => {
    if (gs) {
      await gs.stop()
      await gs.removeCustomers([customer].filter(Boolean))
      await rm(gs.dir, { recursive: true, force: true })
    }
    admin?.close()
    await env.release()
  })

  it('closes a connection that does not finish the handshake in time', async () => {
    const { ms, banner } = await silentConnection(gs.sshPort)
    assert.match(banner, /^SSH-2\.0-hostplane/)
    assert.ok(ms >= 1500 && ms < 8000, `closed after ${ms} ms`)
    assert.match(
      await gs.metrics(),
      /hostplane_gitserver_connections_closed_total\{reason="handshake_timeout"\} 1/,
    )
  })

  it('closes an authenticated connection that runs nothing once it is idle', async () => {
    const started = Date.now()
    const idle = await run('ssh', [...gs.sshOptions([key.file]), '-N', 'git@127.0.0.1'], {
      timeoutMs: 30_000,
    })
    assert.notEqual(idle.code, 0)
    const ms = Date.now() - started
    assert.ok(ms >= 1500 && ms < 10_000, `closed after ${ms} ms`)
    assert.match(
      await gs.metrics(),
      /hostplane_gitserver_connections_closed_total\{reason="idle_timeout"\} 1/,
    )
  })

  it('refuses new connections from an address over its limit per minute, before any key exchange', async () => {
    // Two connections so far; the limit is 8 a minute.
    const results = []
    for (let i = 0; i < 8; i++) results.push(await silentConnection(gs.sshPort))
    const refused = results.filter((r) => r.banner === '')
    assert.equal(refused.length, 2, 'the 9th and 10th connection of the minute got no SSH banner')
    assert.ok(
      refused.every((r) => r.ms < 1000),
      'and were closed at once',
    )
    assert.match(await gs.metrics(), /hostplane_gitserver_connections_total\{result="rate_limited"\} 2/)
  })
})
