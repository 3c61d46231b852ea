/**
 * Local repositories for `hostplane serve --local-repos <dir>`: a StaticSite whose repo is
 * `https://repos.localhost/<name>` is read from the git repository `<dir>/<name>` on this machine
 * instead of over the network. `.localhost` names never leave the machine (RFC 6761), the schema
 * keeps accepting only https URLs, and the syncer's refusal of `file://` and `ext::` transports
 * stays as it is: the repository is read in place, with the same tree filter and publish store.
 * Without the flag such a site fails like any other host that is not allowed.
 */
import { join } from 'node:path'

export const LOCAL_REPO_HOST = 'repos.localhost'

const LOCAL_REPO = /^https:\/\/repos\.localhost\/([A-Za-z0-9_][A-Za-z0-9._-]{0,199})\/?$/

/** The directory a repo URL stands for under `dir`, or undefined when it is not a local repo URL. */
export function localRepoPath(repo: string, dir: string | undefined): string | undefined {
  const name = dir === undefined ? undefined : LOCAL_REPO.exec(repo)?.[1]
  return name === undefined || name.includes('..') ? undefined : join(dir as string, name)
}
