/**
 * The sites of the shared request table (test/serving/table.ts) as `hostplane serve` reads them:
 * a git repository per site, holding what git can hold of the site's tree (no `.git` directory,
 * no empty directories; symlinks are committed and left to the syncer's tree filter), and the
 * StaticSite YAML that normalises to the table's ServedSite.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { stringify } from 'yaml'
import { DEFAULT_NOT_FOUND_PAGE } from '../../src/serve/served-site.js'
import { initLocalRepo } from '../../src/standalone/local-repo-init.js'
import { SITES, TREES } from '../serving/table.js'

export type TableSite = keyof typeof SITES

/** Creates the local repository `<reposDir>/<site>` from the table's tree, via `<workDir>/<site>`. */
export async function tableRepository(workDir: string, reposDir: string, name: TableSite): Promise<void> {
  const content = join(workDir, `${name}-content`)
  await mkdir(content, { recursive: true })
  for (const [path, entry] of Object.entries(TREES[name])) {
    if (path.startsWith('.git/') || path.endsWith('/')) continue
    const target = join(content, path)
    await mkdir(dirname(target), { recursive: true })
    if (typeof entry === 'object' && 'symlink' in entry) await symlink(entry.symlink, target)
    else await writeFile(target, entry)
  }
  await initLocalRepo(content, join(reposDir, name))
}

/** StaticSite YAML for a table site, published from the local repository `repo` (default: its own). */
export function tableSiteYaml(name: TableSite, repo: string = name): string {
  const site = SITES[name]
  const [namespace, siteName] = site.key.split('--')
  const spec = {
    repo: `https://repos.localhost/${repo}`,
    domains: site.domains,
    ...(site.pathPrefix ? { pathPrefix: site.pathPrefix } : {}),
    ...(site.notFound === DEFAULT_NOT_FOUND_PAGE ? {} : { notFound: site.notFound }),
    ...(site.fallback === 'index' ? { fallback: site.fallback } : {}),
    ...(site.headers.length > 0 ? { headers: site.headers } : {}),
    ...(site.redirects.length > 0 ? { redirects: site.redirects } : {}),
  }
  return stringify({
    apiVersion: 'hostplane.dev/v1alpha1',
    kind: 'StaticSite',
    metadata: { name: siteName, namespace },
    spec,
  })
}
