/**
 * The image's bottom layer: a minimal Debian root file system made by mmdebstrap from the
 * mirror's packages (Essential set + the recipe's packages, no apt), with the hostplane user. Building
 * it takes minutes, so the layer is cached under cacheRoot()/image, keyed by the recipe and by
 * the mirror's package indexes (the SHA256 its signed InRelease gives for main's Packages file):
 * when Debian publishes a new package version the key changes and the base is built again.
 */
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { cachedLayer, LAYER_FILE } from './layer-cache.js'
import { type Layer, sha256, writeLayer } from './layer-tar.js'
import { BASE_EPOCH, DEBIAN, type DebianRecipe, USER } from './recipe.js'

const run = promisify(execFile)

export interface DebianBase {
  readonly layer: Layer
  /** `package version` per line, as installed (dpkg's database in the layer). */
  readonly packages: string
}

const PACKAGES_FILE = 'packages.txt'
const PASSWD = `${USER.name}:x:${USER.uid}:${USER.gid}:${USER.name}:/nonexistent:/usr/sbin/nologin`
const GROUP = `${USER.name}:x:${USER.gid}:`

/** mmdebstrap hooks run on the build machine with the root file system's path as $1. */
const CUSTOMIZE_HOOKS = [`echo '${PASSWD}' >> "$1/etc/passwd"`, `echo '${GROUP}' >> "$1/etc/group"`]

/** The entry of main's amd64 Packages index in a suite's InRelease: changes with any package. */
async function packageIndexOf(
  recipe: DebianRecipe,
  source: DebianRecipe['sources'][number],
): Promise<string> {
  const url = `${source.uri}/dists/${source.suite}/InRelease`
  const response = await fetch(url, { signal: AbortSignal.timeout(60_000) })
  if (!response.ok)
    throw new Error(`cannot read ${url} (HTTP ${response.status}): is the Debian mirror reachable?`)
  const index = `main/binary-${recipe.architecture}/Packages.xz`
  const text = await response.text()
  const sha256Section = text.slice(text.indexOf('\nSHA256:'))
  const line = sha256Section.split('\n').find((l) => l.trim().endsWith(` ${index}`))
  if (!line) throw new Error(`${url} lists no ${index}`)
  return `${url} ${line.trim()}`
}

async function baseKey(recipe: DebianRecipe): Promise<string> {
  const indexes = await Promise.all(recipe.sources.map((source) => packageIndexOf(recipe, source)))
  // The property is named DEBIAN so the hostplane base keeps the key (and cache) it always had.
  return sha256(JSON.stringify({ DEBIAN: recipe, BASE_EPOCH, CUSTOMIZE_HOOKS, indexes })).slice(
    'sha256:'.length,
    23,
  )
}

async function mmdebstrap(recipe: DebianRecipe, root: string): Promise<void> {
  await run(
    'mmdebstrap',
    [
      '--mode=root',
      '--variant=essential',
      `--architectures=${recipe.architecture}`,
      `--include=${recipe.packages.join(',')}`,
      ...recipe.dpkgExcludes.map((path) => `--dpkgopt=path-exclude=${path}`),
      ...recipe.dpkgIncludes.map((path) => `--dpkgopt=path-include=${path}`),
      ...CUSTOMIZE_HOOKS.map((hook) => `--customize-hook=${hook}`),
      recipe.suite,
      root,
      ...recipe.sources.map(({ uri, suite }) => `deb ${uri} ${suite} main`),
    ],
    {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(BASE_EPOCH) },
      timeout: 30 * 60_000,
      maxBuffer: 64 << 20,
    },
  ).catch((error: Error & { stderr?: string }) => {
    throw new Error(
      `mmdebstrap failed (apt-get install mmdebstrap; it runs as root): ${error.stderr?.slice(-3000) ?? error.message}`,
    )
  })
}

/** The Debian layer of `recipe` for the current mirror state, built on first use. */
export async function ensureDebianBase(
  log: (line: string) => void,
  recipe: DebianRecipe = DEBIAN,
): Promise<DebianBase> {
  const name = `debian-${recipe.suite}-${await baseKey(recipe)}`
  const { dir, layer } = await cachedLayer(
    name,
    async (work) => {
      log(
        `building the Debian ${recipe.suite} base of ${recipe.packages.join(', ')} with mmdebstrap (minutes; cached as ${name})`,
      )
      const root = join(work, 'root')
      await mmdebstrap(recipe, root)
      const { stdout } = await run('dpkg-query', [
        `--admindir=${root}/var/lib/dpkg`,
        '-W',
        '-f=${Package} ${Version}\\n',
      ])
      await writeFile(join(work, PACKAGES_FILE), stdout)
      // The runtime mounts /dev, /proc and /sys; mmdebstrap's device nodes stay out of the layer.
      return writeLayer(
        { dir: root, members: ['.'], epoch: BASE_EPOCH, exclude: ['./dev/*', './proc/*', './sys/*'] },
        join(work, LAYER_FILE),
      )
    },
    ['root'],
  )
  return { layer, packages: await readFile(join(dir, PACKAGES_FILE), 'utf8') }
}
