/**
 * Builds publish stores the way the syncer does, for serving tests and the benchmark: each commit
 * an immutable tree, `<root>/<site key>` a symlink to it switched by atomic rename. Where trees
 * live is a parameter (`treeDir`), so the tests follow the syncer's layout whatever it settles on.
 */
import { chmod, mkdir, rename, symlink, utimes, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'

/** A file's content, or a symlink the syncer should have dropped (the serving layer must not follow it). */
export type TreeEntry = string | Buffer | { readonly symlink: string }

export type TreeDir = (root: string, key: string, commit: string) => string

export const defaultTreeDir: TreeDir = (root, key, commit) => join(root, '.trees', key, commit)

/** Every fixture file gets this mtime, so validators (ETag, Last-Modified) are known in advance. */
export const FIXTURE_MTIME = new Date('2024-01-02T03:04:05Z')

export async function publishTree(
  root: string,
  key: string,
  commit: string,
  entries: Readonly<Record<string, TreeEntry>>,
  treeDir: TreeDir = defaultTreeDir,
): Promise<string> {
  const tree = treeDir(root, key, commit)
  await mkdir(tree, { recursive: true })
  for (const [path, entry] of Object.entries(entries)) {
    const file = join(tree, path)
    await mkdir(dirname(file), { recursive: true })
    if (typeof entry === 'object' && 'symlink' in entry) await symlink(entry.symlink, file)
    else if (path.endsWith('/')) await mkdir(file, { recursive: true })
    else {
      await writeFile(file, entry)
      await utimes(file, FIXTURE_MTIME, FIXTURE_MTIME)
    }
  }
  // Readable by nginx workers, which run as another user when the tests run as root.
  await chmod(root, 0o755)
  const link = join(root, key)
  const next = `${link}.next`
  await symlink(relative(root, tree), next)
  await rename(next, link)
  return tree
}
