/**
 * The one site the serving benchmarks serve: a StaticSite whose repository is a local one, read
 * by the built `hostplane serve` of a checkout with its defaults, as `npm start` runs it. Resolves
 * once the first file is served; the published trees are then readable by nginx's `nobody` worker.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { siteKey } from '../src/api/site-key.js'
import { initLocalRepo } from '../src/standalone/local-repo-init.js'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { waitFor } from '../test/cluster/process.js'
import { sendRequest } from '../test/serving/http-request.js'
import { type ServeProcess, startServe } from '../test/standalone/serve-process.js'

export const BENCH_HOST = 'bench.test'
/** The path prefix Traefik would add in front of nginx. */
export const BENCH_KEY = siteKey('bench', 'site')

const SITE_YAML = `apiVersion: hostplane.dev/v1alpha1
kind: StaticSite
metadata:
  name: site
  namespace: bench
spec:
  repo: https://repos.localhost/site
  domains: [${BENCH_HOST}]
`

export interface BenchSite {
  readonly serve: ServeProcess
  /** The directory of publish links (nginx's root). */
  readonly sitesRoot: string
}

export async function serveBenchSite(
  work: string,
  files: Readonly<Record<string, string>>,
  {
    checkout = REPO_ROOT,
    nodeOptions = [],
  }: { readonly checkout?: string; readonly nodeOptions?: readonly string[] } = {},
): Promise<BenchSite> {
  const content = join(work, 'content')
  const sitesDir = join(work, 'sites')
  const dataDir = join(work, 'data')
  await mkdir(content, { recursive: true })
  await mkdir(sitesDir, { recursive: true })
  for (const [name, body] of Object.entries(files)) await writeFile(join(content, name), body)
  await initLocalRepo(content, join(work, 'repos', 'site'))
  await writeFile(join(sitesDir, 'site.yaml'), SITE_YAML)
  const serve = await startServe(
    sitesDir,
    dataDir,
    ['--local-repos', join(work, 'repos')],
    [...nodeOptions, join(checkout, 'build', 'src', 'cli', 'main.js')],
  )
  try {
    const first = `/${Object.keys(files)[0] ?? ''}`
    await waitFor(
      async () => {
        const response = await sendRequest({
          port: serve.port,
          method: 'GET',
          path: first,
          headers: { Host: BENCH_HOST },
        })
        return response.status === 200 ? true : undefined
      },
      {
        timeoutMs: 60_000,
        intervalMs: 100,
        describe: () => `the site was not published:\n${serve.output.all}`,
      },
    )
    await chmod(dataDir, 0o755)
  } catch (error) {
    await serve.stop()
    throw error
  }
  return { serve, sitesRoot: join(dataDir, 'sites') }
}
