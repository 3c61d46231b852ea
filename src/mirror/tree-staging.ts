/**
 * Writes one revision's tree into a staged directory of the mirror's publish store, from its
 * manifest: a file the site's served tree already has (same sha256 and mode) is hard-linked from
 * it (trees are never modified, so sharing an inode is safe and costs no disk), any other file is
 * downloaded and verified. The caller publishes or discards the directory.
 */
import { link, mkdir, symlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { PublishStore } from '../syncer/publish-store.js'
import { eachLimited } from './each-limited.js'
import type { FeedClient } from './feed-client.js'
import type { ManifestFile, SiteRevision, TreeManifest } from './feed-protocol.js'
import type { TreeManifests } from './tree-manifest.js'

export interface StagingResult {
  readonly fetchedBytes: number
  readonly reusedFiles: number
}

const identity = (file: ManifestFile) => `${file.sha256}:${file.executable}`

export async function stageTree(
  {
    store,
    client,
    manifests,
    downloads,
  }: { store: PublishStore; client: FeedClient; manifests: TreeManifests; downloads: number },
  site: SiteRevision,
  manifest: TreeManifest,
  staged: string,
): Promise<StagingResult> {
  const local = new Map<string, string>()
  const served = await store.served(site.key)
  if (served) {
    const dir = store.treeDir(site.key, served.tree)
    for (const file of (await manifests.of(dir)).files) local.set(identity(file), join(dir, file.path))
  }
  const parents = new Set(
    [...manifest.files, ...manifest.symlinks].map((entry) => dirname(join(staged, entry.path))),
  )
  for (const parent of parents) await mkdir(parent, { recursive: true })
  for (const entry of manifest.symlinks) await symlink(entry.target, join(staged, entry.path))

  let fetchedBytes = 0
  let reusedFiles = 0
  await eachLimited(manifest.files, downloads, async (file) => {
    const dest = join(staged, file.path)
    const same = local.get(identity(file))
    if (
      same &&
      (await link(same, dest).then(
        () => true,
        () => false,
      ))
    ) {
      reusedFiles++
      return
    }
    await client.download(site.key, site.tree, file, dest)
    fetchedBytes += file.size
  })
  return { fetchedBytes, reusedFiles }
}
