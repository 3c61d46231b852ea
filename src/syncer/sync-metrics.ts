/** The syncer's Prometheus metrics; registered on the registry the caller serves at /metrics. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export class SyncMetrics {
  readonly duration: Histogram<'result'>
  readonly failures: Counter<'site' | 'reason'>
  readonly lastSuccess: Gauge<'site'>
  readonly gitCalls: Counter<'operation'>

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
  }

  /** Drops a deleted site's series, so metrics do not grow with every site ever seen. */
  async forget(site: string): Promise<void> {
    this.lastSuccess.remove({ site })
    for (const { labels } of (await this.failures.get()).values) {
      if (labels.site === site) this.failures.remove({ site, reason: String(labels.reason) })
    }
  }
}
