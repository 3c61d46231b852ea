/**
 * The repositories on the gitserver's volume: one bare repository per Webspace, named by the
 * Webspace's UID (`<uid>.git`), never by anything a client sends. Its config is the platform's,
 * rewritten whenever it differs: fsck of every received object, the tier's push size limit, and
 * hooks only from the platform's read-only directory. The same settings are passed again on
 * git's command line for every push and fetch (hardenedSettings), which overrides the file, so
 * not even a changed config file could bring a hook or lift a limit.
 */
import { existsSync } from 'node:fs'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../ops/log.js'
import type { GitRunner } from '../syncer/git-command.js'
import type { RepositoryEntry } from './access.js'

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
    },
  ) {}

  dirOf(entry: RepositoryEntry): string {
    return join(this.options.reposDir, `${entry.uid}.git`)
  }

  /** The ensure running per repository. */
  private readonly running = new Map<string, Promise<string>>()

  /**
   * Creates the repository if missing and makes its config and HEAD the platform's. Calls for one
   * repository run one after the other: the directory reports a Webspace again for each change of
   * its Customer or keys, often at once, and two creations would share the `.new-` directory.
   */
  ensure(entry: RepositoryEntry): Promise<string> {
    const next = (this.running.get(entry.uid) ?? Promise.resolve(''))
      .catch(() => '')
      .then(() => this.ensureNow(entry))
    this.running.set(entry.uid, next)
    const forget = () => {
      if (this.running.get(entry.uid) === next) this.running.delete(entry.uid)
    }
    next.then(forget, forget)
    return next
  }

  private async ensureNow(entry: RepositoryEntry): Promise<string> {
    const dir = this.dirOf(entry)
    const config = renderConfig(entry, this.options.hooksDir)
    const head = `ref: refs/heads/${entry.branch}\n`
    if (this.written.get(entry.uid) === config + head && existsSync(dir)) return dir
    if (!existsSync(dir)) {
      // Built aside and renamed into place: a crash never leaves half a repository under the real name.
      const building = join(this.options.reposDir, `.new-${entry.uid}`)
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
