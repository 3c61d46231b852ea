/**
 * A running build as the Webspace's `status.build`, so a customer can follow it where it has no
 * SSH session: the panel streams it, `kubectl get ws -o yaml` shows it. The gitserver owns the
 * field under its own field manager (the operator's status apply never takes it), writes it when
 * the build starts, then at most once per `flushMs` while lines arrive, and once more when it
 * ends. A failed write is logged and never fails the build: the pusher still sees every line.
 */
import { API_VERSION } from '../api/kind.js'
import { type BuildStatus, MAX_BUILD_LINE, MAX_BUILD_STATUS_LINES } from '../api/webspace.js'
import { fieldManagerOf } from '../kube/field-managers.js'
import { type KubeRest, resourcePath } from '../kube/rest.js'
import type { Logger } from '../ops/log.js'

export interface BuildProgressOptions {
  readonly rest: Pick<KubeRest, 'apply'>
  readonly log: Logger
  readonly namespace: string
  readonly webspace: string
  readonly branch: string
  readonly commit: string
  readonly preview: boolean
  /** @default 1000 */
  readonly flushMs?: number
  readonly clock?: () => Date
}

export class BuildProgress {
  private readonly lines: string[] = []
  private lineCount = 0
  private phase: BuildStatus['phase'] = 'Building'
  private readonly startedAt: string
  private finishedAt: string | undefined
  private release: string | undefined
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> = Promise.resolve()

  constructor(private readonly options: BuildProgressOptions) {
    this.startedAt = this.now()
    this.flush()
  }

  private now(): string {
    return (this.options.clock?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z')
  }

  line = (text: string): void => {
    this.lines.push(text.length > MAX_BUILD_LINE ? `${text.slice(0, MAX_BUILD_LINE - 1)}…` : text)
    if (this.lines.length > MAX_BUILD_STATUS_LINES) this.lines.shift()
    this.lineCount++
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      this.flush()
    }, this.options.flushMs ?? 1000)
  }

  /** Records the end and waits for every write, the last one included. */
  async finish(outcome: { readonly release: string } | { readonly failed: true }): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    this.phase = 'release' in outcome ? 'Succeeded' : 'Failed'
    if ('release' in outcome) this.release = outcome.release
    this.finishedAt = this.now()
    this.flush()
    await this.writing
  }

  /** The status as it stands; writes go one after another, each with the newest state. */
  private flush(): void {
    this.writing = this.writing.then(() => this.write())
  }

  private async write(): Promise<void> {
    const { rest, log, namespace, webspace, branch, commit, preview } = this.options
    const build: BuildStatus = {
      phase: this.phase,
      branch,
      commit,
      ...(preview ? { preview } : {}),
      startedAt: this.startedAt,
      ...(this.finishedAt ? { finishedAt: this.finishedAt } : {}),
      ...(this.release ? { release: this.release } : {}),
      lineCount: this.lineCount,
      lines: [...this.lines],
    }
    const path = resourcePath({
      apiVersion: API_VERSION,
      plural: 'webspaces',
      namespace,
      name: webspace,
      subresource: 'status',
    })
    try {
      await rest.apply(
        path,
        {
          apiVersion: API_VERSION,
          kind: 'Webspace',
          metadata: { name: webspace, namespace },
          status: { build },
        },
        { fieldManager: fieldManagerOf('gitserver') },
      )
    } catch (error) {
      log.warn(
        { err: error, namespace, webspace, commit, phase: this.phase },
        "cannot record the build's progress in the Webspace's status; the pusher still gets every line",
      )
    }
  }
}
