/**
 * Kubernetes Events (events.k8s.io/v1) on the object a controller works on, so `kubectl describe`
 * shows what happened. Callers pass the same reason they put in the condition. Recording is best
 * effort: a refused Event is logged and never fails the work it reports on.
 */
import { randomBytes } from 'node:crypto'
import type { Condition } from '../api/conditions.js'
import type { Applier } from './apply.js'
import type { Logger } from '../ops/log.js'
import { type DesiredCondition, findCondition } from './conditions.js'
import type { KubeObject } from './object.js'

export type EventType = 'Normal' | 'Warning'

export interface EventRecorderOptions {
  readonly applier: Pick<Applier, 'create'>
  /** e.g. `hostplane.dev/operator`. */
  readonly controller: string
  /** This replica, e.g. the pod name. */
  readonly instance: string
  readonly clock?: () => Date
  readonly log: Logger
}

/** The API server refuses notes over 1 kB. */
const MAX_NOTE = 1024

/** Series remembered for de-duplication; the oldest is forgotten first. */
const MAX_SERIES = 50_000

/** MicroTime: RFC 3339 with exactly six fractional digits. */
const microTime = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')

export class EventRecorder {
  /** `<uid>/<series>` → the reason last recorded for it. */
  private readonly lastReasons = new Map<string, string>()

  constructor(private readonly options: EventRecorderOptions) {}

  /**
   * Records an Event. With a `series` (a condition type), an Event whose reason repeats the one
   * last recorded in that series for the object is dropped: two reconciles that both start from a
   * cache without the first one's status write would otherwise report one transition twice.
   */
  async record(
    regarding: KubeObject,
    event: {
      readonly type: EventType
      readonly reason: string
      readonly note: string
      readonly action: string
      readonly series?: string
    },
  ): Promise<void> {
    const { applier, controller, instance, clock = () => new Date(), log } = this.options
    const { name, namespace, uid, resourceVersion } = regarding.metadata
    if (
      event.series !== undefined &&
      uid !== undefined &&
      this.repeats(`${uid}/${event.series}`, event.reason)
    )
      return
    // Events about cluster-scoped objects (a Customer) live in `default`, as kubectl expects.
    const where = namespace ?? 'default'
    await applier
      .create(
        { apiVersion: 'events.k8s.io/v1', plural: 'events', namespace: where },
        {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name: `${name.slice(0, 200)}.${randomBytes(8).toString('hex')}`, namespace: where },
          regarding: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            name,
            namespace,
            uid,
            resourceVersion,
          },
          type: event.type,
          reason: event.reason,
          action: event.action,
          note: event.note.slice(0, MAX_NOTE),
          eventTime: microTime(clock()),
          reportingController: controller,
          reportingInstance: instance,
        },
      )
      .catch((error: unknown) =>
        log.warn(
          { err: error, object: namespace ? `${namespace}/${name}` : name, reason: event.reason },
          'could not record an event',
        ),
      )
  }

  private repeats(series: string, reason: string): boolean {
    if (this.lastReasons.get(series) === reason) return true
    this.lastReasons.delete(series)
    this.lastReasons.set(series, reason)
    const oldest = this.lastReasons.keys().next()
    if (this.lastReasons.size > MAX_SERIES && !oldest.done) this.lastReasons.delete(oldest.value)
    return false
  }
}

/** A problem to look at: the condition turned False. */
const warnWhenFalse = (condition: DesiredCondition): EventType =>
  condition.status === 'False' ? 'Warning' : 'Normal'

/**
 * One Event per condition of `types` whose status or reason changed from `before` to `desired`,
 * with the condition's reason; by default a Warning when it turned False.
 */
export async function recordConditionChanges(
  events: Pick<EventRecorder, 'record'>,
  regarding: KubeObject,
  before: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
  types: readonly string[],
  typeOf: (condition: DesiredCondition) => EventType = warnWhenFalse,
): Promise<void> {
  for (const condition of desired) {
    if (!types.includes(condition.type)) continue
    const previous = findCondition(before, condition.type)
    if (previous?.status === condition.status && previous.reason === condition.reason) continue
    await events.record(regarding, {
      type: typeOf(condition),
      reason: condition.reason,
      note: `${condition.type}: ${condition.message}`,
      action: 'Reconcile',
      series: condition.type,
    })
  }
}
