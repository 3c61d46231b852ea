/**
 * `hostplane_serve_responses_total{code}` for the built-in static server. A response only bumps a
 * number in a map; the counter takes those numbers when /metrics is scraped. prom-client's
 * `inc({ code })` builds a label key string and checks the label names on every call, which the
 * profile of `hostplane serve` under load showed as the one per-response cost the process adds to
 * the server (see bench/RESULTS.md).
 */
import { Counter, type Registry } from 'prom-client'

/** Registers the counter; call the returned function once per response. */
export function responseMetrics(registry: Registry): (status: number) => void {
  const pending = new Map<number, number>()
  new Counter({
    name: 'hostplane_serve_responses_total',
    help: 'Responses of the built-in static server, by status code',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      for (const [code, count] of pending) this.inc({ code }, count)
      pending.clear()
    },
  })
  return (status) => void pending.set(status, (pending.get(status) ?? 0) + 1)
}
