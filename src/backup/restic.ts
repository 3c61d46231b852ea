/**
 * The one way hostplane runs restic: a customer's repository (its URL, password and the
 * target's credentials reach restic through the environment of each call, never its arguments or
 * a log line), a deadline after which the process group is killed, bounded output, and restic's
 * JSON read into types. Debian's restic (bookworm: 0.14) is the one in the hostplane image.
 */
import type { Readable } from 'node:stream'
import { BoundedProcessError, runBounded, streamBounded } from '../ops/bounded-process.js'

export interface ResticRepository {
  /** e.g. `s3:https://s3.example.com/backups/acme`. */
  readonly url: string
  readonly password: string
  /** The target's credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_DEFAULT_REGION). */
  readonly env: Readonly<Record<string, string>>
}

export interface ResticOptions {
  readonly binary?: string
  /** restic's cache of the repository's index; a private directory. */
  readonly cacheDir: string
  readonly timeoutMs?: number
}

/** What restic says at the end of a backup. */
export interface BackupSummary {
  readonly snapshot_id: string
  readonly files_new: number
  readonly files_changed: number
  readonly files_unmodified: number
  readonly data_added: number
  readonly total_files_processed: number
  readonly total_bytes_processed: number
}

export interface Snapshot {
  readonly id: string
  readonly short_id: string
  readonly time: string
  readonly paths: readonly string[]
  readonly tags?: readonly string[]
  /** restic 0.17 and later record what the backup read. */
  readonly summary?: { readonly total_bytes_processed?: number }
}

/** What a new snapshot is labelled with: its tags, and its time when it is not now. */
export interface SnapshotLabels {
  readonly tags: readonly string[]
  readonly time?: Date
}

/** A program at the other end of a pipe from restic, with the secrets it reads from its environment. */
export interface PipedProgram {
  readonly program: string
  readonly args: readonly string[]
  readonly env: Readonly<Record<string, string>>
}

/** A program restic pipes a file into. */
export interface PipedConsumer extends PipedProgram {
  /**
   * Written after the file, and only once restic has written all of it: e.g. the COMMIT of a
   * transaction the consumer began, so that a stream that breaks off midway commits nothing.
   */
  readonly complete?: string
  /** A program the file passes through on its way to the consumer (e.g. a rewrite of some lines). */
  readonly filter?: { readonly program: string; readonly args: readonly string[] }
}

/** One entry of a snapshot's tree, as `restic ls --json` prints it. */
export interface SnapshotNode {
  readonly path: string
  readonly type: 'file' | 'dir' | 'symlink' | string
  readonly size?: number
}

/** Bytes restic writes as it reads them from the repository. */
export interface ResticStream {
  readonly stdout: Readable
  /** Resolves when restic wrote everything; rejects with a ResticError when it failed or was stopped. */
  readonly done: Promise<void>
}

export class ResticError extends BoundedProcessError {
  override name = 'ResticError'
  constructor(command: string, exitCode: number | null, stderr: string, timedOut: boolean) {
    super('restic', command, exitCode, stderr, timedOut)
  }
}

const DEFAULT_TIMEOUT_MS = 6 * 3600_000
const MAX_OUTPUT_BYTES = 64 * 1024 ** 2

/** The last line of restic's `--json` output that parses as an object with `message_type` `type`. */
function jsonMessage<T>(output: string, type: string): T {
  for (const line of output.trim().split('\n').reverse()) {
    try {
      const message = JSON.parse(line) as { message_type?: string }
      if (message.message_type === type) return message as T
    } catch {
      // progress lines are not all JSON objects
    }
  }
  throw new Error(`restic printed no ${type} message`)
}

export class Restic {
  constructor(
    private readonly repository: ResticRepository,
    private readonly options: ResticOptions,
  ) {}

  private env(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.options.cacheDir,
      RESTIC_REPOSITORY: this.repository.url,
      RESTIC_PASSWORD: this.repository.password,
      RESTIC_CACHE_DIR: this.options.cacheDir,
      // restic reads --time in local time: UTC, whatever the machine's zone.
      TZ: 'UTC',
      ...this.repository.env,
    }
  }

  /** Runs restic with `args`; `input` goes to its stdin. Resolves with stdout. */
  async run(
    args: readonly string[],
    { input, cwd }: { input?: Buffer | string; cwd?: string } = {},
  ): Promise<Buffer> {
    const command = args[0] ?? 'restic'
    const result = await runBounded({
      program: this.options.binary ?? 'restic',
      args,
      cwd,
      env: this.env(),
      input,
      timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxOutputBytes: MAX_OUTPUT_BYTES,
    }).catch((error: Error) => {
      throw new ResticError(command, null, error.message, false)
    })
    if (result.code === 0 && !result.failure) return result.stdout
    const stderr =
      result.failure === 'output' ? `more than ${MAX_OUTPUT_BYTES} bytes of output` : result.stderr
    throw new ResticError(command, result.code, stderr, result.failure === 'timeout')
  }

  /** Creates the repository unless it exists (its config object is there). */
  async ensureRepository(): Promise<'created' | 'exists'> {
    try {
      await this.run(['cat', 'config'])
      return 'exists'
    } catch (error) {
      if (!(error instanceof ResticError) || error.timedOut) throw error
    }
    await this.run(['init'])
    return 'created'
  }

  /**
   * Backs up directory `dir` (restic records its absolute path) labelled `labels`. restic reads it
   * where it is: nothing is copied first.
   */
  async backupDirectory(dir: string, labels: SnapshotLabels): Promise<BackupSummary> {
    const output = await this.run(['backup', '--json', ...labelArgs(labels), dir])
    return jsonMessage<BackupSummary>(output.toString('utf8'), 'summary')
  }

  /** Backs up `data` as the one file `/<name>` of a snapshot labelled `labels`. */
  async backupStdin(name: string, data: Buffer | string, labels: SnapshotLabels): Promise<BackupSummary> {
    const output = await this.run(
      ['backup', '--json', '--stdin', '--stdin-filename', name, ...labelArgs(labels)],
      {
        input: data,
      },
    )
    return jsonMessage<BackupSummary>(output.toString('utf8'), 'summary')
  }

  /** The snapshots carrying every one of `tags`, oldest first. */
  async snapshots(tags: readonly string[] = []): Promise<Snapshot[]> {
    const output = await this.run([
      'snapshots',
      '--json',
      ...(tags.length > 0 ? ['--tag', tags.join(',')] : []),
    ])
    return (JSON.parse(output.toString('utf8')) as Snapshot[] | null) ?? []
  }

  /**
   * Restores snapshot `id` under `target` (restic recreates the backed-up absolute paths there), or
   * only what `includes` match: restic's patterns (globs; one without a leading `/` matches at any
   * depth) with each match's parent directories. Matching nothing is no error.
   */
  async restore(id: string, target: string, includes: readonly string[] = []): Promise<void> {
    await this.run([
      'restore',
      id,
      '--target',
      target,
      ...includes.flatMap((include) => ['--include', include]),
    ])
  }

  /** Snapshot `id` (a full or short id). */
  async snapshot(id: string): Promise<Snapshot> {
    const [snapshot] = (JSON.parse((await this.run(['snapshots', '--json', id])).toString('utf8')) ??
      []) as Snapshot[]
    if (!snapshot) throw new ResticError('snapshots', 0, `no snapshot ${id}`, false)
    return snapshot
  }

  /** The entry at absolute `path` in snapshot `id`, or undefined when it holds none there. */
  async node(id: string, path: string): Promise<SnapshotNode | undefined> {
    const output = (await this.run(['ls', '--json', id, path])).toString('utf8')
    for (const line of output.split('\n')) {
      if (!line.trim()) continue
      const entry = JSON.parse(line) as Partial<SnapshotNode> & { struct_type?: string }
      if (entry.struct_type === 'node' && entry.path === path) return entry as SnapshotNode
    }
    return undefined
  }

  /**
   * Streams `path` of snapshot `id` as restic's `dump` writes it: a directory as a tar archive, a
   * file as its bytes. `signal` (a client that went away) and the deadline kill restic.
   */
  dumpStream(id: string, path: string, signal?: AbortSignal): ResticStream {
    const { stdout, ended } = streamBounded({
      program: this.options.binary ?? 'restic',
      args: ['dump', '--archive', 'tar', id, path],
      env: this.env(),
      timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    })
    const done = ended.then(({ code, stderr, failure }) => {
      if (code === 0 && !failure) return
      const said = failure === 'aborted' ? 'stopped: its reader went away' : stderr
      throw new ResticError('dump', code, said, failure === 'timeout')
    })
    return { stdout, done }
  }

  /** The bytes of file `path` of snapshot `id`. */
  dump(id: string, path: string): Promise<Buffer> {
    return this.run(['dump', id, path])
  }

  /**
   * Backs up what `producer` writes to stdout as the one file `/<name>`, streamed (a 100 MB dump is
   * never held in memory): one bash pipeline with pipefail in one process group, so a producer
   * that fails fails the backup and the deadline kills both. `env` adds the producer's secrets.
   */
  async backupOutputOf(producer: PipedProgram, name: string, labels: SnapshotLabels): Promise<BackupSummary> {
    const restic = ['backup', '--json', '--stdin', '--stdin-filename', name, ...labelArgs(labels)]
    const output = await this.pipeline(
      `"$@" | ${this.binary} ${restic.map(shellWord).join(' ')}`,
      [producer.program, ...producer.args],
      producer.env,
      'backup',
    )
    return jsonMessage<BackupSummary>(output.toString('utf8'), 'summary')
  }

  /**
   * Streams file `path` of snapshot `id` into `consumer`'s stdin (a database client restoring a
   * dump), through `consumer.filter` when it has one, followed by `consumer.complete` when restic
   * wrote the whole file.
   */
  async restoreInto(id: string, path: string, consumer: PipedConsumer): Promise<void> {
    const complete = consumer.complete === undefined ? '' : ` && printf %s ${shellWord(consumer.complete)}`
    const filter = consumer.filter
      ? ` | ${[consumer.filter.program, ...consumer.filter.args].map(shellWord).join(' ')}`
      : ''
    await this.pipeline(
      `{ ${this.binary} dump ${shellWord(id)} ${shellWord(path)}${complete}; }${filter} | "$@"`,
      [consumer.program, ...consumer.args],
      consumer.env,
      'dump',
    )
  }

  private get binary(): string {
    return shellWord(this.options.binary ?? 'restic')
  }

  private async pipeline(
    script: string,
    args: readonly string[],
    env: Readonly<Record<string, string>>,
    command: string,
  ): Promise<Buffer> {
    const result = await runBounded({
      program: 'bash',
      args: ['-c', `set -o pipefail; ${script}`, 'bash', ...args],
      env: { ...this.env(), ...env },
      timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxOutputBytes: MAX_OUTPUT_BYTES,
    }).catch((error: Error) => {
      throw new ResticError(command, null, error.message, false)
    })
    if (result.code === 0 && !result.failure) return result.stdout
    throw new ResticError(command, result.code, result.stderr, result.failure === 'timeout')
  }

  /** Forgets snapshots `ids` (their data stays until a prune). */
  async forget(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.run(['forget', ...ids])
  }

  /** Removes the data no snapshot refers to any more. */
  async prune(): Promise<void> {
    await this.run(['prune'])
  }

  /** Checks the repository's structure and reads back the data of every pack: a damaged one fails. */
  async check(): Promise<void> {
    await this.run(['check', '--read-data'])
  }
}

/** `--tag` for each tag, and `--time` as restic reads it (`2026-12-07 03:00:00`, local time: UTC here). */
const labelArgs = ({ tags, time }: SnapshotLabels) => [
  ...tags.flatMap((tag) => ['--tag', tag]),
  ...(time ? ['--time', time.toISOString().slice(0, 19).replace('T', ' ')] : []),
]

/** A word for bash, single-quoted: nothing in it is expanded. */
const shellWord = (word: string) => `'${word.replaceAll("'", "'\\''")}'`
