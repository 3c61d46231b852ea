/**
 * The panel's audit log in the API server: segments (segment.ts) as ConfigMaps of one namespace
 * (default `hostplane-panel-audit`), written as `hostplane:panel:audit`, whose Role there allows
 * ConfigMaps and nothing else (deploy/rbac/panel.yaml), and read by provider admins as themselves
 * (their group may get and list those ConfigMaps), so RBAC decides who reads it too.
 *
 * Writes queue and go out in batches, one request per batch, appended to the newest segment with
 * its resourceVersion (a conflict re-reads it and tries again); a segment that would pass
 * `segmentBytes` is left for a new one, and past `maxSegments` the oldest are deleted. A change is
 * recorded twice: its attempt before it runs and its outcome after. When the attempt cannot be
 * written the change is refused (503 HP_ERR_PANEL_AUDIT_UNAVAILABLE): a provider's auditor must be
 * able to rely on "not in the log" meaning "not done through the panel". When only the outcome
 * cannot be written the change has happened and its answer stands; the entry then reads
 * `unknown`, and the failure is logged with the outcome and counted in
 * hostplane_panel_audit_failures_total, as is every failed write.
 */
import { randomBytes } from 'node:crypto'
import type { Logger } from '../../ops/log.js'
import type { KubeList, KubeObject } from '../../kube/object.js'
import { isConflict, isNotFound, type KubeRest, resourcePath } from '../../kube/rest.js'
import { SignInError } from '../auth/errors.js'
import { kubeCall, PanelError } from '../errors.js'
import type { Identity } from '../identity.js'
import { actorView } from '../views.js'
import type { AuditAction, AuditEntry, AuditObject, AuditResult } from './entry.js'
import {
  type AuditLine,
  decodeSegments,
  type DecodedLog,
  encodeLines,
  SEGMENT_KEY,
  SEGMENT_LABEL,
  segmentName,
  segmentNumber,
} from './segment.js'

export const DEFAULT_AUDIT_NAMESPACE = 'hostplane-panel-audit'

/** What is about to be done. */
export interface AuditIntent {
  readonly action: AuditAction
  readonly object?: AuditObject
  readonly detail?: Readonly<Record<string, string>>
}

/** What the service layer records through: the AuditLog, or a stand-in in unit tests. */
export interface AuditTrail {
  /**
   * Runs `change` once its attempt is recorded (else refuses it, 503), then records how it ended;
   * `named` gives the object's name when only the change makes it (a token's id).
   */
  record<T>(
    identity: Identity,
    intent: AuditIntent,
    change: () => Promise<T>,
    named?: (value: T) => string,
  ): Promise<T>
  /** Records something that already happened (a sign-in); throws when it cannot. */
  note(identity: Identity, intent: AuditIntent, result: AuditResult): Promise<void>
}

export interface AuditLogOptions {
  readonly namespace?: string
  /** Segments kept; the oldest beyond are deleted. @default 64 */
  readonly maxSegments?: number
  /** A segment's size before the next one starts (a ConfigMap holds at most 1 MiB). @default 262144 */
  readonly segmentBytes?: number
  readonly log: Logger
  /** Called for every failed write, with the stage that failed. */
  readonly onFailure?: (stage: AuditFailureStage) => void
  readonly clock?: () => number
  /** Write attempts per batch, conflicts included. @default 8 */
  readonly attempts?: number
}

/** Which write failed: a change's attempt or outcome, a noted event, or dropping old segments. */
export type AuditFailureStage = 'attempt' | 'outcome' | 'note' | 'prune'

interface ConfigMap extends KubeObject {
  data?: Record<string, string>
}

interface Segment {
  readonly number: number
  readonly resourceVersion: string
  readonly text: string
}

interface Pending {
  readonly line: AuditLine
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

const DETAIL_MAX = 200

/** How a change's error ends its entry: a client's mistake or a policy is `refused`, a 5xx `failed`. */
export function resultOf(error: unknown): AuditResult {
  if (error instanceof PanelError || error instanceof SignInError)
    return { outcome: error.status < 500 ? 'refused' : 'failed', code: error.code }
  return { outcome: 'failed', code: 'HP_ERR_PANEL_INTERNAL' }
}

const segmentsPath = (namespace: string, name?: string) =>
  resourcePath({ apiVersion: 'v1', plural: 'configmaps', namespace, name })

const listSegments = (rest: KubeRest, namespace: string) =>
  rest.request<KubeList<ConfigMap>>('GET', segmentsPath(namespace), {
    query: { labelSelector: `${SEGMENT_LABEL}=segment` },
  })

const numbered = (list: KubeList<ConfigMap>) =>
  list.items
    .flatMap((item) => {
      const number = segmentNumber(item.metadata.name)
      return number === undefined ? [] : [{ number, item }]
    })
    .sort((a, b) => a.number - b.number)

/** Every entry of the log, oldest first, read as `rest` (an admin: RBAC decides). */
export async function readAuditLog(rest: KubeRest, namespace: string): Promise<DecodedLog> {
  const list = await kubeCall(false, () => listSegments(rest, namespace))
  return decodeSegments(numbered(list).map(({ item }) => item.data?.[SEGMENT_KEY] ?? ''))
}

export class AuditLog implements AuditTrail {
  readonly namespace: string
  private readonly pending: Pending[] = []
  private flushing: Promise<void> | undefined
  private newest: Segment | undefined

  constructor(
    /** The client acting as `hostplane:panel:audit`. */
    private readonly rest: KubeRest,
    private readonly options: AuditLogOptions,
  ) {
    this.namespace = options.namespace ?? DEFAULT_AUDIT_NAMESPACE
  }

  /** Throws unless the writer can list the segments: missing RBAC stops the panel at start. */
  async check(): Promise<void> {
    await listSegments(this.rest, this.namespace).catch((error: unknown) => {
      throw new Error(
        `cannot read the audit log in namespace ${this.namespace} as hostplane:panel:audit (is deploy/rbac/panel.yaml applied?): ${(error as Error).message}`,
        { cause: error },
      )
    })
  }

  async record<T>(
    identity: Identity,
    intent: AuditIntent,
    change: () => Promise<T>,
    named?: (value: T) => string,
  ): Promise<T> {
    const entry = this.entry(identity, intent)
    try {
      await this.append({ attempt: entry })
    } catch (error) {
      this.failed('attempt', error, entry)
      throw new PanelError('HP_ERR_PANEL_AUDIT_UNAVAILABLE', undefined, undefined, { cause: error })
    }
    const outcome = (result: AuditResult) =>
      this.append({ outcome: { id: entry.id, ...result } }).catch((error: unknown) =>
        this.failed('outcome', error, { ...entry, ...result }),
      )
    let value: T
    try {
      value = await change()
    } catch (error) {
      await outcome(resultOf(error))
      throw error
    }
    await outcome({ outcome: 'ok', ...(named ? { name: named(value) } : {}) })
    return value
  }

  async note(identity: Identity, intent: AuditIntent, result: AuditResult): Promise<void> {
    const entry = { ...this.entry(identity, intent), ...result }
    await this.append({ attempt: entry }).catch((error: unknown) => {
      this.failed('note', error, entry)
      throw new PanelError('HP_ERR_PANEL_AUDIT_UNAVAILABLE', undefined, undefined, { cause: error })
    })
  }

  /** Resolves once the writes queued so far are done (or failed). */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing
  }

  private entry(identity: Identity, { action, object, detail }: AuditIntent): AuditEntry {
    const now = (this.options.clock ?? Date.now)()
    return {
      id: `${String(now).padStart(13, '0')}-${randomBytes(4).toString('hex')}`,
      time: new Date(now).toISOString(),
      actor: actorView(identity.actor),
      ...(identity.actingAs !== undefined ? { actingAs: identity.actingAs } : {}),
      action,
      ...(object ? { object } : {}),
      ...(detail
        ? {
            detail: Object.fromEntries(
              Object.entries(detail).map(([key, value]) => [key, value.slice(0, DETAIL_MAX)]),
            ),
          }
        : {}),
      outcome: 'unknown',
    }
  }

  private failed(stage: AuditFailureStage, error: unknown, entry: AuditEntry): void {
    this.options.onFailure?.(stage)
    // The entry goes to the panel's log instead, so what the audit log misses can still be found.
    this.options.log.error({ err: error, stage, audit: entry }, 'audit log write failed')
  }

  private append(line: AuditLine): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ line, resolve, reject })
      this.flush()
    })
  }

  private flush(): void {
    if (this.flushing) return
    this.flushing = (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0)
        try {
          await this.write(encodeLines(batch.map((p) => p.line)))
          for (const p of batch) p.resolve()
        } catch (error) {
          for (const p of batch) p.reject(error)
        }
      }
    })().finally(() => {
      this.flushing = undefined
      if (this.pending.length > 0) this.flush()
    })
  }

  private async write(text: string): Promise<void> {
    const { segmentBytes = 256 * 1024, attempts = 8 } = this.options
    let lastError: unknown
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        this.newest ??= await this.readNewest()
        const segment = this.newest
        if (
          !segment ||
          (segment.text !== '' && Buffer.byteLength(segment.text) + Buffer.byteLength(text) > segmentBytes)
        ) {
          await this.startSegment((segment?.number ?? 0) + 1, text)
          return
        }
        const updated = await this.rest.request<ConfigMap>(
          'PUT',
          segmentsPath(this.namespace, segmentName(segment.number)),
          { body: this.configMap(segment.number, segment.text + text, segment.resourceVersion) },
        )
        this.newest = this.segmentOf(segment.number, updated)
        return
      } catch (error) {
        // Another writer got there first (a newer version, or the same new segment): read again.
        this.newest = undefined
        lastError = error
        if (!isConflict(error)) throw error
      }
    }
    throw new Error(`the audit log kept changing during ${attempts} attempts to append to it`, {
      cause: lastError,
    })
  }

  private configMap(number: number, text: string, resourceVersion?: string): ConfigMap {
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: segmentName(number),
        namespace: this.namespace,
        labels: { [SEGMENT_LABEL]: 'segment' },
        ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      },
      data: { [SEGMENT_KEY]: text },
    }
  }

  private segmentOf(number: number, object: ConfigMap): Segment {
    return {
      number,
      resourceVersion: object.metadata.resourceVersion ?? '',
      text: object.data?.[SEGMENT_KEY] ?? '',
    }
  }

  private async readNewest(): Promise<Segment | undefined> {
    const last = numbered(await listSegments(this.rest, this.namespace)).at(-1)
    return last && this.segmentOf(last.number, last.item)
  }

  private async startSegment(number: number, text: string): Promise<void> {
    const created = await this.rest.request<ConfigMap>('POST', segmentsPath(this.namespace), {
      body: this.configMap(number, text),
    })
    this.newest = this.segmentOf(number, created)
    // The lines are written: a segment left over is deleted when the next segment starts.
    await this.dropOldest(number).catch((error: unknown) => {
      this.options.onFailure?.('prune')
      this.options.log.error(
        { err: error, namespace: this.namespace },
        'audit log could not drop its oldest segments',
      )
    })
  }

  /** Deletes the segments the bound no longer keeps; one already gone is fine. */
  private async dropOldest(newest: number): Promise<void> {
    const { maxSegments = 64 } = this.options
    const segments = numbered(await listSegments(this.rest, this.namespace))
    for (const { number } of segments.filter((s) => s.number <= newest - maxSegments))
      await this.rest
        .request('DELETE', segmentsPath(this.namespace, segmentName(number)))
        .catch((error: unknown) => {
          if (!isNotFound(error)) throw error
        })
  }
}
