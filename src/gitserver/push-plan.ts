/**
 * What a push to a Webspace's repository asks for, decided before anything is built: which refs
 * build a Release (the Webspace's branch; other branches when previews are on), which remove a
 * preview (a deleted preview branch), which are only stored (tags; branches while previews are
 * off), and what is refused — with the sentence the pusher reads. Git applies a push's refs all
 * or none, so one refusal refuses the push. Pure.
 */
import type { Webspace } from '../api/resources.js'
import { type RefUpdate, ZERO_COMMIT } from './push-gate.js'

/** Most branches one push may build: each build holds the push open. */
export const MAX_BUILDS_PER_PUSH = 3

export type PushAction =
  | { readonly kind: 'build'; readonly branch: string; readonly commit: string; readonly preview: boolean }
  | { readonly kind: 'remove-preview'; readonly branch: string }
  | { readonly kind: 'store'; readonly ref: string; readonly note: string }

export type PushPlan =
  | { readonly ok: true; readonly actions: readonly PushAction[] }
  | { readonly ok: false; readonly message: string }

const BRANCH = /^[A-Za-z0-9._/+-]+$/
const COMMIT = /^[0-9a-f]{40}$/

/** The branch name of `refs/heads/<branch>` when it is one a Release can name, else undefined. */
function branchOf(ref: string): string | undefined {
  const branch = ref.slice('refs/heads/'.length)
  return ref.startsWith('refs/heads/') &&
    BRANCH.test(branch) &&
    !branch.startsWith('-') &&
    !branch.includes('..')
    ? branch
    : undefined
}

function actionOf(webspace: Webspace, update: RefUpdate): PushAction | string {
  const { ref, newCommit } = update
  if (!COMMIT.test(update.oldCommit) || !COMMIT.test(newCommit)) return `${ref}: not a commit id`
  const deleted = newCommit === ZERO_COMMIT
  if (ref.startsWith('refs/tags/'))
    return { kind: 'store', ref, note: `${ref} ${deleted ? 'deleted' : 'stored'}; tags are not deployed` }
  const branch = branchOf(ref)
  if (!branch)
    return ref.startsWith('refs/heads/')
      ? `${ref}: branch names may hold only letters, digits and . _ / + - (not starting with '-', no '..')`
      : `${ref}: only branches (refs/heads/…) and tags (refs/tags/…) may be pushed`
  const production = webspace.spec.git.branch
  if (branch === production)
    return deleted
      ? `${ref}: the Webspace ${webspace.metadata.name} deploys ${production}; deleting it is refused (set spec.git.branch to another branch first)`
      : { kind: 'build', branch, commit: newCommit, preview: false }
  if (!webspace.spec.git.previews?.enabled)
    return {
      kind: 'store',
      ref,
      note: `${ref} ${deleted ? 'deleted' : 'stored'}, not deployed: only ${production} deploys (branch previews are off: spec.git.previews.enabled)`,
    }
  return deleted
    ? { kind: 'remove-preview', branch }
    : { kind: 'build', branch, commit: newCommit, preview: true }
}

export function planPush(webspace: Webspace, updates: readonly RefUpdate[]): PushPlan {
  const actions: PushAction[] = []
  for (const update of updates) {
    const action = actionOf(webspace, update)
    if (typeof action === 'string') return { ok: false, message: action }
    actions.push(action)
  }
  const builds = actions.filter((action) => action.kind === 'build').length
  if (builds > MAX_BUILDS_PER_PUSH)
    return {
      ok: false,
      message: `this push would build ${builds} branches; push at most ${MAX_BUILDS_PER_PUSH} deploying branches at once`,
    }
  return { ok: true, actions }
}
