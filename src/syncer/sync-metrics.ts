/** The syncer's Prometheus metrics; registered on the registry the caller serves at /metrics. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** The host queue gauge names this many hosts (the longest queues) and sums the rest, so series stay few. */
const NAMED_HOSTS = 10
const OTHER_HOSTS = '(other)'

export class SyncMetrics {
  readonly duration: Histogram<'result'>
  readonly failures: Counter<'site' | 'reason'>
  readonly lastSuccess: Gauge<'site'>
  readonly gitCalls: Counter<'operation'>
  readonly hostWait: Histogram
  private hostQueues: () => (readonly [string, number])[] = () => []

  constructor(registry: Registry) {
    const registers = [registry]
    this.duration = new Histogram({
      name: 'hostplane_syncer_sync_duration_seconds',
      help: 'Time from the start of a sync to its end, by result (published, rolled-back, unchanged, failed).',
      labelNames: ['result'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    })
    this.failures = new Counter({
      name: 'hostplane_syncer_sync_failures_total',
      help: 'Failed syncs by site key and reason (the Synced condition reason).',
      labelNames: ['site', 'reason'],
      registers,
    })
    this.lastSuccess = new Gauge({
      name: 'hostplane_syncer_last_success_timestamp_seconds',
      help: 'Unix time of the last successful sync (published or verified unchanged) per site key.',
      labelNames: ['site'],
      registers,
    })
    this.gitCalls = new Counter({
      name: 'hostplane_syncer_git_remote_calls_total',
      help: 'Remote git operations: ls-remote and fetch.',
      labelNames: ['operation'],
      registers,
    })
    this.hostWait = new Histogram({
      name: 'hostplane_syncer_host_wait_seconds',
      help: "Time a sync waited in its git host's queue for a slot (0 when one was free).",
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
      registers,
    })
    const lengths = () => this.hostQueues()
    new Gauge({
      name: 'hostplane_syncer_host_queue_length',
      help: `Syncs waiting for a slot of their git host: the ${NAMED_HOSTS} hosts with the longest queues by name, the others summed as host="${OTHER_HOSTS}".`,
      labelNames: ['host'],
      registers,
      collect() {
        this.reset()
        const sorted = lengths().sort((a, b) => b[1] - a[1])
        for (const [host, length] of sorted.slice(0, NAMED_HOSTS)) this.set({ host }, length)
        const rest = sorted.slice(NAMED_HOSTS).reduce((sum, [, length]) => sum + length, 0)
        if (rest > 0) this.set({ host: OTHER_HOSTS }, rest)
      },
    })
  }

  /** Where the host queue gauge reads the waiting syncs per host when scraped. */
  hostQueuesFrom(lengths: () => (readonly [string, number])[]): void {
    this.hostQueues = lengths
  }

  /** Drops a deleted site's series, so metrics do not grow with every site ever seen. */
  async forget(site: string): Promise<void> {
    this.lastSuccess.remove({ site })
    for (const { labels } of (await this.failures.get()).values) {
      if (labels.site === site) this.failures.remove({ site, reason: String(labels.reason) })
    }
  }
}
