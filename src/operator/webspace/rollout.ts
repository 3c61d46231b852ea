/**
 * Which Release a Webspace runs, decided from plain inputs (its status, its Releases, the live
 * Deployment). Pure.
 *
 * The choice, in order: spec.release (a manual rollback), else the newest Release of
 * spec.git.branch that did not fail its rollout, else no Release (spec.image, else the Runtime's
 * image, as before pushes existed). A pinned Release that does not exist, belongs to another
 * webspace or failed keeps what runs now, with the Released condition saying why.
 *
 * The health gate: a new Release's rollout is recorded as Released=Unknown (RolloutInProgress).
 * When the Deployment reports ProgressDeadlineExceeded for that Release's image (no progress to
 * Available within spec.rollout.progressDeadlineSeconds, Kubernetes' own progress deadline), the
 * Release joins status.failedReleases and the choice runs again without it — so the webspace
 * goes back to the Release that ran before, with Released=False (RolledBack) naming both. A
 * failed Release is never chosen again by itself; the way back is not gated, so a rollback never
 * cascades further back.
 *
 * Pruning keeps the newest spec.releaseHistory Releases of each branch, and always the running,
 * the previous and the pinned one.
 */
import type { Release, Webspace } from '../../api/resources.js'
import {
  DEFAULT_PROGRESS_DEADLINE_SECONDS,
  DEFAULT_RELEASE_HISTORY,
  MAX_FAILED_RELEASES,
} from '../../api/webspace.js'
import { type DesiredCondition, findCondition } from '../../kube/conditions.js'
import { CONDITION, REASON } from './conditions.js'
import type { Deployment } from './plan.js'

export interface RolloutInputs {
  readonly webspace: Webspace
  /** The Releases of its namespace whose spec.webspace is its name. */
  readonly releases: readonly Release[]
  readonly deployment: Deployment | undefined
}

export interface RolloutStatus {
  readonly release?: string
  readonly previousRelease?: string
  readonly failedReleases?: readonly string[]
}

export interface Rollout {
  /** The Release the Deployment runs; undefined: spec.image, else the Runtime's image. */
  readonly release: Release | undefined
  readonly status: RolloutStatus
  /** The Released condition; none for a webspace that never had a Release. */
  readonly conditions: readonly DesiredCondition[]
  /** Releases to delete: beyond the history of their branch, and neither running, previous nor pinned. */
  readonly prune: readonly Release[]
}

/** Newest first; the name breaks a tie of creation seconds. */
export const newestFirst = (a: Release, b: Release) =>
  (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
  b.metadata.name.localeCompare(a.metadata.name)

const appImage = (deployment: Deployment | undefined) =>
  deployment?.spec?.template?.spec?.containers?.find((c) => c.name === 'app')?.image

/** The Deployment gave up on this image: Kubernetes' progress deadline passed without progress. */
function deadlineExceeded(deployment: Deployment | undefined, image: string): string | undefined {
  if (!deployment || appImage(deployment) !== image) return undefined
  if ((deployment.status?.observedGeneration ?? 0) < (deployment.metadata.generation ?? 0)) return undefined
  const progressing = deployment.status?.conditions?.find((c) => c.type === CONDITION.Progressing)
  return progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded'
    ? (progressing.message ?? 'ProgressDeadlineExceeded')
    : undefined
}

/** The Deployment runs this image everywhere: the rollout is complete. */
function rolledOut(deployment: Deployment | undefined, image: string): boolean {
  if (!deployment || appImage(deployment) !== image) return false
  if ((deployment.status?.observedGeneration ?? 0) < (deployment.metadata.generation ?? 0)) return false
  const progressing = deployment.status?.conditions?.find((c) => c.type === CONDITION.Progressing)
  return progressing?.status === 'True' && progressing.reason === 'NewReplicaSetAvailable'
}

const describe = (release: Release | undefined) =>
  release ? `Release ${release.metadata.name} (${release.spec.commit.slice(0, 12)})` : 'the prebuilt image'

export function decideRollout({ webspace, releases, deployment }: RolloutInputs): Rollout {
  const { spec, status = {} } = webspace
  const byName = new Map(releases.map((r) => [r.metadata.name, r]))
  const current = status.release ? byName.get(status.release) : undefined
  const stored = findCondition(status.conditions, CONDITION.Released)
  const failed = (status.failedReleases ?? []).filter((name) => byName.has(name))
  const deadline = spec.rollout?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS

  const gated = stored?.status === 'Unknown' && stored.reason === REASON.RolloutInProgress
  const stuck = current && gated ? deadlineExceeded(deployment, current.spec.image) : undefined
  if (current && stuck) failed.push(current.metadata.name)
  const usable = (release: Release | undefined): release is Release =>
    release !== undefined && !failed.includes(release.metadata.name)
  const newest = releases
    .filter((r) => r.spec.branch === spec.git.branch)
    .sort(newestFirst)
    .find((r) => usable(r))

  const pinned = spec.release ? byName.get(spec.release) : undefined
  const pinProblem: DesiredCondition | undefined = !spec.release
    ? undefined
    : !pinned
      ? {
          type: CONDITION.Released,
          status: 'False',
          reason: REASON.ReleaseNotFound,
          message: `spec.release ${spec.release} is no Release of this webspace: pick one of hostplane releases ${webspace.metadata.name}`,
        }
      : !usable(pinned)
        ? {
            type: CONDITION.Released,
            status: 'False',
            reason: REASON.ReleaseFailed,
            message: `spec.release ${spec.release} failed its rollout before and is not run again: pin another Release or push a fix`,
          }
        : undefined
  // A pin that cannot run keeps what runs (or ran before a rollback) rather than jumping elsewhere.
  const kept = [current, status.previousRelease ? byName.get(status.previousRelease) : undefined].find((r) =>
    usable(r),
  )
  const target = spec.release ? (pinProblem ? kept : pinned) : newest
  const changed = target?.metadata.name !== status.release
  const previousRelease = changed ? status.release : status.previousRelease

  const released = ((): DesiredCondition | undefined => {
    if (stuck && current)
      return {
        type: CONDITION.Released,
        status: 'False',
        reason: REASON.RolledBack,
        message: `${describe(current)} made no progress to Available within ${deadline}s (${stuck}): rolled back to ${describe(target)}`,
      }
    if (pinProblem) return pinProblem
    if (!target)
      return stored || releases.length > 0
        ? {
            type: CONDITION.Released,
            status: 'False',
            reason: REASON.NoRelease,
            message: `no Release of branch ${spec.git.branch} can run: running ${spec.image ? 'spec.image' : "the Runtime's image"}`,
          }
        : undefined
    if (changed)
      return {
        type: CONDITION.Released,
        status: 'Unknown',
        reason: REASON.RolloutInProgress,
        message: `rolling out ${describe(target)}, after ${status.release ?? 'the prebuilt image'}; back by itself if not Available within ${deadline}s`,
      }
    if (gated && rolledOut(deployment, target.spec.image))
      return {
        type: CONDITION.Released,
        status: 'True',
        reason: REASON.RolloutComplete,
        message: `running ${describe(target)}`,
      }
    // Unchanged: in progress, complete or rolled back, as stored (same message, so no write).
    return stored
      ? { type: stored.type, status: stored.status, reason: stored.reason, message: stored.message }
      : {
          type: CONDITION.Released,
          status: 'True',
          reason: REASON.RolloutComplete,
          message: `running ${describe(target)}`,
        }
  })()

  const keep = new Set([target?.metadata.name, previousRelease, spec.release])
  const history = spec.releaseHistory ?? DEFAULT_RELEASE_HISTORY
  const branches = new Map<string, Release[]>()
  for (const release of releases)
    branches.set(release.spec.branch, [...(branches.get(release.spec.branch) ?? []), release])
  const prune = [...branches.values()].flatMap((list) =>
    list
      .sort(newestFirst)
      .slice(history)
      .filter((r) => !keep.has(r.metadata.name)),
  )
  const pruned = new Set(prune.map((r) => r.metadata.name))
  const failedReleases = failed.filter((name) => !pruned.has(name)).slice(-MAX_FAILED_RELEASES)

  return {
    release: target,
    status: {
      ...(target ? { release: target.metadata.name } : {}),
      ...(previousRelease ? { previousRelease } : {}),
      ...(failedReleases.length > 0 ? { failedReleases } : {}),
    },
    conditions: released ? [released] : [],
    prune,
  }
}
