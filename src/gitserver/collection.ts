/**
 * Which repositories on the gitserver's volume belong to no Webspace: a pure rule over the
 * volume's names and the UIDs of the Webspaces that exist (STYLE 4). Only names the gitserver
 * makes count: `<uid>.git` and an unfinished `.new-<uid>`, the UID a Kubernetes UID (a UUID).
 * Anything else on the volume (`lost+found`, an operator's notes, the trash) is not the
 * gitserver's and is never a candidate.
 */

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
const REPOSITORY = new RegExp(`^(${UUID})\\.git$`)
const UNFINISHED = new RegExp(`^\\.new-(${UUID})$`)

/** The trash directory on the volume: removals are renamed into it, then deleted. */
export const TRASH = '.trash'

/** The directory names a Webspace's repository may have on the volume. */
export function repositoryNames(uid: string): { readonly repository: string; readonly unfinished: string } {
  return { repository: `${uid}.git`, unfinished: `.new-${uid}` }
}

/** The UIDs with a repository (or an unfinished one) on the volume and no Webspace, sorted. */
export function orphanedUids(names: readonly string[], live: ReadonlySet<string>): string[] {
  const uids = new Set<string>()
  for (const name of names) {
    const uid = REPOSITORY.exec(name)?.[1] ?? UNFINISHED.exec(name)?.[1]
    if (uid !== undefined && !live.has(uid)) uids.add(uid)
  }
  return [...uids].sort()
}
