/**
 * The layers above Debian: the pinned Node 24 LTS binary (scripts/node-runtime.ts, the one way
 * hostplane gets Node), the production dependencies (`npm ci --omit=dev` of package-lock.json),
 * and the compiled app (`npm run build`'s build/src with package.json, which makes its .js files
 * ES modules and gives `hostplane --version`). Root owns all of them; user 10001 only reads them.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFile, cp, mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { REPO_ROOT } from '../../test/cluster/paths.js'
import { ensureNodeRuntime } from '../node-runtime.js'
import { cachedLayer, LAYER_FILE } from './layer-cache.js'
import { type Layer, writeLayer } from './layer-tar.js'
import { APP_DIR, BASE_EPOCH, NODE_PATH } from './recipe.js'

const run = promisify(execFile)

/** A directory tree placed at `/` of the image, as `tar` members below `stage`. */
const rootOwnedLayer = (stage: string, members: readonly string[], epoch: number, out: string) =>
  writeLayer({ dir: stage, members, epoch, rootOwned: true }, out)

export async function nodeLayer(log: (line: string) => void): Promise<Layer> {
  const runtime = await ensureNodeRuntime(log)
  const { layer } = await cachedLayer(
    `node-${runtime.version}`,
    async (work) => {
      const stage = join(work, 'stage')
      await mkdir(join(stage, 'usr', 'local', 'bin'), { recursive: true })
      await mkdir(join(stage, 'usr', 'local', 'share', 'doc', 'node'), { recursive: true })
      await copyFile(runtime.node, join(stage, NODE_PATH))
      await copyFile(
        join(runtime.binDir, '..', 'LICENSE'),
        join(stage, 'usr', 'local', 'share', 'doc', 'node', 'LICENSE'),
      )
      return rootOwnedLayer(stage, ['usr'], BASE_EPOCH, join(work, LAYER_FILE))
    },
    ['stage'],
  )
  return layer
}

/** package.json and package-lock.json decide the production dependencies. */
async function dependencyKey(): Promise<string> {
  const hash = createHash('sha256')
  for (const file of ['package.json', 'package-lock.json']) hash.update(await readFile(join(REPO_ROOT, file)))
  return hash.digest('hex').slice(0, 16)
}

export async function dependenciesLayer(log: (line: string) => void): Promise<Layer> {
  const { layer } = await cachedLayer(
    `dependencies-${await dependencyKey()}`,
    async (work) => {
      log('installing the production dependencies (npm ci --omit=dev)')
      const app = join(work, 'stage', APP_DIR)
      await mkdir(app, { recursive: true })
      for (const file of ['package.json', 'package-lock.json'])
        await copyFile(join(REPO_ROOT, file), join(app, file))
      // No install scripts: the production dependencies are plain JavaScript.
      await run(
        'npm',
        ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
        {
          cwd: app,
          timeout: 10 * 60_000,
          maxBuffer: 16 << 20,
        },
      )
      // The app layer brings package.json; the lock file has no use at run time.
      for (const file of ['package.json', 'package-lock.json']) await rm(join(app, file))
      return rootOwnedLayer(join(work, 'stage'), [`.${APP_DIR}`], BASE_EPOCH, join(work, LAYER_FILE))
    },
    ['stage'],
  )
  return layer
}

/** The compiled app; `epoch` is the commit's time (its files change with every commit anyway). */
export async function appLayer(work: string, epoch: number): Promise<Layer> {
  const stage = join(work, 'app-stage')
  const app = join(stage, APP_DIR)
  await mkdir(join(app, 'build'), { recursive: true })
  await copyFile(join(REPO_ROOT, 'package.json'), join(app, 'package.json'))
  // The declaration files are for users of the construct (build/deploy/install); nothing runs them.
  const compiled = (source: string) => !source.endsWith('.d.ts')
  await cp(join(REPO_ROOT, 'build', 'src'), join(app, 'build', 'src'), {
    recursive: true,
    filter: compiled,
  }).catch((error: Error) => {
    throw new Error(`no compiled app in build/src (run npm run build): ${error.message}`)
  })
  return rootOwnedLayer(stage, [`.${APP_DIR}`], epoch, join(work, 'app.tar.gz'))
}
