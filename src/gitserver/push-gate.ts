/**
 * The push gate: what decides, while a push waits in git's pre-receive hook, whether its ref
 * updates are taken. The gitserver gathers the request (who pushed, which refs, a git
 * environment that sees the quarantined objects) and streams the gate's output to the client as
 * `remote: …` lines; a refused verdict makes the hook fail, so git discards the quarantined
 * objects and no ref moves. The builds of issue 15 plug in here.
 */
import type { KeyOwner } from './claims.js'

export interface RefUpdate {
  readonly ref: string
  readonly oldCommit: string
  readonly newCommit: string
}

export interface PushRequest {
  readonly customer: string
  readonly namespace: string
  readonly webspace: string
  readonly pusher: KeyOwner
  readonly updates: readonly RefUpdate[]
  /** git environment that sees the quarantined objects (GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES, GIT_QUARANTINE_PATH) plus GIT_DIR */
  readonly git: { readonly dir: string; readonly env: Readonly<Record<string, string>> }
}

export interface PushVerdict {
  readonly accepted: boolean
  readonly message?: string
}

export interface PushGate {
  decide(request: PushRequest, output: (line: string) => void, signal: AbortSignal): Promise<PushVerdict>
}

export const ZERO_COMMIT = '0000000000000000000000000000000000000000'

/**
 * The gate until builds exist: a Webspace deploys one branch, so a push may create or move
 * `refs/heads/<spec.git.branch>` and nothing else (no other branch, no tag, no deletion of the
 * branch). `branchOf` reads the Webspace's branch at the time of the push.
 */
export class BranchGate implements PushGate {
  constructor(private readonly branchOf: (namespace: string, webspace: string) => string | undefined) {}

  async decide(request: PushRequest, output: (line: string) => void): Promise<PushVerdict> {
    const branch = this.branchOf(request.namespace, request.webspace)
    const allowed = branch === undefined ? undefined : `refs/heads/${branch}`
    const refused = request.updates.filter((u) => u.ref !== allowed || u.newCommit === ZERO_COMMIT)
    if (refused.length === 0) return { accepted: true }
    for (const update of refused)
      output(
        update.ref === allowed
          ? `${update.ref}: the deployed branch cannot be deleted`
          : `${update.ref}: only ${allowed ?? 'the webspace branch'} is taken by ${request.customer}/${request.webspace}`,
      )
    return { accepted: false, message: 'push refused: nothing was changed' }
  }
}
