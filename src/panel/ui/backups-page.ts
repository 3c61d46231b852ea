/**
 * The customer's Backups, newest first, each with its state in words, when it was taken, what it
 * holds, and for a Succeeded one a link per part that downloads it (the JSON API's download,
 * which the session signs in to as well). Pure.
 */
import type { DownloadPart } from '../../backup/download.js'
import type { BackupView } from '../schemas.js'
import { dataTable, screenReaderOnly, statusWord, when } from './components.js'
import { customerPage, type Viewer } from './frame.js'
import { html } from './html.js'

const LINK_TEXT: Readonly<Record<DownloadPart, string>> = {
  files: 'Files (tar)',
  database: 'Database (SQL)',
}

/** The API's download of `part` of Backup `name`. */
export const downloadPath = (name: string, part: DownloadPart) =>
  `/api/v1/backups/${encodeURIComponent(name)}/download?part=${part}`

const holds = (backup: BackupView) => [
  backup.webspace &&
    html`<div>
      webspace
      <code>${backup.webspace}</code
      >${backup.files && html`: ${backup.files.files} files, ${backup.files.bytes} bytes`}
    </div>`,
  backup.database &&
    html`<div>
      database
      <code>${backup.database}</code
      >${backup.tables && html`: ${backup.tables.tables} tables, ${backup.tables.rows} rows`}
    </div>`,
]

const downloads = (backup: BackupView) =>
  backup.downloads.length === 0
    ? html`<span class="muted">when it succeeded</span>`
    : backup.downloads.map(
        (part) =>
          html`<a href="${downloadPath(backup.name, part)}" download
            >${LINK_TEXT[part]}${screenReaderOnly(`of ${backup.name}`)}</a
          > `,
      )

export function backupsPage(viewer: Viewer, backups: readonly BackupView[]) {
  const body =
    backups.length === 0
      ? html`<p>
          No backups yet. A Backup or a BackupSchedule (kubectl, or your provider) copies a webspace's files
          and a database off the cluster; each one that succeeded can be downloaded here.
        </p>`
      : dataTable(backups, [
          { header: 'Backup', cell: (b) => html`<code>${b.name}</code>` },
          { header: 'State', cell: (b) => statusWord(b.state) },
          { header: 'Taken', cell: (b) => when(b.takenAt, 'not yet') },
          { header: 'Holds', cell: holds },
          { header: 'Download', cell: downloads },
        ])
  return customerPage(viewer, { title: 'Backups', section: 'backups', body })
}
