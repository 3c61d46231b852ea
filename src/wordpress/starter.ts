/**
 * The first push of a WordPress site: a repository holding an empty `wp-content` (themes,
 * plugins, mu-plugins) and a README saying what goes where. Pushed to the webspace's repository,
 * it builds the first Release: the pinned core, the default theme, the site's configuration.
 * Pushed with the user's own git and SSH setup, as `git push` would; never over a branch that
 * exists (the site's code is the customer's from then on).
 */
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const GIT_TIMEOUT_MS = 120_000
/** The gitserver answers a push once its build is done: the user watches the build's lines meanwhile. */
const PUSH_TIMEOUT_MS = 30 * 60_000

const README = `# A WordPress site on hostplane

This repository holds the site's \`wp-content\`: themes, plugins, mu-plugins and languages. Each
push builds a Release: WordPress core (pinned by the \`wordpress\` Runtime) with this
\`wp-content\` over it. Install a plugin or a theme by committing it here and pushing; the admin
screen cannot change code (DISALLOW_FILE_MODS), so what runs is always what was pushed.

Uploads are not here: they live on the site's volume (\`wp-content/uploads\`).
`

const FILES: Readonly<Record<string, string>> = {
  'README.md': README,
  '.gitignore': 'wp-content/uploads/\n',
  'wp-content/themes/.gitkeep': '',
  'wp-content/plugins/.gitkeep': '',
  'wp-content/mu-plugins/.gitkeep': '',
}

/**
 * Runs git in `cwd` with the user's own configuration; `progress` passes git's stderr through (the
 * build's `remote:` lines of a push), otherwise it is kept for the error.
 */
function git(
  args: readonly string[],
  cwd: string,
  { progress = false, timeoutMs = GIT_TIMEOUT_MS } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      stdio: ['ignore', 'pipe', progress ? 'inherit' : 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4096)))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`git ${args[0]} could not start: ${error.message}`))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) return resolve(stdout)
      const said =
        signal === 'SIGKILL'
          ? `did not finish in ${timeoutMs / 1000} s`
          : stderr.trim().split('\n').slice(-3).join(' | ')
      reject(new Error(`git ${args[0]} failed${said ? `: ${said}` : ` (exit ${code})`}`))
    })
  })
}

/** Pushes the starter commit to `remote`'s `branch` unless the branch exists; says which. */
export async function pushStarter(remote: string, branch: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hostplane-wordpress-'))
  try {
    const heads = await git(['ls-remote', '--heads', remote, `refs/heads/${branch}`], dir)
    if (heads.trim()) return `${remote} has ${branch} already: nothing pushed`
    for (const [file, text] of Object.entries(FILES)) {
      await mkdir(join(dir, file, '..'), { recursive: true })
      await writeFile(join(dir, file), text)
    }
    await git(['init', '--quiet', `--initial-branch=${branch}`], dir)
    await git(['add', '--all'], dir)
    await git(
      [
        '-c',
        'user.name=hostplane',
        '-c',
        'user.email=wordpress@hostplane.invalid',
        'commit',
        '--quiet',
        '-m',
        'WordPress site',
      ],
      dir,
    )
    await git(['push', remote, `HEAD:refs/heads/${branch}`], dir, {
      progress: true,
      timeoutMs: PUSH_TIMEOUT_MS,
    })
    return `pushed the first commit to ${remote} (${branch}): its build becomes the first Release`
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
