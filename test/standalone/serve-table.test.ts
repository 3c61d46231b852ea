/**
 * The shared request table against the assembled product: the real `hostplane serve` process
 * reads the table's sites as StaticSite YAML files, publishes each from a real git repository
 * with the syncer engine (local repositories), and answers every row — those nginx answers in a
 * cluster and those Traefik answers (canonical domains, pathPrefix, redirects and headers rules,
 * a custom notFound page).
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { versionValidators } from '../../src/serve/file-response.js'
import { waitFor } from '../cluster/process.js'
import { checkRow } from '../serving/check-row.js'
import { sendRequest } from '../serving/http-request.js'
import { FIXTURE_MTIME } from '../serving/published-tree.js'
import { ROWS, type Row, SITES } from '../serving/table.js'
import { type ServeProcess, startServe } from './serve-process.js'
import { type TableSite, tableRepository, tableSiteYaml } from './table-sites.js'

type Validators = ReturnType<typeof versionValidators>

/**
 * The table's validators are those of its fixture files; git checks files out with the time of
 * the publish, so rows that name them get the validators of the published file instead.
 */
function withValidators(row: Row, fixture: Validators, published: Validators): Row {
  const swap = <T extends string | null>(value: T): T | string =>
    value === fixture.etag ? published.etag : value === fixture.lastModified ? published.lastModified : value
  const mapValues = <T extends string | null>(headers: Readonly<Record<string, T>> | undefined) =>
    headers && Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, swap(value)]))
  return {
    ...row,
    headers: mapValues(row.headers),
    expect: { ...row.expect, headers: mapValues(row.expect.headers) },
  }
}

describe('the real hostplane serve process answers every row of the shared table', () => {
  let work: string
  let serve: ServeProcess
  let fixture: Validators
  let published: Validators

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hostplane-serve-table-'))
    const sitesDir = join(work, 'sites')
    const reposDir = join(work, 'repos')
    await mkdir(sitesDir)
    for (const name of Object.keys(SITES) as TableSite[]) {
      await tableRepository(work, reposDir, name)
      await writeFile(join(sitesDir, `${name}.yaml`), tableSiteYaml(name))
    }
    const dataDir = join(work, 'data')
    serve = await startServe(sitesDir, dataDir, ['--local-repos', reposDir])
    for (const site of Object.values(SITES))
      await waitFor(
        async () => {
          const home = await sendRequest({
            port: serve.port,
            method: 'GET',
            path: `${site.pathPrefix}/`,
            headers: { Host: site.domains[0] ?? '' },
          })
          return home.status === 200 ? true : undefined
        },
        { timeoutMs: 30_000, describe: () => `${site.key} was not published:\n${serve.output.all}` },
      )
    const file = await stat(join(dataDir, 'sites', SITES.blog.key, 'range.txt'))
    fixture = versionValidators(FIXTURE_MTIME.getTime(), file.size)
    published = versionValidators(file.mtimeMs, file.size)
  })
  after(async () => {
    await serve?.stop()
    await rm(work, { recursive: true, force: true })
  })

  it('has the path traversal, encoded NUL and oversized header rows among them', () => {
    const names = ROWS.map((row) => row.name).join('\n')
    for (const wanted of [/encoded slash after \.\./, /encoded NUL/, /oversized request headers/])
      assert.match(names, wanted)
  })

  for (const row of ROWS)
    it(`${row.name} [${row.layer}]`, () => checkRow(serve.port, withValidators(row, fixture, published)))
})
