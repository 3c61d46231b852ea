import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nginxPrefix } from '../../src/api/site-key.js'
import { after, before, describe, it } from 'node:test'
import { HEALTH_PATH, renderNginxConfig } from '../../src/serve/nginx-config.js'
import { runOrThrow } from '../cluster/process.js'
import { checkRow, publishTable } from './check-row.js'
import { NGINX_BINARY, nginxUnavailable, type RunningNginx, startNginx } from './nginx-for-tests.js'
import { ROWS, type Row, SITES } from './table.js'

/** The request Traefik sends nginx after routing: pathPrefix stripped, the operator's addPrefix added. */
function afterTraefik(row: Row): string {
  const site = SITES[row.site]
  const rest = row.path.slice(site.pathPrefix.length)
  return `${nginxPrefix(site.key, site.fallback)}${rest.startsWith('/') ? rest : `/${rest}`}`
}

/** A path short enough for a test name (the long-URL rows send 20 KiB). */
const shortened = (path: string) => (path.length > 80 ? `${path.slice(0, 60)}… (${path.length} bytes)` : path)

const skip = await nginxUnavailable()

describe(
  "Debian's nginx with the rendered configuration answers the nginx rows of the shared table",
  { skip },
  () => {
    let work: string
    let nginx: RunningNginx

    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'hostplane-nginx-'))
      const root = join(work, 'sites')
      await publishTable(root)
      nginx = await startNginx({ root, workDir: work })
    })
    after(async () => {
      await nginx?.stop()
      await rm(work, { recursive: true, force: true })
    })

    for (const row of ROWS.filter((r) => r.layer === 'nginx'))
      it(`${row.name} [${shortened(afterTraefik(row))}]`, () => checkRow(nginx.port, row, afterTraefik(row)))

    it('starts without any warning about the configuration (`nginx -t`)', async () => {
      const conf = join(work, 'check.conf')
      await writeFile(
        conf,
        renderNginxConfig({ root: join(work, 'sites'), runDir: join(work, 'run'), accessLog: false }),
      )
      const { stderr } = await runOrThrow(NGINX_BINARY, ['-t', '-p', work, '-c', conf])
      assert.doesNotMatch(stderr, /\[(warn|emerg|alert|crit|error)\]/, stderr)
      assert.match(stderr, /test is successful/)
    })

    it(`answers the kubelet's probes at ${HEALTH_PATH} without any site`, async () => {
      const response = await fetch(`http://127.0.0.1:${nginx.port}${HEALTH_PATH}`)
      assert.equal(response.status, 200)
      assert.equal(await response.text(), 'ok\n')
    })
  },
)
