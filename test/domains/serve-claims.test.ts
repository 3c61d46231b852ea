/**
 * The shared claim table (claim-table.ts) against `hostplane serve`: the standalone server in
 * this process, one per row, reading StaticSite files, publishing each site from its own local git
 * repository, and answering on a real listener. A routed site answers its page through the
 * server's router; a refused one is not routed (its URL does not answer with its page) and its
 * status (`GET /status/sites`, the log line) carries the reason and message a cluster would.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { stringify } from 'yaml'
import { createLogger } from '../../src/ops/log.js'
import { initLocalRepo } from '../../src/standalone/local-repo-init.js'
import type { SiteStatus } from '../../src/standalone/routed-sites.js'
import { type Standalone, startStandalone } from '../../src/standalone/standalone-server.js'
import { waitFor } from '../cluster/process.js'
import { sendRequest } from '../serving/http-request.js'
import { CLAIM_ROWS, type Names, siteId, type TableSite } from './claim-table.js'

const PAGES_DOMAIN = 'pages.test'
const names: Names = { ns: (name) => name, domain: (name) => name, pagesDomain: PAGES_DOMAIN }
const marker = (site: Pick<TableSite, 'namespace' | 'name'>) => `page of ${siteId(site)}`
const fileOf = (id: string) => `${id.replace('/', '.')}.yaml`

let work: string

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hostplane-serve-claims-'))
})
after(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('the shared claim table against hostplane serve', () => {
  CLAIM_ROWS.forEach((row, index) => {
    it(row.name, async () => {
      const dir = join(work, `row-${index}`)
      const sitesDir = join(dir, 'sites')
      const reposDir = join(dir, 'repos')
      const staging = join(dir, 'staging')
      for (const d of [sitesDir, reposDir, staging]) await mkdir(d, { recursive: true })
      const lines: string[] = []
      const serve = await startStandalone({
        sitesDir,
        dataDir: join(dir, 'data'),
        listen: { host: '127.0.0.1', port: 0 },
        controlListen: { host: '127.0.0.1', port: 0 },
        allowedHosts: [],
        localRepos: reposDir,
        pagesDomain: PAGES_DOMAIN,
        webhookSecrets: {},
        rescanIntervalMs: 3_600_000,
        log: createLogger({
          name: 'serve-claims',
          level: 'info',
          destination: new Writable({
            write(chunk: Buffer, _encoding, done) {
              for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
                lines.push((JSON.parse(line) as { msg: string }).msg)
              done()
            },
          }),
        }),
      })
      try {
        const sites = new Map<string, TableSite>()
        for (const step of row.steps(names)) {
          for (const site of step.add ?? []) {
            sites.set(siteId(site), site)
            await siteRepo(dir, reposDir, site)
            await writeFile(join(staging, fileOf(siteId(site))), siteYaml(site))
          }
          // Moved in together, so one scan finds them: the sites of a step claim at the same time.
          for (const site of step.add ?? [])
            await rename(join(staging, fileOf(siteId(site))), join(sitesDir, fileOf(siteId(site))))
          if (step.remove) await unlink(join(sitesDir, fileOf(step.remove)))
          await serve.rescan()
          await waitFor(async () => (scanned(serve, step.add, step.remove) ? true : undefined), {
            timeoutMs: 10_000,
            describe: () => `serve never read the files of the step:\n${lines.join('\n')}`,
          })
          for (const [id, outcome] of Object.entries(step.expect)) {
            const site = sites.get(id)
            assert.ok(site, `${id} is a site of the row`)
            const status = serve.status().find((s) => s.site === id)
            if (outcome.routed) {
              assert.equal(status?.routed, true, `${id} is routed: ${JSON.stringify(status)}`)
              await answers(serve, site, outcome.host)
            } else {
              assert.deepEqual(
                { reason: status?.reason, message: status?.message },
                { reason: outcome.reason, message: outcome.message },
              )
              assert.ok(
                lines.some((line) => line.includes(`${outcome.reason}: ${outcome.message}; not routed`)),
                `a log line gives the reason and message of ${id}`,
              )
              const control = new URL(serve.controlUrl)
              const listed = JSON.parse(
                (
                  await sendRequest({
                    port: Number(control.port),
                    method: 'GET',
                    path: '/status/sites',
                    headers: {},
                  })
                ).body,
              ) as { sites: SiteStatus[] }
              assert.equal(listed.sites.find((s) => s.site === id)?.reason, outcome.reason)
              for (const domain of site.domains ?? [`${site.name}-${site.namespace}.${PAGES_DOMAIN}`]) {
                const response = await get(serve, domain, `${site.pathPrefix ?? ''}/`)
                assert.ok(
                  !response.body.includes(marker(site)),
                  `${domain} does not answer with ${id}'s page`,
                )
              }
            }
          }
        }
      } finally {
        await serve.stop()
      }
    })
  })
})

const scanned = (serve: Standalone, added: readonly TableSite[] = [], removed?: string) => {
  const ids = new Set(serve.status().map((s) => s.site))
  return added.every((site) => ids.has(siteId(site))) && (!removed || !ids.has(removed))
}

const get = (serve: Standalone, host: string, path: string) =>
  sendRequest({ port: Number(new URL(serve.url).port), method: 'GET', path, headers: { Host: host } })

/** Waits until `host` answers the site's page (the first sync may still run). */
const answers = (serve: Standalone, site: TableSite, host: string) =>
  waitFor(
    async () => {
      const response = await get(serve, host, `${site.pathPrefix ?? ''}/`)
      return response.status === 200 && response.body.includes(marker(site)) ? true : undefined
    },
    { timeoutMs: 30_000, describe: () => `${host}${site.pathPrefix ?? ''}/ never answered ${siteId(site)}` },
  )

async function siteRepo(dir: string, reposDir: string, site: TableSite): Promise<void> {
  const content = join(dir, 'content', site.namespace, site.name)
  await mkdir(content, { recursive: true })
  await writeFile(join(content, 'index.html'), `<h1>${marker(site)}</h1>`)
  await initLocalRepo(content, join(reposDir, repoName(site)))
}

const repoName = (site: TableSite) => `${site.namespace}.${site.name}`

const siteYaml = (site: TableSite) =>
  stringify({
    apiVersion: 'hostplane.dev/v1alpha1',
    kind: 'StaticSite',
    metadata: { name: site.name, namespace: site.namespace },
    spec: {
      repo: `https://repos.localhost/${repoName(site)}`,
      ...(site.domains ? { domains: site.domains } : {}),
      ...(site.pathPrefix ? { pathPrefix: site.pathPrefix } : {}),
    },
  })
