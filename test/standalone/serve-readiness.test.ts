/**
 * `hostplane serve` is ready only once every site of the first scan was synced or failed once: a
 * Git host that accepts the connection and never answers keeps `/readyz` at 503 until the sync
 * gives up, while `/healthz` says the process is alive.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pino } from 'pino'
import { type Standalone, startStandalone } from '../../src/standalone/standalone-server.js'
import { sleep, waitFor } from '../cluster/process.js'
import { GitHttpServer } from '../git/git-server.js'

const LS_REMOTE_TIMEOUT_MS = 4000

let dir: string
let git: GitHttpServer
let serve: Standalone

const control = async (path: string) => (await fetch(`${serve.controlUrl}${path}`)).status

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostplane-readiness-'))
  git = await GitHttpServer.start(join(dir, 'repos'))
  await mkdir(join(dir, 'sites'))
  await writeFile(
    join(dir, 'sites', 'hang.yaml'),
    `apiVersion: hostplane.dev/v1alpha1
kind: StaticSite
metadata: {name: hang}
spec: {repo: '${git.hangingUrl('x.git')}'}
`,
  )
})
after(async () => {
  await serve?.stop()
  await git?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('hostplane serve readiness', () => {
  it('answers /readyz 503 while the first sync of a site hangs, and 200 once it gave up', async () => {
    const started = Date.now()
    serve = await startStandalone({
      sitesDir: join(dir, 'sites'),
      dataDir: join(dir, 'data'),
      listen: { host: '127.0.0.1', port: 0 },
      controlListen: { host: '127.0.0.1', port: 0 },
      allowedHosts: ['127.0.0.1'],
      allowedPrivateNetworks: ['127.0.0.1/32'],
      caFile: git.caFile,
      pagesDomain: 'localhost',
      webhookSecrets: {},
      timeouts: { lsRemoteMs: LS_REMOTE_TIMEOUT_MS },
      log: pino({ level: 'silent' }),
    })
    await sleep(1500)
    assert.equal(await control('/healthz'), 200)
    assert.equal(await control('/readyz'), 503, 'ready while the first sync still hangs')
    await waitFor(async () => ((await control('/readyz')) === 200 ? true : undefined), {
      timeoutMs: 30_000,
      describe: () => 'never ready after the hanging sync timed out',
    })
    assert.ok(Date.now() - started >= LS_REMOTE_TIMEOUT_MS, 'ready before the sync gave up')
  })
})
