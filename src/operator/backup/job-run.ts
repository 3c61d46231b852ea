/**
 * What Backups and Restores share: each is done by one Job in its namespace, and its status goes
 * Pending (with why it cannot start, failing after a grace period) → Running → Succeeded or
 * Failed, with a `Ready` condition whose changes are Events. A finished one is never written
 * again. The Job's answer is its container's termination message.
 */
import type { BackupPhase } from '../../api/backup.js'
import type { Applier } from '../../kube/apply.js'
import type { Condition } from '../../api/conditions.js'
import { type DesiredCondition, kubeTime } from '../../kube/conditions.js'
import { writeConditionedStatus } from '../../kube/conditioned-status.js'
import type { ReconcileResult } from '../../kube/controller-builder.js'
import { type EventRecorder, recordConditionChanges } from '../../kube/events.js'
import type { KubeObject } from '../../kube/object.js'
import { failureText } from './answer.js'
import { CONDITION } from './conditions.js'

export interface JobObject extends KubeObject {
  readonly status?: {
    readonly startTime?: string
    readonly completionTime?: string
    readonly conditions?: readonly {
      readonly type: string
      readonly status: string
      readonly message?: string
    }[]
  }
}

export interface PodObject extends KubeObject {
  readonly status?: {
    readonly phase?: string
    readonly containerStatuses?: readonly {
      readonly name: string
      readonly state?: { readonly terminated?: { readonly exitCode: number; readonly message?: string } }
    }[]
  }
}

/** A Backup or a Restore: the status fields the run's lifecycle writes. */
export interface RunObject extends KubeObject {
  readonly status?: {
    readonly phase?: BackupPhase
    readonly job?: string
    readonly observedGeneration?: number
    readonly conditions?: readonly Condition[]
  }
}

export const CONTAINER = 'backup'

export const jobFinished = (job: JobObject) =>
  job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')

const terminated = (pod: PodObject) =>
  pod.status?.containerStatuses?.find((c) => c.name === CONTAINER)?.state?.terminated

export const isFinished = (run: RunObject) =>
  run.status?.phase === 'Succeeded' || run.status?.phase === 'Failed'

/** Where a finished Job stands: its answer when it succeeded, its last words when it failed. */
export type JobEnd =
  | { readonly kind: 'running'; readonly fields: Record<string, string> }
  | {
      readonly kind: 'succeeded'
      readonly message: string | undefined
      readonly fields: Record<string, string>
    }
  | {
      readonly kind: 'failed'
      readonly message: string | undefined
      readonly said: string
      readonly fields: Record<string, string>
    }
  /** The Pod's final status reaches the cache after the Job's. */
  | { readonly kind: 'unread' }

/** How the Job of a run stands, from the Job and its Pods (oldest first). */
export function jobEnd(job: JobObject, pods: readonly PodObject[]): JobEnd {
  const fields = {
    job: job.metadata.name,
    ...(job.status?.startTime ? { startTime: job.status.startTime } : {}),
  }
  const done = jobFinished(job)
  if (!done) return { kind: 'running', fields }
  if (done.type === 'Failed') {
    const last = [...pods].reverse().find((pod) => terminated(pod))
    const message = last ? terminated(last)?.message : undefined
    return {
      kind: 'failed',
      message,
      said: last ? failureText(message) : (done.message ?? 'the Job failed'),
      fields,
    }
  }
  const succeeded = pods.find((pod) => terminated(pod)?.exitCode === 0)
  if (!succeeded) return { kind: 'unread' }
  return { kind: 'succeeded', message: terminated(succeeded)?.message, fields }
}

export interface RunStatusOptions {
  readonly kind: { readonly apiVersion: string; readonly kind: string; readonly plural: string }
  readonly applier: Pick<Applier, 'applyStatus'>
  readonly events: Pick<EventRecorder, 'record'>
  /** The reason of a run that runs (a Normal Event, not a Warning). */
  readonly runningReason: string
  /** Reasons a run may wait for without a limit (its turn). */
  readonly patientReasons: readonly string[]
  /** Called once when a run finishes, with its phase and reason. */
  readonly finished: (phase: 'Succeeded' | 'Failed', reason: string) => void
  /** @default 30 s */
  readonly retryMs?: number
  /** @default 10 minutes */
  readonly pendingGraceMs?: number
  readonly clock?: () => Date
}

/** Writes the status of Backups or Restores. */
export class RunStatus<S extends object> {
  constructor(private readonly options: RunStatusOptions) {}

  get retryMs(): number {
    return this.options.retryMs ?? 30_000
  }

  /** Pending with why; failed with it once the run has waited too long. */
  async wait(
    run: RunObject,
    reason: string,
    message: string,
    fields: Partial<S> = {},
  ): Promise<ReconcileResult> {
    const { pendingGraceMs = 10 * 60_000, clock = () => new Date() } = this.options
    const created = Date.parse(run.metadata.creationTimestamp ?? '')
    if (!this.options.patientReasons.includes(reason) && clock().getTime() - created > pendingGraceMs)
      return this.finish(
        run,
        'Failed',
        reason,
        `${message} (waited ${Math.round(pendingGraceMs / 60_000)} minutes)`,
        fields,
      )
    const step = await this.write(
      run,
      'Pending',
      { type: CONDITION.Ready, status: 'False', reason, message },
      fields,
    )
    return { step, requeueAfterMs: this.retryMs }
  }

  async finish(
    run: RunObject,
    phase: 'Succeeded' | 'Failed',
    reason: string,
    message: string,
    fields: Partial<S> = {},
  ): Promise<'none' | 'status'> {
    const { clock = () => new Date() } = this.options
    const step = await this.write(
      run,
      phase,
      { type: CONDITION.Ready, status: phase === 'Succeeded' ? 'True' : 'False', reason, message },
      { ...fields, completionTime: kubeTime(clock()) },
    )
    if (step !== 'none') this.options.finished(phase, reason)
    return step
  }

  async write(
    run: RunObject,
    phase: BackupPhase,
    condition: DesiredCondition,
    fields: Partial<S> | Record<string, unknown> = {},
  ): Promise<'none' | 'status'> {
    const { applier, kind, clock = () => new Date() } = this.options
    const current = run.status
    const conditions = [condition]
    const written = await writeConditionedStatus(
      applier,
      kind,
      run,
      conditions,
      { phase, ...fields },
      clock(),
    )
    if (written === 'none') return 'none'
    await recordConditionChanges(
      this.options.events,
      run,
      current?.conditions,
      conditions,
      [CONDITION.Ready],
      (c) => (c.status === 'True' || c.reason === this.options.runningReason ? 'Normal' : 'Warning'),
    )
    return 'status'
  }
}
