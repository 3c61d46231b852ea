/**
 * A customer's side of `hostplane gitserver`: the real OpenSSH client and git, with only the
 * identities given, no user or system config, and the server's host key in a known_hosts file of
 * the client's own (`accept-new` learns it on the first connection, `yes` requires it there).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run, type RunResult } from '../cluster/process.js'

export class GitClient {
  constructor(
    /** HOME of git and ssh, holding known_hosts and the work trees. */
    readonly home: string,
    readonly host: string,
    readonly port: number,
    private readonly hostKeyChecking: 'yes' | 'accept-new' = 'accept-new',
  ) {}

  /** `ssh` options that use only these identities. */
  sshOptions(identities: readonly string[], extra: readonly string[] = []): string[] {
    return [
      '-F',
      '/dev/null',
      '-p',
      String(this.port),
      '-o',
      `UserKnownHostsFile=${join(this.home, 'known_hosts')}`,
      '-o',
      `StrictHostKeyChecking=${this.hostKeyChecking}`,
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'ConnectTimeout=10',
      ...identities.flatMap((file) => ['-i', file]),
      ...extra,
    ]
  }

  url(customer: string, webspace: string): string {
    return `ssh://git@${this.host}:${this.port}/${customer}/${webspace}.git`
  }

  /** Runs git in `cwd` with GIT_SSH_COMMAND using these identities. */
  git(cwd: string, identities: readonly string[], args: string[], extra: string[] = []): Promise<RunResult> {
    const command = ['ssh', ...this.sshOptions(identities, extra)].map((a) => `'${a}'`).join(' ')
    return run('git', args, {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: this.home,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_SSH_COMMAND: command,
        GIT_AUTHOR_NAME: 'test',
        GIT_AUTHOR_EMAIL: 'test@example.com',
        GIT_COMMITTER_NAME: 'test',
        GIT_COMMITTER_EMAIL: 'test@example.com',
      },
      timeoutMs: 60_000,
    })
  }

  async gitOk(cwd: string, args: string[]): Promise<RunResult> {
    const result = await this.git(cwd, [], args)
    if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`)
    return result
  }

  /** A work tree with one commit on `branch` holding `files`; returns its directory and commit. */
  async workTree(
    name: string,
    files: Record<string, string | Buffer>,
    branch = 'main',
  ): Promise<{ dir: string; commit: string }> {
    const dir = join(this.home, 'work', name)
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    await this.gitOk(dir, ['init', '--quiet', '--initial-branch', branch])
    for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content)
    await this.gitOk(dir, ['add', '--all'])
    await this.gitOk(dir, ['commit', '--quiet', '-m', name])
    return { dir, commit: (await this.gitOk(dir, ['rev-parse', 'HEAD'])).stdout.trim() }
  }
}
