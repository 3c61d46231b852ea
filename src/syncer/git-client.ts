/**
 * The git operations of a sync: ask the remote which commit a ref names (in process over smart
 * HTTP for https hosts, `git ls-remote` for ssh and hosts that do not speak it), and on the real
 * git CLI fetch exactly that commit shallowly into the site's private bare mirror, list its tree,
 * and check out a chosen list of entries into a directory. Every call carries the hardening
 * options and a timeout; remote calls reach the remote only as remote-access.ts allows.
 */
import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { GitCommandError, type GitRunner } from './git-command.js'
import { type CredentialEnv, credentialEnv } from './git-credentials.js'
import { fetchLimitExceeded, syncErrorFromGit } from './git-failure.js'
import type { GitRef } from './git-ref.js'
import type { Remote, RemoteAccess } from './remote-access.js'
import { SmartHttpRefs } from './smart-http.js'
import { SyncError } from './sync-error.js'
import { type DroppedEntry, SYMLINK, type TreeEntry } from './tree-filter.js'

export interface GitTimeouts {
  /** `ls-remote`. Default 30 s. */
  readonly lsRemoteMs: number
  /** A fetch. Default 5 min. */
  readonly fetchMs: number
  /** Local operations (ls-tree, checkout). Default 5 min. */
  readonly localMs: number
}

export const DEFAULT_TIMEOUTS: GitTimeouts = { lsRemoteMs: 30_000, fetchMs: 300_000, localMs: 300_000 }

export interface GitClientOptions {
  readonly runner: GitRunner
  readonly askPass: string
  /** Where per-call secret files (SSH keys) are written; private to the syncer. */
  readonly tempDir: string
  /** How remotes are reached (address pinning, trust, redirects), by git and by the ref check alike. */
  readonly access: RemoteAccess
  readonly timeouts?: GitTimeouts
  /** Largest file a fetch may write (the pack of one commit). Default 2 GiB. */
  readonly maxFetchBytes?: number
}

/** `git cat-file --batch` output: each blob's content (UTF-8) by object id. */
export function parseCatFileBatch(stdout: Buffer): Map<string, string> {
  const blobs = new Map<string, string>()
  let offset = 0
  while (offset < stdout.length) {
    const newline = stdout.indexOf(0x0a, offset)
    const [oid = '', , size = '0'] = stdout.subarray(offset, newline).toString('utf8').split(' ')
    const start = newline + 1
    blobs.set(oid, stdout.subarray(start, start + Number(size)).toString('utf8'))
    offset = start + Number(size) + 1
  }
  return blobs
}

export type { Remote }

/** Options on every call: no hooks, no submodules, no credential helpers, one protocol set. */
const HARDENING = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'credential.helper=',
  'protocol.allow=never',
  'protocol.https.allow=always',
  'protocol.ssh.allow=always',
  'submodule.recurse=false',
  'fetch.recurseSubmodules=false',
  'gc.auto=0',
  'maintenance.auto=false',
  'http.lowSpeedLimit=1000',
  'http.lowSpeedTime=30',
  'core.symlinks=true',
  'advice.detachedHead=false',
].flatMap((option) => ['-c', option])

const MAX_SYMLINK_TARGET = 4096

/**
 * Removes the temporary files of a pack git was receiving when it stopped (`tmp_pack_*`,
 * `tmp_idx_*`, …) and returns the size of the largest.
 */
async function removePartialPacks(mirror: string): Promise<number> {
  const packDir = join(mirror, 'objects', 'pack')
  const names = (await readdir(packDir).catch(() => [])).filter((name) => name.startsWith('tmp_'))
  const sizes = await Promise.all(
    names.map(async (name) => {
      const file = join(packDir, name)
      const { size } = await stat(file)
      await rm(file, { force: true })
      return size
    }),
  )
  return Math.max(0, ...sizes)
}
const NO_TREE = /not a tree object|not a valid object name/i
const TREE_LINE = /^(\d{6}) (\w+) ([0-9a-f]+) +(-|\d+)\t(.*)$/s

export class GitClient {
  private readonly timeouts: GitTimeouts
  private readonly maxFetchBytes: number
  private readonly refs: SmartHttpRefs

  constructor(private readonly options: GitClientOptions) {
    this.timeouts = options.timeouts ?? DEFAULT_TIMEOUTS
    this.maxFetchBytes = options.maxFetchBytes ?? 2 * 1024 ** 3
    this.refs = new SmartHttpRefs(options.access, { timeoutMs: this.timeouts.lsRemoteMs })
  }

  private remoteConfig(remote: Remote): string[] {
    return [...HARDENING, ...this.options.access.gitConfig(remote)]
  }

  private async withRemote<T>(
    remote: Remote,
    call: (config: string[], env: Record<string, string>) => Promise<T>,
  ) {
    const credentials: CredentialEnv = await credentialEnv(remote.credentials, {
      askPass: this.options.askPass,
      tempDir: this.options.tempDir,
      ssh: {
        connectTimeoutSeconds: Math.ceil(this.timeouts.lsRemoteMs / 1000),
        host: remote.repo.host,
        port: remote.repo.port,
        address: remote.address,
      },
    })
    try {
      return await call(this.remoteConfig(remote), credentials.env)
    } catch (error) {
      throw error instanceof SyncError
        ? error
        : syncErrorFromGit(error, {
            hasCredentials: remote.credentials !== undefined,
            repo: remote.repo.href,
          })
    } finally {
      await credentials.dispose()
    }
  }

  /**
   * The commit a branch or tag names on the remote (a branch wins over a tag of the same name).
   * An https remote is asked in process; git runs only for ssh, and for a host that does not speak
   * git's smart HTTP protocol.
   */
  async resolve(remote: Remote, ref: Extract<GitRef, { kind: 'name' }>): Promise<string> {
    const branch = `refs/heads/${ref.name}`
    const tag = `refs/tags/${ref.name}`
    const { search, hash } = new URL(remote.repo.href)
    const inProcess = remote.repo.transport === 'https' && !search && !hash
    const refs =
      (inProcess ? await this.refs.list(remote, [branch, tag]) : undefined) ??
      (await this.lsRemote(remote, [branch, tag, `${tag}^{}`]))
    const commit = refs.get(branch) ?? refs.get(`${tag}^{}`) ?? refs.get(tag)
    if (!commit)
      throw new SyncError(
        'HP_ERR_SYNC_REF_NOT_FOUND',
        `ref not found: ${remote.repo.href} has no branch or tag ${JSON.stringify(ref.name)}`,
      )
    return commit
  }

  /** `git ls-remote` for exactly these ref names: name → object, as git prints them. */
  async lsRemote(remote: Remote, names: readonly string[]): Promise<Map<string, string>> {
    const { stdout } = await this.withRemote(remote, (config, env) =>
      this.options.runner.run({
        args: [...config, 'ls-remote', '--', remote.repo.href, ...names],
        env,
        timeoutMs: this.timeouts.lsRemoteMs,
        maxOutputBytes: 1024 * 1024,
      }),
    )
    const refs = new Map<string, string>()
    for (const line of stdout.toString('utf8').split('\n')) {
      const [commit, name] = line.split('\t')
      if (commit && name) refs.set(name, commit)
    }
    return refs
  }

  /**
   * The commit a branch or tag names in a repository on this machine (standalone `--local-repos`
   * only): read in place, no transport, so the `file://` refusal of remote calls stays intact.
   */
  async resolveLocal(repo: string, ref: Extract<GitRef, { kind: 'name' }>): Promise<string> {
    for (const name of [`refs/heads/${ref.name}`, `refs/tags/${ref.name}`]) {
      const commit = await this.runner({
        args: ['-C', repo, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${name}^{commit}`],
        timeoutMs: this.timeouts.localMs,
      }).then(
        ({ stdout }) => stdout.toString('utf8').trim(),
        () => undefined,
      )
      if (commit) return commit
    }
    throw new SyncError(
      'HP_ERR_SYNC_REF_NOT_FOUND',
      `ref not found: the local repository ${repo} has no branch or tag ${JSON.stringify(ref.name)}`,
    )
  }

  /**
   * Creates the site's bare mirror unless it exists; true when it was created (so it has no
   * commit yet). Local, so callers run it before they wait for a host's slot.
   */
  async createMirror(mirror: string): Promise<boolean> {
    if (
      await stat(join(mirror, 'HEAD')).then(
        () => true,
        () => false,
      )
    )
      return false
    await this.runner({ args: ['init', '--quiet', '--bare', mirror], timeoutMs: this.timeouts.localMs })
    return true
  }

  /**
   * Fetches one commit (depth 1, no tags, no submodules) into the site's bare mirror (made by
   * `createMirror`). The fetch
   * always keeps what it receives as one pack file (never loose objects), so the file size limit
   * bounds the whole fetch; a pack cut off at the limit is removed, so retries do not add up.
   */
  async fetch(remote: Remote, mirror: string, commit: string): Promise<void> {
    await this.withRemote(remote, (config, env) =>
      this.options.runner.run({
        args: [
          ...config,
          '-c',
          'fetch.unpackLimit=1',
          '-c',
          'transfer.unpackLimit=1',
          '-C',
          mirror,
          'fetch',
          '--quiet',
          '--depth=1',
          '--no-tags',
          '--no-recurse-submodules',
          '--no-write-fetch-head',
          '--',
          remote.repo.href,
          `+${commit}:refs/hostplane/fetched`,
        ],
        env,
        timeoutMs: this.timeouts.fetchMs,
        maxFileBytes: this.maxFetchBytes,
      }),
    ).catch(async (error: unknown) => {
      const largest = await removePartialPacks(mirror)
      if (largest >= this.maxFetchBytes) throw fetchLimitExceeded(remote.repo.href, error)
      throw error
    })
  }

  /**
   * Keeps a mirror small: every fetch adds one pack, and once it holds more than `maxPacks` packs
   * everything not reachable from the last fetched commit is dropped. Kept revisions live in the
   * publish store, so the mirror never needs older commits.
   */
  async compact(mirror: string, { maxPacks = 10 } = {}): Promise<boolean> {
    // Counted from the directory: a process per publish only to learn this is most of its cost.
    const names = await readdir(join(mirror, 'objects', 'pack')).catch(() => [])
    const packs = names.filter((name) => name.endsWith('.pack')).length
    if (packs <= maxPacks) return false
    await this.runner({
      args: ['-C', mirror, 'gc', '--quiet', '--prune=now'],
      timeoutMs: this.timeouts.localMs,
    })
    return true
  }

  /** Whether the mirror already has this commit (a second site on the same commit, a retried publish). */
  async has(mirror: string, commit: string): Promise<boolean> {
    return this.runner({
      args: ['-C', mirror, 'cat-file', '-e', `${commit}^{commit}`],
      timeoutMs: this.timeouts.localMs,
    }).then(
      () => true,
      () => false,
    )
  }

  /** Every entry below `path` of the commit, with sizes, and the targets of its symlinks. */
  async listTree(
    mirror: string,
    commit: string,
    path: string,
  ): Promise<{ entries: TreeEntry[]; symlinkTargets: Map<string, string> }> {
    const inside = path.replace(/^\/+|\/+$/g, '')
    const treeish = inside ? `${commit}:${inside}` : `${commit}^{tree}`
    const notFound = new SyncError(
      'HP_ERR_SYNC_PATH_NOT_FOUND',
      `path not found: commit ${commit} has no directory ${path}`,
    )
    // One process: ls-tree refuses a missing path and a path that names a file alike. The object
    // name is the commit and a path, never an option.
    const { stdout } = await this.runner({
      args: ['-C', mirror, 'ls-tree', '-r', '-z', '--long', '--full-tree', treeish],
      timeoutMs: this.timeouts.localMs,
    }).catch((error: unknown) => {
      throw error instanceof GitCommandError && NO_TREE.test(error.stderr) ? notFound : error
    })
    const entries: TreeEntry[] = []
    for (const record of stdout.toString('utf8').split('\0')) {
      const match = TREE_LINE.exec(record)
      if (!match) continue
      const [, mode, , oid, size, entryPath] = match as unknown as [
        string,
        string,
        string,
        string,
        string,
        string,
      ]
      entries.push({ mode, oid, size: size === '-' ? 0 : Number(size), path: entryPath })
    }
    // A symlink target longer than PATH_MAX is no path: it stays unread and counts as leaving.
    const symlinks = entries.filter((e) => e.mode === SYMLINK && e.size <= MAX_SYMLINK_TARGET)
    const symlinkTargets = new Map<string, string>()
    if (symlinks.length > 0) {
      const targets = await this.readBlobs(
        mirror,
        symlinks.map((e) => e.oid),
      )
      for (const entry of symlinks) symlinkTargets.set(entry.path, targets.get(entry.oid) ?? '')
    }
    return { entries, symlinkTargets }
  }

  private async readBlobs(mirror: string, oids: readonly string[]): Promise<Map<string, string>> {
    const { stdout } = await this.runner({
      args: ['-C', mirror, 'cat-file', '--batch'],
      input: `${oids.join('\n')}\n`,
      timeoutMs: this.timeouts.localMs,
    })
    return parseCatFileBatch(stdout)
  }

  /**
   * Writes these entries into `dir` through a private index; nothing else is written. Returns the
   * entries git would not take (it skips a path it finds unsafe with only a line on stderr), so
   * they are reported with the other dropped entries instead of vanishing.
   */
  async checkout(mirror: string, entries: readonly TreeEntry[], dir: string): Promise<DroppedEntry[]> {
    const index = `${dir}.index`
    const env = { GIT_INDEX_FILE: index }
    const input = entries.map((e) => `${e.mode} ${e.oid}\t${e.path}\0`).join('')
    try {
      await this.runner({
        args: ['-C', mirror, 'update-index', '-z', '--index-info'],
        env,
        input,
        timeoutMs: this.timeouts.localMs,
      })
      const indexed = await this.runner({
        args: ['-C', mirror, 'ls-files', '-z'],
        env,
        timeoutMs: this.timeouts.localMs,
      })
      const taken = new Set(indexed.stdout.toString('utf8').split('\0'))
      const refused = entries
        .filter((entry) => !taken.has(entry.path))
        .map((entry) => ({ path: entry.path, why: 'git refuses to check out this path' }))
      await this.runner({
        args: ['-C', mirror, `--work-tree=${dir}`, 'checkout-index', '--all', '--force'],
        env,
        timeoutMs: this.timeouts.localMs,
      })
      return refused
    } finally {
      await rm(index, { force: true })
    }
  }

  private runner(call: Parameters<GitRunner['run']>[0]) {
    return this.options.runner.run({ ...call, args: [...HARDENING, ...call.args] })
  }
}
