/**
 * `hostplane backup run|restore|verify|forget|list`: what a backup Job's container runs (issue
 * 18), and what an operator runs by hand. The repository and the database come from mounted
 * Secrets (src/backup/mounted-secrets.ts); the answer is one JSON line on stdout and, with
 * `--answer-file`, in a file a Job keeps as its termination message (backup-answer.ts). `verify`
 * and `restore` exit 1 when what they restored differs from what the restore point recorded.
 */
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { isTimeZone } from '../backup/cron.js'
import { volumePathProblem } from '../backup/files.js'
import { writeAnswer, writeFailure } from './backup-answer.js'
import { defineCommand, startOrExit, UsageError } from './command.js'
import { checkPaths, flag, path, positive } from './flags.js'

interface RepositoryFlags {
  repository: string
  cacheDir: string
  answerFile?: string
}

export interface BackupFlags extends RepositoryFlags {
  point: string
  volume?: string
  database?: string
}

interface RestoreFlags extends BackupFlags {
  replace?: boolean
  path?: string
  before?: string
}

interface RunFlags extends BackupFlags, RetentionFlags {
  group: string
  time?: Date
}

interface RetentionFlags {
  keepLast?: number
  keepDaily?: number
  keepWeekly?: number
  keepMonthly?: number
  timeZone: string
  prune?: boolean
}

interface ForgetFlags extends RepositoryFlags, RetentionFlags {
  group: string
}

interface ListFlags extends RepositoryFlags {
  group?: string
}

/**
 * A restore point's or a group's id: it becomes a restic tag, which takes neither commas nor
 * spaces.
 */
const tagValue = (what: string) => (text: string) => {
  if (!/^[a-z0-9][a-z0-9.-]{0,99}$/.test(text))
    throw new InvalidArgumentError(`${text} is not a ${what} id (lower-case letters, digits, '.', '-')`)
  return text
}
const pointId = tagValue('restore point')

/** A file or directory of a volume, relative to its root: nothing outside it can be named. */
const volumePath = (text: string) => {
  const problem = volumePathProblem(text)
  if (problem) throw new InvalidArgumentError(problem)
  return text.replace(/\/+$/, '')
}

const policyOf = (flags: RetentionFlags) => ({
  last: flags.keepLast,
  daily: flags.keepDaily,
  weekly: flags.keepWeekly,
  monthly: flags.keepMonthly,
})

/** The --keep-* rules, --time-zone and --prune, for `forget` and (after its backup) `run`. */
const withRetention = (command: Command, after: string) => {
  for (const option of retentionOptions(after)) command.addOption(option)
  return command
}

const retentionOptions = (after: string) => [
  flag('--keep-last <n>', `${after}keep the n newest points`, { parse: positive }),
  flag('--keep-daily <n>', `${after}keep the newest point of each of the n latest days with points`, {
    parse: positive,
  }),
  flag('--keep-weekly <n>', `${after}the same for ISO weeks (Monday to Sunday)`, { parse: positive }),
  flag('--keep-monthly <n>', `${after}the same for months`, { parse: positive }),
  flag('--time-zone <zone>', 'the IANA time zone days, weeks and months are counted in', {
    parse: timeZone,
    default: 'UTC',
  }),
  flag('--prune', 'then remove the data no restore point refers to any more'),
]
const groupId = tagValue('group')

/** An instant with its zone, e.g. `2026-12-07T03:00:00Z`. */
const instant = (text: string) => {
  const time = new Date(text)
  if (
    !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text) ||
    Number.isNaN(time.getTime())
  )
    throw new InvalidArgumentError(`${text} is not a time such as 2026-12-07T03:00:00Z`)
  return time
}

const timeZone = (text: string) => {
  if (!isTimeZone(text))
    throw new InvalidArgumentError(`${text} is not an IANA time zone such as Europe/Berlin`)
  return text
}

/** The flags every backup command has: the repository, restic's cache, the answer file. */
const repositoryFlags = (command: Command) =>
  command
    .addOption(
      flag(
        '--repository <dir>',
        "the mounted Secret of the customer's repository (repository, password; for an s3: repository also access-key-id, secret-access-key)",
        {
          parse: path,
          exists: 'dir',
        },
      ).makeOptionMandatory(),
    )
    .addOption(flag('--cache-dir <dir>', "restic's cache", { parse: path, default: '/tmp/restic-cache' }))
    .addOption(
      flag(
        '--answer-file <path>',
        "also write the answer here, fitted to a termination message's 4096 bytes (e.g. /dev/termination-log)",
        { parse: path },
      ),
    )

const common = (command: Command, volume: string, database: string) =>
  repositoryFlags(command)
    .addOption(flag('--point <id>', 'the restore point', { parse: pointId }).makeOptionMandatory())
    .addOption(flag('--volume <dir>', volume, { parse: path }))
    .addOption(flag('--database <dir>', database, { parse: path, exists: 'dir' }))

async function openRepository(flags: RepositoryFlags) {
  const { mountedRepository } = await import('../backup/mounted-secrets.js')
  const { Restic } = await import('../backup/restic.js')
  return new Restic(await mountedRepository(flags.repository), { cacheDir: flags.cacheDir })
}

async function open(flags: BackupFlags) {
  const { mountedDatabase } = await import('../backup/mounted-secrets.js')
  return {
    restic: await openRepository(flags),
    database: flags.database ? await mountedDatabase(flags.database) : undefined,
  }
}

/** Runs a backup command: its answer on stdout and in the answer file, or why it failed in both places. */
function answering<F extends RepositoryFlags>(
  name: string,
  act: (flags: F, command: Command) => Promise<object>,
): (flags: F, command: Command) => Promise<void> {
  return (flags, command) =>
    startOrExit(name, async () => {
      try {
        await checkPaths(command)
        await writeAnswer(await act(flags, command), flags.answerFile)
      } catch (error) {
        await writeFailure(error, flags.answerFile)
        throw error
      }
    })
}

export function registerBackupCommand(program: Command): void {
  const backup = defineCommand(program, 'backup').description(
    "a customer's backups: take, restore, verify, list and forget restore points",
  )

  withRetention(
    common(
      defineCommand(backup, 'run', 'backup').description(
        'take a restore point of a volume, a database or both',
      ),
      'the volume to back up',
      'the mounted Secret of the Database to dump (its operator-written Secret)',
    )
      .addOption(
        flag(
          '--group <id>',
          'the group the point belongs to (its BackupSchedule); retention works within one',
          {
            parse: groupId,
            default: 'manual',
          },
        ),
      )
      .addOption(
        flag('--time <time>', 'when the point counts as taken, e.g. 2026-12-07T03:00:00Z (default: now)', {
          parse: instant,
        }),
      ),
    'after the backup, in its group: ',
  ).action(
    answering('backup run', async (flags: RunFlags) => {
      if (!flags.volume && !flags.database)
        throw new Error('nothing to back up: give --volume, --database or both')
      const { restic, database } = await open(flags)
      await restic.ensureRepository()
      const { backupFiles } = await import('../backup/files.js')
      const { backupDatabase } = await import('../backup/database.js')
      const labels = { group: flags.group, time: flags.time }
      const taken = {
        point: flags.point,
        group: flags.group,
        ...(flags.volume ? { files: await backupFiles(restic, flags.volume, flags.point, labels) } : {}),
        ...(database ? { database: await backupDatabase(restic, database, flags.point, labels) } : {}),
      }
      const policy = policyOf(flags)
      const { applyRetention, hasRule } = await import('../backup/apply-retention.js')
      if (!hasRule(policy)) return taken
      const { forgotten, pruned } = await applyRetention(restic, flags.group, policy, {
        timeZone: flags.timeZone,
        prune: Boolean(flags.prune),
      })
      return { ...taken, retention: { forgotten, pruned } }
    }),
  )

  common(
    defineCommand(backup, 'restore', 'backup').description(
      'restore a restore point (or one path of its files) into a new directory or over a volume, a database or both',
    ),
    'the directory to restore the files into: a new one, or with --replace an existing one (a volume)',
    'the mounted Secret of the Database to restore the dump into (empty, or emptied with --replace)',
  )
    .addOption(
      flag(
        '--replace',
        "restore over what is there: the volume's contents (or --path) become the point's, the database is emptied first",
      ),
    )
    .addOption(
      flag(
        '--path <path>',
        'only this file or directory of the volume, relative to its root (needs --volume)',
        {
          parse: volumePath,
        },
      ),
    )
    .addOption(
      flag(
        '--before <id>',
        'the restore point of what is there now (a Restore takes it first): a failed database load names it as the way back',
        { parse: pointId },
      ),
    )
    .action(
      answering('backup restore', async (flags: RestoreFlags) => {
        if (!flags.volume && !flags.database)
          throw new Error('nothing to restore: give --volume, --database or both')
        if (flags.path !== undefined && !flags.volume)
          throw new UsageError('--path names a path of the volume: give --volume too')
        const { restic, database } = await open(flags)
        const { restoreFiles } = await import('../backup/files.js')
        const { restoreDatabase } = await import('../backup/database.js')
        const replace = Boolean(flags.replace)
        const files = flags.volume
          ? await restoreFiles(restic, flags.point, flags.volume, { replace, path: flags.path })
          : undefined
        const restored = database
          ? await restoreDatabase(restic, flags.point, database, { replace, before: flags.before })
          : undefined
        const problems: string[] = []
        // Each part's counts go under `restored`, its problems into the answer's one list.
        const counted = <T extends { problems: readonly string[] }>({ problems: found, ...counts }: T) => {
          problems.push(...found)
          return counts
        }
        const answer = {
          point: flags.point,
          restored: {
            ...(files ? { files: counted(files) } : {}),
            ...(restored ? { database: counted(restored) } : {}),
          },
        }
        if (problems.length === 0) return answer
        process.exitCode = 1
        return { ...answer, problems }
      }),
    )

  common(
    defineCommand(backup, 'verify', 'backup').description(
      'restore a restore point into a scratch directory and database and compare with what was recorded',
    ),
    'a scratch directory to restore the files into (must not exist; removed afterwards)',
    'the mounted Secret of an empty scratch Database to restore the dump into',
  ).action(
    answering('backup verify', async (flags: BackupFlags) => {
      if (!flags.volume && !flags.database)
        throw new Error('nothing to verify: give --volume, --database or both')
      const { restic, database } = await open(flags)
      const { verifyFiles } = await import('../backup/files.js')
      const { verifyDatabase } = await import('../backup/database.js')
      const problems = [
        ...(flags.volume ? await verifyFiles(restic, flags.point, flags.volume) : []),
        ...(database ? await verifyDatabase(restic, flags.point, database) : []),
      ]
      if (problems.length > 0) process.exitCode = 1
      return { point: flags.point, verified: problems.length === 0, problems }
    }),
  )

  repositoryFlags(
    defineCommand(backup, 'list', 'backup').description('list the restore points, oldest first'),
  )
    .addOption(flag('--group <id>', 'only the points of this group', { parse: groupId }))
    .action(
      answering('backup list', async (flags: ListFlags) => {
        const { restorePoints } = await import('../backup/restore-point.js')
        const points = await restorePoints(await openRepository(flags), flags.group)
        return {
          points: points.map(({ point, group, time, parts, bytes }) => ({
            point,
            group,
            time,
            parts,
            bytes,
          })),
        }
      }),
    )

  withRetention(
    repositoryFlags(
      defineCommand(backup, 'forget', 'backup').description(
        "forget a group's restore points that no --keep-* rule keeps (restic's forget semantics)",
      ),
    ).addOption(
      flag('--group <id>', 'the group to apply the rules to', { parse: groupId }).makeOptionMandatory(),
    ),
    '',
  ).action(
    answering('backup forget', async (flags: ForgetFlags) => {
      const policy = policyOf(flags)
      const { applyRetention, hasRule } = await import('../backup/apply-retention.js')
      if (!hasRule(policy))
        throw new UsageError(
          `no --keep-last, --keep-daily, --keep-weekly or --keep-monthly: that would forget every restore point of group ${flags.group}`,
        )
      const restic = await openRepository(flags)
      return {
        group: flags.group,
        ...(await applyRetention(restic, flags.group, policy, {
          timeZone: flags.timeZone,
          prune: Boolean(flags.prune),
        })),
      }
    }),
  )
}
