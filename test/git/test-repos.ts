/**
 * Builds real bare repositories for tests with git's plumbing, so a commit can hold anything a
 * hostile pusher could craft: symlinks anywhere, `.git` directories, submodule entries. Each
 * commit replaces the whole tree with the files given.
 */
import { spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'

/** File content, a symlink, or a submodule (gitlink) entry. */
export type FileSpec = string | Buffer | { readonly symlink: string } | { readonly submodule: string }
export type Files = Readonly<Record<string, FileSpec>>

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@hostplane.test',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@hostplane.test',
}

function git(gitDir: string, args: readonly string[], input?: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [`--git-dir=${gitDir}`, ...args], {
      env: { ...process.env, ...IDENTITY, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve(stdout.trim()) : reject(new Error(`git ${args.join(' ')}: ${stderr}`)),
    )
    child.stdin.end(input)
  })
}

interface TreeNode {
  readonly files: Map<string, FileSpec>
  readonly dirs: Map<string, TreeNode>
}

const node = (): TreeNode => ({ files: new Map(), dirs: new Map() })

export class TestRepos {
  constructor(
    /** The git server's project root: repositories are `<root>/<name>`. */
    readonly root: string,
  ) {}

  gitDir(name: string): string {
    return join(this.root, name)
  }

  async create(name: string, files?: Files, branch = 'main'): Promise<string | undefined> {
    await mkdir(this.root, { recursive: true })
    await git(this.gitDir(name), ['init', '--quiet', '--bare', `--initial-branch=${branch}`])
    return files ? this.commit(name, files, { branch }) : undefined
  }

  /** Commits exactly `files` as the new tree of `branch`; returns the commit id. */
  async commit(
    name: string,
    files: Files,
    { branch = 'main', message = 'update' }: { branch?: string; message?: string } = {},
  ): Promise<string> {
    const gitDir = this.gitDir(name)
    const root = node()
    for (const [path, spec] of Object.entries(files)) {
      const parts = path.split('/')
      const file = parts.pop() as string
      let dir = root
      for (const part of parts) {
        const next = dir.dirs.get(part) ?? node()
        dir.dirs.set(part, next)
        dir = next
      }
      dir.files.set(file, spec)
    }
    const tree = await this.writeTree(gitDir, root)
    const parent = await git(gitDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).catch(
      () => '',
    )
    const commit = await git(gitDir, ['commit-tree', tree, '-m', message, ...(parent ? ['-p', parent] : [])])
    await git(gitDir, ['update-ref', `refs/heads/${branch}`, commit])
    return commit
  }

  async tag(name: string, tag: string, commit: string, annotated = false): Promise<void> {
    const gitDir = this.gitDir(name)
    if (annotated) await git(gitDir, ['tag', '-a', '-m', tag, tag, commit])
    else await git(gitDir, ['update-ref', `refs/tags/${tag}`, commit])
  }

  private async writeTree(gitDir: string, tree: TreeNode): Promise<string> {
    const lines: string[] = []
    for (const [name, sub] of tree.dirs)
      lines.push(`040000 tree ${await this.writeTree(gitDir, sub)}\t${name}`)
    for (const [name, spec] of tree.files) {
      if (typeof spec === 'object' && 'submodule' in spec) {
        lines.push(`160000 commit ${spec.submodule}\t${name}`)
        continue
      }
      const symlink = typeof spec === 'object' && 'symlink' in spec
      const content = symlink ? spec.symlink : spec
      const blob = await git(gitDir, ['hash-object', '-w', '--stdin'], content)
      lines.push(`${symlink ? '120000' : '100644'} blob ${blob}\t${name}`)
    }
    return git(gitDir, ['mktree'], lines.length ? `${lines.join('\n')}\n` : '')
  }
}
