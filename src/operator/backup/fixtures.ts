/** Small builders for unit tests: schedule `nightly` in `sh-acme`, backing up Webspace `shop` every night. */
import type { BackupSchedule } from '../../api/resources.js'

export const schedule = (
  spec: Partial<BackupSchedule['spec']> = {},
  status: BackupSchedule['status'] = {},
): BackupSchedule => ({
  apiVersion: 'hostplane.dev/v1alpha1',
  kind: 'BackupSchedule',
  metadata: {
    name: 'nightly',
    namespace: 'sh-acme',
    uid: 'uid-s',
    generation: 1,
    creationTimestamp: '2026-12-01T00:00:00Z',
  },
  spec: {
    webspace: 'shop',
    schedule: '0 3 * * *',
    timeZone: 'UTC',
    startingDeadlineSeconds: 3600,
    retention: { daily: 7 },
    suspend: false,
    // Not due in these tests unless one sets it.
    drill: { schedule: '0 0 1 1 *', suspend: false },
    finalBackup: true,
    ...spec,
  },
  status,
})
