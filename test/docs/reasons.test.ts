/**
 * The reasons and error codes in the docs are exactly those in the code: each process has one
 * registry (src/operator/reasons.ts, src/syncer/reasons.ts), and each kind's docs section has a
 * table with a `reason` column (and for the syncer a `code` column). A reason or code in the code
 * but not in its table, or in the table but no longer in the code, fails here.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { BUILD_ERRORS } from '../../src/build/build-error.js'
import { DOMAIN_REASON } from '../../src/domains/reasons.js'
import { OPERATOR_REASONS, type ReasonKind, reasonsOf } from '../../src/operator/reasons.js'
import { SIGNIN_ERRORS } from '../../src/panel/auth/errors.js'
import { SYNC_ERRORS, SYNCED_REASONS } from '../../src/syncer/reasons.js'
import { REPO_ROOT } from '../cluster/paths.js'

interface Row {
  readonly reasons: readonly string[]
  readonly codes: readonly string[]
}

/** The `name` tokens of a table cell. */
const names = (cell: string | undefined) =>
  [...(cell ?? '').matchAll(/`([A-Za-z_]+)`/g)].map((m) => m[1] ?? '')

/** Rows of every table under `heading` (to the next heading of the same or a higher level). */
function tableRows(file: string, heading: string): Row[] {
  const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n')
  const start = lines.indexOf(heading)
  assert.ok(start >= 0, `${file} has no heading "${heading}"`)
  const level = heading.indexOf(' ')
  const rows: Row[] = []
  let columns: string[] | undefined
  for (const line of lines.slice(start + 1)) {
    const depth = /^(#+) /.exec(line)?.[1]?.length
    if (depth !== undefined && depth <= level) break
    if (!line.startsWith('|')) {
      columns = undefined
      continue
    }
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim())
    if (!columns) columns = cells
    else if (!cells.every((cell) => /^-+$/.test(cell)))
      rows.push({
        reasons: names(cells[columns.indexOf('reason')]),
        codes: names(cells[columns.indexOf('code')]),
      })
  }
  assert.ok(rows.length > 0, `${file} "${heading}" has no table`)
  return rows
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort()

const OPERATOR_DOCS: readonly [ReasonKind, string, readonly string[]][] = [
  ['StaticSite', 'docs/operator.md', ['## Conditions and what to do about them']],
  ['Customer', 'docs/tenancy.md', ['### Customer conditions', '### Customer events']],
  ['Webspace', 'docs/tenancy.md', ['### Webspace conditions']],
  ['Database', 'docs/databases.md', ['### Database conditions', '### Database events']],
  ['DatabaseServer', 'docs/databases.md', ['### DatabaseServer conditions']],
  ['Backup', 'docs/backups.md', ['### Backup conditions']],
  ['BackupTarget', 'docs/backups.md', ['### BackupTarget conditions']],
  ['BackupSchedule', 'docs/backups.md', ['### BackupSchedule conditions']],
  ['Restore', 'docs/backups.md', ['### Restore conditions']],
]

describe('every reason and error code is documented, and every documented one exists', () => {
  for (const [kind, file, headings] of OPERATOR_DOCS)
    it(`the ${kind} reasons of the operator's registry are the reasons in the tables of ${file}`, () => {
      const documented = headings.flatMap((heading) => tableRows(file, heading).flatMap((row) => row.reasons))
      assert.deepEqual(sorted(documented), sorted(Object.keys(reasonsOf(kind))))
    })

  it('the operator registry names no reason that no kind writes', () => {
    for (const [reason, kinds] of Object.entries(OPERATOR_REASONS)) assert.ok(kinds.length > 0, reason)
  })

  it('the reasons of the domain decision shared with hostplane serve (src/domains) are StaticSite and Webspace reasons', () => {
    for (const reason of Object.values(DOMAIN_REASON))
      for (const kind of ['StaticSite', 'Webspace'] as const)
        assert.ok(reason in reasonsOf(kind), `${reason} is a ${kind} reason in src/operator/reasons.ts`)
  })

  it("the syncer's reasons and HP_ERR_SYNC codes are those of the table in docs/syncer.md, each code in the row of its reason", () => {
    const rows = tableRows('docs/syncer.md', '## Status and failure messages')
    const reasons = [...Object.values(SYNCED_REASONS), ...Object.values(SYNC_ERRORS).map((e) => e.reason)]
    assert.deepEqual(sorted(rows.flatMap((row) => row.reasons)), sorted(reasons))
    assert.deepEqual(sorted(rows.flatMap((row) => row.codes)), sorted(Object.keys(SYNC_ERRORS)))
    for (const [code, { reason }] of Object.entries(SYNC_ERRORS)) {
      const row = rows.find((r) => r.codes.includes(code))
      assert.ok(row?.reasons.includes(reason), `${code} is documented in the row of ${reason}`)
    }
  })

  it('the HP_ERR_BUILD and HP_ERR_REGISTRY codes are those of the table in docs/builds.md', () => {
    const rows = tableRows('docs/builds.md', '## Error codes')
    assert.deepEqual(sorted(rows.flatMap((row) => row.codes)), sorted(Object.keys(BUILD_ERRORS)))
  })

  it('the HP_ERR_SIGNIN codes are those of the table in docs/panel-sign-in.md', () => {
    const rows = tableRows('docs/panel-sign-in.md', '## Error codes')
    assert.deepEqual(sorted(rows.flatMap((row) => row.codes)), sorted(Object.keys(SIGNIN_ERRORS)))
  })
})
