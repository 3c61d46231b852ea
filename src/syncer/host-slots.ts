/**
 * Concurrency limits for talking to git hosts: a global limit, and a per-host limit taken without
 * waiting. A site whose host is busy is deferred instead of parked on a worker, so sites on one
 * slow host never hold the workers that other hosts' sites need.
 */
export interface HostSlotsOptions {
  /** Git network operations at once, all hosts together. Default 8. */
  readonly global?: number
  /** Git network operations at once against one host. Default 4. */
  readonly perHost?: number
}

/** The host has no free slot: try again after `retryAfterMs`. */
export class HostBusy extends Error {
  override name = 'HostBusy'
  constructor(
    readonly host: string,
    readonly retryAfterMs: number,
  ) {
    super(`${host} is busy with other syncs`)
  }
}

export class HostSlots {
  private readonly global: number
  private readonly perHost: number
  private active = 0
  private readonly waiting: (() => void)[] = []
  private readonly byHost = new Map<string, number>()

  constructor({ global = 8, perHost = 4 }: HostSlotsOptions = {}) {
    if (global < 1 || perHost < 1) throw new Error('concurrency limits must be at least 1')
    this.global = global
    this.perHost = perHost
  }

  /** Takes a slot for `host`; throws HostBusy when the host is at its limit. Call the result to release. */
  async acquire(host: string): Promise<() => void> {
    const used = this.byHost.get(host) ?? 0
    if (used >= this.perHost) throw new HostBusy(host, 250 + Math.floor(Math.random() * 500))
    this.byHost.set(host, used + 1)
    if (this.active >= this.global) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.active++
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this.byHost.get(host) ?? 1) - 1
      if (left === 0) this.byHost.delete(host)
      else this.byHost.set(host, left)
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }

  inUse(host?: string): number {
    return host === undefined ? this.active : (this.byHost.get(host) ?? 0)
  }
}
