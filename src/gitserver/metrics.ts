/** The gitserver's Prometheus metrics; registered on the registry the caller serves at /metrics. */
import { Counter, Gauge, type Registry } from 'prom-client'

export class GitServerMetrics {
  readonly connections: Counter<'result'>
  readonly authentications: Counter<'result'>
  readonly commands: Counter<'service' | 'result'>
  readonly pushes: Counter<'verdict'>
  readonly refusedRequests: Counter<'request'>
  readonly closed: Counter<'reason'>
  readonly sessions: Gauge
  readonly repositoriesRemoved: Counter<'reason'>

  constructor(registry: Registry) {
    const registers = [registry]
    this.connections = new Counter({
      name: 'hostplane_gitserver_connections_total',
      help: 'TCP connections, by result: accepted, or rate_limited (too many from one address before authentication).',
      labelNames: ['result'],
      registers,
    })
    this.authentications = new Counter({
      name: 'hostplane_gitserver_authentications_total',
      help: 'Signed public key authentications, accepted or refused.',
      labelNames: ['result'],
      registers,
    })
    this.commands = new Counter({
      name: 'hostplane_gitserver_commands_total',
      help: 'exec requests by git service and result: ok, failed (git exited non-zero), refused.',
      labelNames: ['service', 'result'],
      registers,
    })
    this.pushes = new Counter({
      name: 'hostplane_gitserver_pushes_total',
      help: 'Pushes by the push gate verdict: accepted, refused, none (git stopped before the hook).',
      labelNames: ['verdict'],
      registers,
    })
    this.refusedRequests = new Counter({
      name: 'hostplane_gitserver_refused_requests_total',
      help: 'Refused SSH requests: shell, pty, subsystem, forwarding, agent, X11, env.',
      labelNames: ['request'],
      registers,
    })
    this.closed = new Counter({
      name: 'hostplane_gitserver_connections_closed_total',
      help: 'Connections the gitserver closed, by reason: timeouts, too many attempts, key removed.',
      labelNames: ['reason'],
      registers,
    })
    this.repositoriesRemoved = new Counter({
      name: 'hostplane_gitserver_repositories_removed_total',
      help: 'Repositories removed from the volume, by reason: webspace_deleted, or orphaned (found with no Webspace).',
      labelNames: ['reason'],
      registers,
    })
    this.sessions = new Gauge({
      name: 'hostplane_gitserver_authenticated_connections',
      help: 'Authenticated connections open now.',
      registers,
    })
  }
}
