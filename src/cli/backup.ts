/**
 * `hostplane backup run|restore|verify`: what a backup Job's container runs (issue 18), and what
 * an operator runs by hand. The repository and the database come from mounted Secrets
 * (src/backup/mounted-secrets.ts); the answer is one JSON line on stdout, which a Job keeps as its
 * termination message. `verify` exits 1 when the restore point does not hold what it recorded.
 */
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { defineCommand, startOrExit } from './command.js'
import { checkPaths, flag, path } from './flags.js'

export interface BackupFlags {
  repository: string
  point: string
  volume?: string
  database?: string
  cacheDir: string
}

/** A restore point's id: it becomes a restic tag, which takes neither commas nor spaces. */
const pointId = (text: string) => {
  if (!/^[a-z0-9][a-z0-9.-]{0,99}$/.test(text))
    throw new InvalidArgumentError(`${text} is not a restore point id (lower-case letters, digits, '.', '-')`)
  return text
}

const common = (command: Command, volume: string, database: string) =>
  command
    .addOption(
      flag(
        '--repository <dir>',
        "the mounted Secret of the customer's repository (repository, password, access-key-id, secret-access-key)",
        {
          parse: path,
          exists: 'dir',
        },
      ).makeOptionMandatory(),
    )
    .addOption(flag('--point <id>', 'the restore point', { parse: pointId }).makeOptionMandatory())
    .addOption(flag('--volume <dir>', volume, { parse: path }))
    .addOption(flag('--database <dir>', database, { parse: path, exists: 'dir' }))
    .addOption(flag('--cache-dir <dir>', "restic's cache", { parse: path, default: '/tmp/restic-cache' }))

async function open(flags: BackupFlags) {
  const { mountedDatabase, mountedRepository } = await import('../backup/mounted-secrets.js')
  const { Restic } = await import('../backup/restic.js')
  const restic = new Restic(await mountedRepository(flags.repository), { cacheDir: flags.cacheDir })
  return { restic, database: flags.database ? await mountedDatabase(flags.database) : undefined }
}

const answer = (result: object) => process.stdout.write(`${JSON.stringify(result)}\n`)

export function registerBackupCommand(program: Command): void {
  const backup = defineCommand(program, 'backup').description(
    "a customer's backups: take, restore and verify restore points",
  )

  common(
    defineCommand(backup, 'run', 'backup').description(
      'take a restore point of a volume, a database or both',
    ),
    'the volume to back up',
    'the mounted Secret of the Database to dump (its operator-written Secret)',
  ).action((flags: BackupFlags, command: Command) =>
    startOrExit('backup run', async () => {
      await checkPaths(command)
      if (!flags.volume && !flags.database)
        throw new Error('nothing to back up: give --volume, --database or both')
      const { restic, database } = await open(flags)
      await restic.ensureRepository()
      const { backupFiles } = await import('../backup/files.js')
      const { backupDatabase } = await import('../backup/database.js')
      answer({
        point: flags.point,
        ...(flags.volume ? { files: await backupFiles(restic, flags.volume, flags.point) } : {}),
        ...(database ? { database: await backupDatabase(restic, database, flags.point) } : {}),
      })
    }),
  )

  common(
    defineCommand(backup, 'restore', 'backup').description(
      'restore a restore point into a new directory, a database or both',
    ),
    'the new directory to restore the files into (must not exist)',
    'the mounted Secret of the (empty) Database to restore the dump into',
  ).action((flags: BackupFlags, command: Command) =>
    startOrExit('backup restore', async () => {
      await checkPaths(command)
      if (!flags.volume && !flags.database)
        throw new Error('nothing to restore: give --volume, --database or both')
      const { restic, database } = await open(flags)
      const { restoreFiles } = await import('../backup/files.js')
      const { restoreDatabase } = await import('../backup/database.js')
      if (flags.volume) await restoreFiles(restic, flags.point, flags.volume)
      if (database) await restoreDatabase(restic, flags.point, database)
      answer({
        point: flags.point,
        restored: {
          ...(flags.volume ? { files: flags.volume } : {}),
          ...(database ? { database: database.database } : {}),
        },
      })
    }),
  )

  common(
    defineCommand(backup, 'verify', 'backup').description(
      'restore a restore point into a scratch directory and database and compare with what was recorded',
    ),
    'a scratch directory to restore the files into (must not exist; removed afterwards)',
    'the mounted Secret of an empty scratch Database to restore the dump into',
  ).action((flags: BackupFlags, command: Command) =>
    startOrExit('backup verify', async () => {
      await checkPaths(command)
      if (!flags.volume && !flags.database)
        throw new Error('nothing to verify: give --volume, --database or both')
      const { restic, database } = await open(flags)
      const { verifyFiles } = await import('../backup/files.js')
      const { verifyDatabase } = await import('../backup/database.js')
      const problems = [
        ...(flags.volume ? await verifyFiles(restic, flags.point, flags.volume) : []),
        ...(database ? await verifyDatabase(restic, flags.point, database) : []),
      ]
      answer({ point: flags.point, verified: problems.length === 0, problems })
      if (problems.length > 0) process.exitCode = 1
    }),
  )
}
