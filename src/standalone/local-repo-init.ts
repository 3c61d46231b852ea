/**
 * Creates a local repository from a directory once, for the quick start: `examples/site/` becomes
 * the `main` branch of `<local repos>/example` on first run, with no network. An existing
 * repository is left alone, so commits pushed to it later are what gets served.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { GitRunner } from '../syncer/git-command.js'

const TIMEOUT_MS = 60_000
const IDENTITY = ['-c', 'user.name=hostplane', '-c', 'user.email=hostplane@localhost']

/** 'created' when the repository was made now, 'exists' when it was already there. */
export async function initLocalRepo(
  contentDir: string,
  repoDir: string,
  branch = 'main',
): Promise<'created' | 'exists'> {
  if (await stat(join(repoDir, 'HEAD')).catch(() => undefined)) return 'exists'
  if (!(await stat(contentDir).catch(() => undefined))?.isDirectory())
    throw new Error(`${contentDir} is not a directory`)
  const home = await mkdtemp(join(tmpdir(), 'hostplane-local-repo-'))
  try {
    const git = new GitRunner({ home })
    const gitDir = `--git-dir=${resolve(repoDir)}`
    const env = { GIT_INDEX_FILE: join(home, 'index') }
    const run = async (args: string[]) =>
      (await git.run({ args, env, timeoutMs: TIMEOUT_MS })).stdout.toString('utf8').trim()
    await mkdir(repoDir, { recursive: true })
    await run(['init', '--quiet', '--bare', `--initial-branch=${branch}`, resolve(repoDir)])
    await run([gitDir, `--work-tree=${resolve(contentDir)}`, 'add', '--all', '.'])
    const tree = await run([gitDir, 'write-tree'])
    const commit = await run([gitDir, ...IDENTITY, 'commit-tree', '-m', `Publish ${contentDir}`, tree])
    await run([gitDir, 'update-ref', `refs/heads/${branch}`, commit])
    return 'created'
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}
