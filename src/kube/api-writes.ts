/**
 * Every write a controller sends to the API server, counted by verb and resource, so "an idle
 * controller writes nothing" can be watched in production, not only in tests. (Reconcile counts,
 * durations, errors and queue depth come from the work queue's metrics.)
 */
import { Counter, type Registry } from 'prom-client'
import type { WriteCounter } from './apply.js'

export const API_WRITES_METRIC = 'hostplane_api_writes_total'

export function apiWritesCounter(registry: Registry): WriteCounter {
  const counter = new Counter({
    name: API_WRITES_METRIC,
    help: 'Writes sent to the Kubernetes API (apply, patch, delete, create, update), by verb and resource.',
    labelNames: ['verb', 'resource'],
    registers: [registry],
  })
  return (labels) => counter.inc(labels)
}
