import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  keepLastValid,
  loadSiteFiles,
  parseSiteFile,
  type ParsedSiteFile,
  type SiteFileCache,
} from './site-files.js'

const site = (name: string) =>
  `apiVersion: hostplane.dev/v1alpha1\nkind: StaticSite\nmetadata: {name: ${name}}\nspec: {repo: https://repos.localhost/x}\n`

describe('loadSiteFiles with a cache', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostplane-site-files-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('reuses what an unchanged file held, reads a changed file again and forgets a deleted one', async () => {
    const cache: SiteFileCache = new Map()
    await writeFile(join(dir, 'a.yaml'), site('a'))
    await writeFile(join(dir, 'b.yaml'), site('b'))
    const first = await loadSiteFiles(dir, cache)
    await writeFile(join(dir, 'b.yaml'), site('renamed'))
    await rm(join(dir, 'a.yaml'))
    await writeFile(join(dir, 'c.yaml'), site('c'))
    const second = await loadSiteFiles(dir, cache)
    assert.deepEqual(
      second.sites.map((s) => s.site.metadata.name),
      ['renamed', 'c'],
    )
    assert.deepEqual([...cache.keys()], [join(dir, 'b.yaml'), join(dir, 'c.yaml')])
    const third = await loadSiteFiles(dir, cache)
    assert.equal(third.sites[1], second.sites[1], 'the unchanged file is not parsed again')
    assert.notEqual(first.sites[1], second.sites[0])
  })
})

describe('parseSiteFile', () => {
  it('locates a YAML error by line and column, as hostplane validate does, on one line', () => {
    const parsed = parseSiteFile('s.yaml', `${site('a')}  domains: [\n`)
    assert.equal(parsed.broken, true)
    assert.deepEqual(parsed.sites, [])
    assert.equal(parsed.problems.length, 1)
    assert.match(parsed.problems[0] ?? '', /^s\.yaml: invalid YAML: .* at line \d+, column \d+$/)
  })

  it('counts a valid resource of another kind as a notice, not a broken file', () => {
    const customer =
      'apiVersion: hostplane.dev/v1alpha1\nkind: Customer\nmetadata: {name: acme}\nspec: {displayName: Acme, email: ops@acme.test, tier: shared, size: small}\n'
    assert.equal(parseSiteFile('c.yaml', customer).broken, false)
  })

  it('says that a Database runs in a cluster only, beside the sites of its file', () => {
    const database =
      'apiVersion: hostplane.dev/v1alpha1\nkind: Database\nmetadata: {name: shop}\nspec: {engine: MariaDB}\n'
    const parsed = parseSiteFile('shop.yaml', `${site('a')}---\n${database}`)
    assert.equal(parsed.broken, false)
    assert.deepEqual(
      parsed.sites.map((entry) => entry.site.metadata.name),
      ['a'],
    )
    assert.match(
      parsed.problems[0] ?? '',
      /^shop\.yaml \(document 2\): kind: Database is valid but hostplane serve runs no databases: they run in a cluster \(docs\/databases\.md\)/,
    )
  })

  it('reports an alias bomb as a broken file in one line instead of throwing', () => {
    const levels = Array.from(
      { length: 12 },
      (_, i) => `l${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(', ')}]`,
    )
    const parsed = parseSiteFile('bomb.yaml', ['l0: &l0 [x]', ...levels].join('\n'))
    assert.equal(parsed.broken, true)
    assert.equal(parsed.problems.length, 1)
    assert.match(parsed.problems[0] ?? '', /^bomb\.yaml: invalid YAML: /)
  })
})

describe('keepLastValid', () => {
  const names = (parsed: ParsedSiteFile) => parsed.sites.map((entry) => entry.site.metadata.name)
  const good = parseSiteFile('f.yaml', `${site('a')}---\n${site('b')}`)
  const cases: [string, ParsedSiteFile | undefined, string, string[]][] = [
    ['keeps every site of a file that turned into invalid YAML', good, 'spec: [', ['a', 'b']],
    [
      'uses what a half-broken file still defines and keeps the rest',
      good,
      `${site('a').replace('x}', 'y}')}---\nspec: [`,
      ['a', 'b'],
    ],
    [
      'keeps a site whose document the schema now refuses',
      good,
      site('a').replace('https', 'http'),
      ['a', 'b'],
    ],
    ['drops a site a file that reads without error no longer defines', good, site('a'), ['a']],
    ['drops every site of a file emptied without error', good, '', []],
    ['has nothing to keep for a file that was broken from the start', undefined, 'spec: [', []],
  ]
  for (const [name, previous, text, expected] of cases)
    it(name, () => assert.deepEqual(names(keepLastValid(previous, parseSiteFile('f.yaml', text))), expected))

  it('uses the new definition of a site the broken file still defines, and says which sites are kept', () => {
    const next = keepLastValid(good, parseSiteFile('f.yaml', `${site('a').replace('x}', 'y}')}---\nspec: [`))
    assert.equal(next.sites[0]?.site.spec.repo, 'https://repos.localhost/y')
    assert.match(
      next.problems.at(-1) ?? '',
      /^f\.yaml \(document 2\): StaticSite default\/b keeps its last valid definition until the file is fixed$/,
    )
  })
})
