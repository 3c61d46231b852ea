/**
 * The condition types the backup controllers write and their view of the operator's reason
 * registry (../reasons.ts); docs/backups.md explains each reason.
 */
import { reasonsOf } from '../reasons.js'

export const CONDITION = {
  /** Backup: the restore point is taken and holds files and tables. BackupTarget: its proxy serves. */
  Ready: 'Ready',
} as const

export const REASON = reasonsOf('Backup')
export const TARGET_REASON = reasonsOf('BackupTarget')
export const RESTORE_REASON = reasonsOf('Restore')

export const SCHEDULE_CONDITION = {
  /** Runs start when scheduled; False when one was missed, until a later one starts. */
  Scheduled: 'Scheduled',
  /** The newest finished Backup of the schedule succeeded. */
  BackedUp: 'BackedUp',
  /** The newest finished restore drill found everything its Backup recorded. */
  Verified: 'Verified',
  Ready: 'Ready',
} as const

export const SCHEDULE_REASON = reasonsOf('BackupSchedule')
