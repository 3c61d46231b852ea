/**
 * The repositories on the gitserver's volume: one bare repository per Webspace, named by the
 * Webspace's UID (`<uid>.git`), never by anything a client sends. Its config is the platform's,
 * rewritten whenever it differs: fsck of every received object, the tier's push size limit, and
 * hooks only from the platform's read-only directory. The same settings are passed again on
 * git's command line for every push and fetch (hardenedSettings), which overrides the file, so
 * not even a changed config file could bring a hook or lift a limit.
 *
 * A repository whose Webspace is gone is removed (remove): renamed into the volume's trash in one
 * step, so no half-removed repository is ever left under a live name, then deleted; the trash is
 * emptied again at each collection, so a crash in between loses nothing but time. A removal
 * waits while git commands still run in the repository, and a removed UID is never created
 * again by this process (a Kubernetes UID never returns, so a late command gets no fresh copy).
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Counter } from 'prom-client'
import type { Logger } from '../ops/log.js'
import type { GitRunner } from '../syncer/git-command.js'
import type { RepositoryEntry } from './access.js'
import { repositoryNames, TRASH } from './collection.js'

/**
 * Why a repository is removed: its Webspace was seen deleted, or the repository was found on the
 * volume with no Webspace (deleted while the gitserver was not running).
 */
export type RemovalReason = 'webspace_deleted' | 'orphaned'

export interface Removal {
  readonly reason: RemovalReason
  /** Shown in the log line: the Webspace's namespace and name when known. */
  readonly webspace?: { readonly namespace: string; readonly name: string }
}

/** A repository opened for one git command; `release` when the command ended. */
export interface OpenRepository {
  readonly dir: string
  release(): void
}

/** The settings every push and fetch runs with, as `[key, value]` pairs. */
export function hardenedSettings(entry: RepositoryEntry, hooksDir: string): [string, string][] {
  return [
    ['core.hooksPath', hooksDir],
    ['receive.fsckObjects', 'true'],
    ['transfer.fsckObjects', 'true'],
    ['receive.maxInputSize', String(entry.maxPushBytes)],
    ['receive.denyDeleteCurrent', 'true'],
    ['receive.advertisePushOptions', 'false'],
    ['uploadpack.allowAnySHA1InWant', 'false'],
  ]
}

/** The repository's config file: the same settings, grouped by section. */
export function renderConfig(entry: RepositoryEntry, hooksDir: string): string {
  const sections = new Map<string, string[]>([['core', ['repositoryformatversion = 0', 'bare = true']]])
  for (const [key, value] of hardenedSettings(entry, hooksDir)) {
    const [section = '', name = ''] = key.split('.')
    sections.set(section, [...(sections.get(section) ?? []), `${name} = ${value}`])
  }
  return [...sections]
    .map(([section, lines]) => `[${section}]\n${lines.map((l) => `\t${l}\n`).join('')}`)
    .join('')
}

export class Repositories {
  /** Config and HEAD last written per repository, so an unchanged entry costs no file access. */
  private readonly written = new Map<string, string>()

  constructor(
    private readonly options: {
      /** Absolute and symlink-free (the hook compares paths). */
      readonly reposDir: string
      readonly hooksDir: string
      readonly git: GitRunner
      readonly log: Logger
      /** Counts removed repositories by reason. */
      readonly removed?: Counter<'reason'>
    },
  ) {}

  dirOf(entry: RepositoryEntry): string {
    return join(this.options.reposDir, repositoryNames(entry.uid).repository)
  }

  /** The last operation per repository: creations and removals of one repository run one after the other. */
  private readonly running = new Map<string, Promise<unknown>>()
  /** Git commands running per repository. */
  private readonly users = new Map<string, number>()
  /** Removals waiting for the last command of their repository. */
  private readonly waiting = new Map<string, Removal>()
  /** UIDs removed or being removed: their Webspaces are gone for good. */
  private readonly gone = new Set<string>()
  /** Emptying the trash, one at a time. */
  private trashing: Promise<void> = Promise.resolve()

  private serially<T>(uid: string, task: () => Promise<T>): Promise<T> {
    const next = (this.running.get(uid) ?? Promise.resolve()).catch(() => undefined).then(task)
    this.running.set(uid, next)
    const forget = () => {
      if (this.running.get(uid) === next) this.running.delete(uid)
    }
    next.then(forget, forget)
    return next
  }

  /**
   * Creates the repository if missing and makes its config and HEAD the platform's. Calls for one
   * repository run one after the other: the directory reports a Webspace again for each change of
   * its Customer or keys, often at once, and two creations would share the `.new-` directory.
   */
  ensure(entry: RepositoryEntry): Promise<string> {
    return this.serially(entry.uid, () => this.ensureNow(entry))
  }

  /** Ensures the repository and holds it for one git command: a removal waits until `release`. */
  open(entry: RepositoryEntry): Promise<OpenRepository> {
    return this.serially(entry.uid, async () => {
      const dir = await this.ensureNow(entry)
      this.users.set(entry.uid, (this.users.get(entry.uid) ?? 0) + 1)
      let released = false
      return {
        dir,
        release: () => {
          if (released) return
          released = true
          const left = (this.users.get(entry.uid) ?? 1) - 1
          if (left > 0) return void this.users.set(entry.uid, left)
          this.users.delete(entry.uid)
          const removal = this.waiting.get(entry.uid)
          if (removal)
            this.serially(entry.uid, () => this.removeNow(entry.uid, removal)).catch((error: unknown) =>
              this.options.log.error(
                { err: error, uid: entry.uid },
                'could not remove the repository; retried at the next collection',
              ),
            )
        },
      }
    })
  }

  /** The names on the volume (collection.ts tells which are repositories). */
  async names(): Promise<string[]> {
    return readdir(this.options.reposDir)
  }

  /**
   * Removes the repository of a Webspace that is gone: at once when no git command runs in it,
   * otherwise when the last one ends ('waiting'). 'absent' when there was nothing to remove.
   */
  remove(uid: string, removal: Removal): Promise<'removed' | 'waiting' | 'absent'> {
    this.gone.add(uid)
    return this.serially(uid, async () => {
      if (!this.users.has(uid)) return this.removeNow(uid, removal)
      if (!this.waiting.has(uid))
        this.options.log.info(
          { uid, reason: removal.reason, ...removal.webspace },
          'the repository is in use; it is removed when its last git command ends',
        )
      this.waiting.set(uid, removal)
      return 'waiting'
    })
  }

  private async removeNow(uid: string, removal: Removal): Promise<'removed' | 'absent'> {
    this.waiting.delete(uid)
    this.written.delete(uid)
    const trash = join(this.options.reposDir, TRASH)
    await mkdir(trash, { recursive: true })
    let moved = false
    for (const name of Object.values(repositoryNames(uid))) {
      const target = join(trash, `${name}-${randomBytes(4).toString('hex')}`)
      try {
        await rename(join(this.options.reposDir, name), target)
        moved = true
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    }
    if (!moved) return 'absent'
    await this.emptyTrash()
    this.options.removed?.inc({ reason: removal.reason })
    this.options.log.info({ uid, reason: removal.reason, ...removal.webspace }, 'repository removed')
    return 'removed'
  }

  /** Deletes what the trash holds (what a crash left there too); a failure is retried next time. */
  emptyTrash(): Promise<void> {
    this.trashing = this.trashing.then(async () => {
      const trash = join(this.options.reposDir, TRASH)
      const names = await readdir(trash).catch(() => [])
      for (const name of names)
        await rm(join(trash, name), { recursive: true, force: true }).catch((error: unknown) =>
          this.options.log.warn({ err: error, name }, 'could not empty the trash; retried later'),
        )
    })
    return this.trashing
  }

  private async ensureNow(entry: RepositoryEntry): Promise<string> {
    if (this.gone.has(entry.uid)) throw new Error(`the Webspace of repository ${entry.uid} was deleted`)
    const dir = this.dirOf(entry)
    const config = renderConfig(entry, this.options.hooksDir)
    const head = `ref: refs/heads/${entry.branch}\n`
    if (this.written.get(entry.uid) === config + head && existsSync(dir)) return dir
    if (!existsSync(dir)) {
      // Built aside and renamed into place: a crash never leaves half a repository under the real name.
      const building = join(this.options.reposDir, repositoryNames(entry.uid).unfinished)
      await rm(building, { recursive: true, force: true })
      await this.options.git.run({
        args: ['init', '--quiet', '--bare', '--template=', building],
        timeoutMs: 30_000,
      })
      await rename(building, dir)
      this.options.log.info(
        { customer: entry.customer, webspace: entry.webspace, uid: entry.uid },
        'repository created',
      )
    }
    await replaceIfDifferent(join(dir, 'config'), config)
    await replaceIfDifferent(join(dir, 'HEAD'), head)
    this.written.set(entry.uid, config + head)
    return dir
  }
}

async function replaceIfDifferent(file: string, content: string): Promise<void> {
  if ((await readFile(file, 'utf8').catch(() => undefined)) === content) return
  await writeFile(`${file}.new`, content)
  await rename(`${file}.new`, file)
}
