/** Prometheus metrics of automatic TLS; registered on the registry served at /metrics. */
import { Counter, Gauge, type Registry } from 'prom-client'

export class AcmeMetrics {
  readonly orders: Counter
  readonly issued: Counter
  readonly failed: Counter
  readonly deferred: Counter
  readonly expiry: Gauge<'domain'>

  constructor(registry: Registry) {
    const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] })
    this.orders = counter(
      'hostplane_acme_orders_total',
      'New certificate orders placed with the ACME CA (each one counts against the budget).',
    )
    this.issued = counter('hostplane_acme_certificates_issued_total', 'Certificates issued and stored.')
    this.failed = counter(
      'hostplane_acme_orders_failed_total',
      'Orders that ended without a certificate (CA unreachable, validation failed, timeout).',
    )
    this.deferred = counter(
      'hostplane_acme_orders_deferred_total',
      'Orders due but put off because the issuance budget was spent (once per domain and wait).',
    )
    this.expiry = new Gauge({
      name: 'hostplane_acme_certificate_expiry_timestamp_seconds',
      help: 'Unix time the certificate of a domain expires (notAfter).',
      labelNames: ['domain'],
      registers: [registry],
    })
  }
}
