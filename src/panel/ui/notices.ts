/**
 * What a page says after a change, redirect-after-POST: the change redirects to a page with
 * `?done=<code>`, and the page says the code's sentence. Only these codes are said, so no link can
 * make the panel say anything else. Pure.
 */
import type { PageProps } from './page.js'

export const NOTICES = {
  created: 'Created. Its status fills in as the cluster takes it up.',
  saved: 'Saved. The cluster applies the change now.',
  deleted: 'Deleted.',
  'sync-requested': 'Sync requested: the syncer checks the repository now.',
  'site-rolled-back': 'Rolled back: the site serves that revision again (its ref is now the commit).',
  'webspace-rolled-back':
    'Rolled back: the webspace runs that release until you choose another or follow the branch again.',
  following: 'The webspace follows its branch again: its newest release runs.',
  'key-added': 'SSH key added. The gitserver accepts pushes with it once it shows “accepted”.',
  'key-deleted': 'SSH key removed: it can no longer push.',
  'token-revoked': 'Token revoked: requests with it are refused from now on.',
  'customer-created': 'Customer created. The operator makes its namespace now.',
  'customer-saved': 'Saved. The operator applies the new tier and size now.',
  suspended: 'Suspended: its sites and webspaces go offline now.',
  unsuspended: 'Back online: its sites and webspaces are served again.',
  acting: 'You are acting as this customer: the banner above says so, and stops it.',
  'stopped-acting': 'You stopped acting as the customer.',
} as const

export type NoticeCode = keyof typeof NOTICES

/** The notice of a `?done=` value; nothing for anything else. */
export const noticeOf = (done: unknown): PageProps['notice'] =>
  typeof done === 'string' && Object.hasOwn(NOTICES, done)
    ? { kind: 'ok', text: NOTICES[done as NoticeCode] }
    : undefined

/** A page path with the notice to say there. */
export const withNotice = (path: string, code: NoticeCode) => `${path}?done=${code}`
