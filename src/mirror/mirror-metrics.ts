/** The mirror's Prometheus metrics; registered on the registry it serves at /metrics. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export class MirrorMetrics {
  readonly applied: Counter<'action'>
  readonly failures: Counter<'code'>
  readonly propagation: Histogram
  readonly behind: Gauge
  readonly lastRound: Gauge
  readonly fetchedBytes: Counter
  readonly reusedFiles: Counter

  constructor(registry: Registry) {
    const registers = [registry]
    this.applied = new Counter({
      name: 'hostplane_mirror_revisions_applied_total',
      help: 'Revisions switched in here (published: fetched; rolled-back: a kept one served again) and sites removed.',
      labelNames: ['action'],
      registers,
    })
    this.failures = new Counter({
      name: 'hostplane_mirror_failures_total',
      help: 'Sites a round could not bring to the syncer’s revision, by error code (HP_ERR_MIRROR_*).',
      labelNames: ['code'],
      registers,
    })
    this.propagation = new Histogram({
      name: 'hostplane_mirror_propagation_seconds',
      help: 'Time from the syncer switching a revision in to this mirror serving it.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    })
    this.behind = new Gauge({
      name: 'hostplane_mirror_sites_behind',
      help: 'Sites not serving the syncer’s revision after the last round (they serve their last one).',
      registers,
    })
    this.lastRound = new Gauge({
      name: 'hostplane_mirror_last_round_timestamp_seconds',
      help: 'Unix time of the last answer from the syncer; its age is how stale this replica may be.',
      registers,
    })
    this.fetchedBytes = new Counter({
      name: 'hostplane_mirror_fetched_bytes_total',
      help: 'File bytes downloaded from the syncer and verified.',
      registers,
    })
    this.reusedFiles = new Counter({
      name: 'hostplane_mirror_reused_files_total',
      help: 'Files of a new revision hard-linked from the served one instead of downloaded.',
      registers,
    })
  }
}
