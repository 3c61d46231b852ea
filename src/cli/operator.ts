/**
 * `hostplane operator`: flags (each also read from a HOSTPLANE_* variable) → a validated
 * OperatorConfig → the running operator, stopped gracefully on SIGTERM or SIGINT.
 */
import type { Command } from 'commander'
import { loadKubeConfig } from '../kube/kubeconfig.js'
import { createLogger } from '../ops/log.js'
import type { Operator } from '../operator/operator.js'
import type { OperatorConfig } from '../operator/config.js'
import { defineCommand, StartError, startOrExit, UsageError } from './command.js'
import {
  checkPaths,
  dnsLabel,
  entryPoints,
  flag,
  hostname,
  integer,
  imageReference,
  labelMap,
  labelSelector,
  type ListenAddress,
  listenAddress,
  objectNames,
  path,
  registryHost,
} from './flags.js'

interface OperatorFlags {
  kubeconfig?: string
  systemNamespace: string
  pagesDomain?: string
  previewDomain?: string
  defaultIssuer: string
  tenantClusterIssuers?: string[]
  entrypoints: string[]
  httpEntrypoints: string[]
  nginxService: string
  nginxPort: number
  tlsMode: 'individual' | 'wildcard'
  wildcardSecret?: string
  listen: ListenAddress
  leaderElect: boolean
  leaseName: string
  concurrency: number
  resyncSeconds: number
  siteSelector?: string
  customerSelector?: string
  ingressNamespace: string
  ingressPodLabels?: Record<string, string>
  serviceAccount: string
  syncerServiceAccount: string
  refusalRetrySeconds: number
  refusalRetryMaxSeconds: number
  registry?: string
  registryService?: string
  registryPullKey?: string
  backupImage?: string
}

const SHUTDOWN_TIMEOUT_MS = 30_000

/** The flags that make the operator's configuration, with the checks that need more than one flag. */
export function operatorConfig(flags: OperatorFlags): OperatorConfig {
  if (!flags.pagesDomain)
    throw new UsageError('--pages-domain (or HOSTPLANE_PAGES_DOMAIN) is required, e.g. pages.example.com')
  if (flags.registry && !flags.registryPullKey)
    throw new UsageError(
      "--registry needs --registry-pull-key (the key the registry realm's --registry-pull-cert certifies)",
    )
  if (flags.registryPullKey && !flags.registry)
    throw new UsageError('--registry-pull-key needs --registry (the registry its tickets are for)')
  if (flags.tlsMode === 'wildcard' && !flags.wildcardSecret)
    throw new UsageError('--tls-mode wildcard needs --wildcard-secret naming the wildcard TLS Secret')
  return {
    systemNamespace: flags.systemNamespace,
    pagesDomain: flags.pagesDomain,
    ...(flags.previewDomain ? { previewDomain: flags.previewDomain } : {}),
    defaultIssuer: flags.defaultIssuer,
    tenantClusterIssuers: flags.tenantClusterIssuers ?? [],
    entryPoints: flags.entrypoints,
    httpEntryPoints: flags.httpEntrypoints,
    nginx: { service: flags.nginxService, port: flags.nginxPort },
    tls:
      flags.tlsMode === 'wildcard'
        ? { mode: 'wildcard', secretName: flags.wildcardSecret ?? '' }
        : { mode: 'individual' },
    ingressNamespace: flags.ingressNamespace,
    ingressPodLabels: flags.ingressPodLabels,
    ...(flags.registry ? { registry: flags.registry } : {}),
    ...(flags.backupImage ? { backupImage: flags.backupImage } : {}),
    serviceAccounts: { operator: flags.serviceAccount, syncer: flags.syncerServiceAccount },
  }
}

export function registerOperatorCommand(program: Command): void {
  defineCommand(program, 'operator')
    .description(
      'run the operator: routes and Certificates for StaticSites, tenant namespaces for Customers, apps for Webspaces',
    )
    .addOption(
      flag('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)', {
        parse: path,
        exists: 'file',
      }),
    )
    .addOption(
      flag('--system-namespace <ns>', 'namespace of generated objects and nginx', {
        env: true,
        parse: dnsLabel,
        default: 'hostplane-system',
      }),
    )
    .addOption(
      flag('--pages-domain <domain>', 'default domains are <site>-<namespace>.<domain> (required)', {
        env: true,
        parse: hostname,
      }),
    )
    .addOption(
      flag(
        '--preview-domain <domain>',
        'branch previews of webspaces at <branch>--<webspace>-<namespace>.<domain> (default: no previews)',
        { env: true, parse: hostname },
      ),
    )
    .addOption(
      flag('--default-issuer <name>', 'cert-manager ClusterIssuer for tls.mode auto', {
        env: true,
        default: 'letsencrypt',
      }),
    )
    .addOption(
      flag(
        '--tenant-cluster-issuers <list>',
        "ClusterIssuers every customer's sites may name in tls.clusterIssuer besides the default (a Customer's spec.clusterIssuers adds its own)",
        { env: true, parse: objectNames },
      ),
    )
    .addOption(
      flag('--entrypoints <list>', 'Traefik entry points for TLS sites', {
        env: true,
        parse: entryPoints,
        default: 'websecure',
      }),
    )
    .addOption(
      flag('--http-entrypoints <list>', 'Traefik entry points for tls.mode none', {
        env: true,
        parse: entryPoints,
        default: 'web',
      }),
    )
    .addOption(
      flag('--nginx-service <name>', 'the shared nginx Service', {
        env: true,
        parse: dnsLabel,
        default: 'hostplane-nginx',
      }),
    )
    .addOption(
      flag('--nginx-port <port>', 'its port', { env: true, parse: integer(1, 65535), default: '80' }),
    )
    .addOption(
      flag(
        '--tls-mode <mode>',
        'individual: a Certificate per site; wildcard: one Secret for *.<pages domain>',
        { env: true, choices: ['individual', 'wildcard'], default: 'individual' },
      ),
    )
    .addOption(
      flag('--wildcard-secret <name>', 'TLS Secret for *.<pages domain> (tls-mode wildcard)', { env: true }),
    )
    .addOption(
      flag('--listen <host:port>', '/healthz, /readyz and /metrics', {
        env: true,
        parse: listenAddress,
        default: ':8080',
      }),
    )
    .addOption(flag('--no-leader-elect', 'run without leader election (one replica only)'))
    .addOption(
      flag('--lease-name <name>', 'Lease for leader election', {
        env: true,
        parse: dnsLabel,
        default: 'hostplane-operator',
      }),
    )
    .addOption(
      flag('--concurrency <n>', 'sites reconciled in parallel', {
        env: true,
        parse: integer(1, 100),
        default: '10',
      }),
    )
    .addOption(
      flag('--resync-seconds <n>', 'full reconcile period', {
        env: true,
        parse: integer(1, 86_400),
        default: '600',
      }),
    )
    .addOption(
      flag(
        '--site-selector <selector>',
        'only StaticSites with these labels (a shard; give each shard its own system namespace)',
        { env: true, parse: labelSelector },
      ),
    )
    .addOption(
      flag(
        '--customer-selector <selector>',
        'only Customers with these labels and the Webspaces, Databases and Backups of their namespaces; DatabaseServers and BackupTargets need the labels too (tests sharing a cluster: narrow --site-selector alike)',
        { env: true, parse: labelSelector },
      ),
    )
    .addOption(
      flag(
        '--ingress-namespace <ns>',
        'namespace of the ingress controller: the only traffic source tenant pods admit',
        { env: true, parse: dnsLabel, default: 'traefik' },
      ),
    )
    .addOption(
      flag(
        '--ingress-pod-labels <labels>',
        "label=value pairs of the ingress controller's pods: tenant pods admit only those pods of its namespace",
        { env: true, parse: labelMap },
      ),
    )
    .addOption(
      flag(
        '--service-account <name>',
        "the operator's own ServiceAccount in the system namespace (bound to read TLS Secrets in customer namespaces)",
        { env: true, parse: dnsLabel, default: 'hostplane-operator' },
      ),
    )
    .addOption(
      flag(
        '--syncer-service-account <name>',
        "the syncer's ServiceAccount in the system namespace (bound to read site secrets in customer namespaces)",
        { env: true, parse: dnsLabel, default: 'hostplane-syncer' },
      ),
    )
    .addOption(
      flag(
        '--refusal-retry-seconds <n>',
        'first wait before a write the API server refused (quota, policy) is tried again; doubles per refusal',
        { env: true, parse: integer(1, 3600), default: '5' },
      ),
    )
    .addOption(
      flag('--refusal-retry-max-seconds <n>', 'longest wait before a refused write is tried again', {
        env: true,
        parse: integer(1, 86_400),
        default: '300',
      }),
    )
    .addOption(
      flag(
        '--registry <host[:port]>',
        "the tenants' registry: each customer namespace gets the pull Secret hostplane-registry-pull, and Webspaces running its images pull with it",
        { env: true, parse: registryHost },
      ),
    )
    .addOption(
      flag('--registry-service <name>', "the registry's auth.token.service (default: --registry)", {
        env: true,
      }),
    )
    .addOption(
      flag(
        '--registry-pull-key <file>',
        "PEM key (EC P-256 or RSA) signing the customers' pull tickets, read once at start (required with --registry)",
        { env: true, parse: path, exists: 'file' },
      ),
    )
    .addOption(
      flag(
        '--backup-image <ref>',
        'the hostplane image (best by digest) backup Jobs run in customer namespaces; without it, Backups wait (BackupsNotConfigured)',
        { env: true, parse: imageReference },
      ),
    )
    .action((flags: OperatorFlags, command: Command) =>
      startOrExit('operator', async () => {
        const config = operatorConfig(flags)
        await checkPaths(command)
        const pullTickets = flags.registryPullKey
          ? await (
              await import('../build/registry/pull-ticket.js')
            )
              .loadPullTicketSigner({
                keyFile: flags.registryPullKey,
                service: flags.registryService ?? flags.registry ?? '',
              })
              .catch((error: unknown) => {
                throw new StartError((error as Error).message)
              })
          : undefined
        const kubeConfig = await loadKubeConfig({ file: flags.kubeconfig })
        const log = createLogger({ name: 'hostplane-operator' })
        const { Operator } = await import('../operator/operator.js')
        const operator: Operator = await Operator.start({
          kubeConfig,
          config,
          log,
          listen: flags.listen,
          leaderElection: flags.leaderElect ? { leaseName: flags.leaseName } : undefined,
          concurrency: flags.concurrency,
          resyncMs: flags.resyncSeconds * 1000,
          siteSelector: flags.siteSelector,
          customerSelector: flags.customerSelector,
          pullTickets,
          refusalBackoff: {
            baseMs: flags.refusalRetrySeconds * 1000,
            maxMs: Math.max(flags.refusalRetrySeconds, flags.refusalRetryMaxSeconds) * 1000,
          },
        })
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
      }),
    )
}
