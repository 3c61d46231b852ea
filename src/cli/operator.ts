/**
 * `hostplane operator`: flags (each also read from a HOSTPLANE_* variable) → a validated
 * OperatorConfig → the running operator, stopped gracefully on SIGTERM or SIGINT.
 */
import { type Command, Option } from 'commander'
import { DNS_LABEL, HOSTNAME } from '../api/schema-kit.js'
import { LightKubeConfig } from '../kube/kubeconfig.js'
import { createLogger } from '../ops/log.js'
import type { Operator } from '../operator/operator.js'
import type { OperatorConfig } from '../operator/config.js'
import { flagEnv } from './flags.js'

interface OperatorFlags {
  kubeconfig?: string
  systemNamespace: string
  pagesDomain: string
  defaultIssuer: string
  entrypoints: string
  httpEntrypoints: string
  nginxService: string
  nginxPort: string
  tlsMode: 'individual' | 'wildcard'
  wildcardSecret?: string
  listen: string
  leaderElect: boolean
  leaseName: string
  concurrency: string
  resyncSeconds: string
  siteSelector?: string
  ingressNamespace: string
}

/** Refuses a setting with a message naming the flag. */
class FlagError extends Error {}

const SHUTDOWN_TIMEOUT_MS = 30_000

const list = (value: string, flag: string) => {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (items.length === 0 || items.some((i) => !/^[A-Za-z0-9_-]{1,64}$/.test(i)))
    throw new FlagError(`${flag} must be a comma-separated list of Traefik entry point names`)
  return items
}

const integer = (value: string, flag: string, min: number, max: number) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new FlagError(`${flag} must be an integer from ${min} to ${max}, got ${value}`)
  return n
}

const name = (value: string, flag: string) => {
  if (value.length > 63 || !new RegExp(DNS_LABEL).test(value))
    throw new FlagError(`${flag} must be a DNS label (lower-case letters, digits, '-'), got ${value}`)
  return value
}

export function operatorConfig(flags: OperatorFlags): OperatorConfig {
  if (!flags.pagesDomain || flags.pagesDomain.length > 200 || !new RegExp(HOSTNAME).test(flags.pagesDomain))
    throw new FlagError('--pages-domain must be a lower-case DNS name such as pages.example.com')
  if (flags.tlsMode === 'wildcard' && !flags.wildcardSecret)
    throw new FlagError('--tls-mode wildcard needs --wildcard-secret naming the wildcard TLS Secret')
  return {
    systemNamespace: name(flags.systemNamespace, '--system-namespace'),
    pagesDomain: flags.pagesDomain,
    defaultIssuer: flags.defaultIssuer,
    entryPoints: list(flags.entrypoints, '--entrypoints'),
    httpEntryPoints: list(flags.httpEntrypoints, '--http-entrypoints'),
    nginx: {
      service: name(flags.nginxService, '--nginx-service'),
      port: integer(flags.nginxPort, '--nginx-port', 1, 65535),
    },
    tls:
      flags.tlsMode === 'wildcard'
        ? { mode: 'wildcard', secretName: flags.wildcardSecret ?? '' }
        : { mode: 'individual' },
    ingressNamespace: name(flags.ingressNamespace, '--ingress-namespace'),
  }
}

function listenAddress(value: string) {
  const colon = value.lastIndexOf(':')
  const host = value.slice(0, colon) || '0.0.0.0'
  return { host, port: integer(value.slice(colon + 1), '--listen', 0, 65535) }
}

export function registerOperatorCommand(program: Command): void {
  const option = (flags: string, description: string, envName: string, defaultValue?: string) => {
    const opt = new Option(flags, description).env(flagEnv(envName))
    return defaultValue === undefined ? opt : opt.default(defaultValue)
  }
  program
    .command('operator')
    .description(
      'run the operator: routes and Certificates for StaticSites, tenant namespaces for Customers, apps for Webspaces',
    )
    .addOption(
      new Option(
        '--kubeconfig <path>',
        'kubeconfig file (default: $KUBECONFIG, ~/.kube/config or in-cluster)',
      ),
    )
    .addOption(
      option(
        '--system-namespace <ns>',
        'namespace of generated objects and nginx',
        'system-namespace',
        'hostplane-system',
      ),
    )
    .addOption(
      option(
        '--pages-domain <domain>',
        'default domains are <site>-<namespace>.<domain> (required)',
        'pages-domain',
      ),
    )
    .addOption(
      option(
        '--default-issuer <name>',
        'cert-manager ClusterIssuer for tls.mode auto',
        'default-issuer',
        'letsencrypt',
      ),
    )
    .addOption(
      option('--entrypoints <list>', 'Traefik entry points for TLS sites', 'entrypoints', 'websecure'),
    )
    .addOption(
      option(
        '--http-entrypoints <list>',
        'Traefik entry points for tls.mode none',
        'http-entrypoints',
        'web',
      ),
    )
    .addOption(
      option('--nginx-service <name>', 'the shared nginx Service', 'nginx-service', 'hostplane-nginx'),
    )
    .addOption(option('--nginx-port <port>', 'its port', 'nginx-port', '80'))
    .addOption(
      option(
        '--tls-mode <mode>',
        'individual: a Certificate per site; wildcard: one Secret for *.<pages domain>',
        'tls-mode',
        'individual',
      ).choices(['individual', 'wildcard']),
    )
    .addOption(
      option(
        '--wildcard-secret <name>',
        'TLS Secret for *.<pages domain> (tls-mode wildcard)',
        'wildcard-secret',
      ),
    )
    .addOption(option('--listen <host:port>', '/healthz, /readyz and /metrics', 'listen', ':8080'))
    .addOption(new Option('--no-leader-elect', 'run without leader election (one replica only)'))
    .addOption(option('--lease-name <name>', 'Lease for leader election', 'lease-name', 'hostplane-operator'))
    .addOption(option('--concurrency <n>', 'sites reconciled in parallel', 'concurrency', '10'))
    .addOption(option('--resync-seconds <n>', 'full reconcile period', 'resync-seconds', '600'))
    .addOption(
      option(
        '--site-selector <selector>',
        'only StaticSites with these labels (a shard; give each shard its own system namespace)',
        'site-selector',
      ),
    )
    .addOption(
      option(
        '--ingress-namespace <ns>',
        'namespace of the ingress controller: the only traffic source tenant pods admit',
        'ingress-namespace',
        'traefik',
      ),
    )
    .action(async (flags: OperatorFlags) => {
      const log = createLogger({ name: 'hostplane-operator' })
      const { Operator } = await import('../operator/operator.js')
      let operator: Operator
      try {
        const config = operatorConfig(flags)
        const kubeConfig = flags.kubeconfig
          ? LightKubeConfig.fromFile(flags.kubeconfig)
          : LightKubeConfig.fromDefault()
        operator = await Operator.start({
          kubeConfig,
          config,
          log,
          listen: listenAddress(flags.listen),
          leaderElection: flags.leaderElect
            ? { leaseName: name(flags.leaseName, '--lease-name') }
            : undefined,
          concurrency: integer(flags.concurrency, '--concurrency', 1, 100),
          resyncMs: integer(flags.resyncSeconds, '--resync-seconds', 1, 86_400) * 1000,
          siteSelector: flags.siteSelector,
        })
      } catch (error) {
        if (!(error instanceof FlagError)) throw error
        process.stderr.write(`hostplane operator: ${error.message}\n`)
        process.exitCode = 2
        return
      }
      const shutdown = (signal: string) => {
        log.info({ signal }, 'shutting down')
        setTimeout(() => {
          log.error(`shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms; exiting`)
          process.exit(1)
        }, SHUTDOWN_TIMEOUT_MS).unref()
        void operator.stop().then(() => log.info('stopped'))
      }
      process.once('SIGTERM', shutdown)
      process.once('SIGINT', shutdown)
    })
}
