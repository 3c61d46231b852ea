import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { loadSiteFiles, type SiteFileCache } from './site-files.js'

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
