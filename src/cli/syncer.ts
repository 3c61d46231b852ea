/**
 * `hostplane syncer`: flags and secrets → the syncer service, running until SIGTERM or SIGINT.
 * Webhook secrets and the sync token come from files in `--secrets-dir` (a mounted Secret) or
 * from the environment, never from arguments, which every user of the node can read. Every flag
 * can also be set by its HOSTPLANE_* variable (`--allowed-hosts` → HOSTPLANE_ALLOWED_HOSTS).
 */
import type { Command } from 'commander'
import { createLogger } from '../ops/log.js'
import {
  duration,
  envOption,
  list,
  listenAddress,
  parseSize,
  positive,
  secret,
  webhookSecrets,
} from './flags.js'
import { stopOnSignal } from './shutdown.js'

interface SyncerFlags {
  kubeconfig?: string
  sitesRoot: string
  workDir: string
  allowedHosts: string[]
  allowPrivateNetworks: string[]
  gitCaFile?: string
  listen: string
  secretsDir?: string
  namespace?: string
  workers: number
  gitConcurrency: number
  gitPerHost: number
  keepRevisions: number
  maxSiteSize: number
  maxFileSize: number
  maxFiles: number
  fetchTimeout: number
}

export function registerSyncerCommand(program: Command): void {
  program
    .command('syncer')
    .description(
      'publish every StaticSite of the cluster from Git into the sites root, with webhooks and manual sync',
    )
    .addOption(
      envOption<string[]>(
        '--allowed-hosts <hosts>',
        'comma-separated Git hosts the syncer may reach (git.example.com, *.example.com)',
        { parse: list },
      ).makeOptionMandatory(),
    )
    .addOption(
      envOption(
        '--kubeconfig <file>',
        'kubeconfig file (default: in-cluster config, then $KUBECONFIG, then ~/.kube/config)',
      ),
    )
    .addOption(
      envOption('--sites-root <dir>', 'directory nginx serves (the shared volume)', {
        defaultValue: '/sites',
      }),
    )
    .addOption(
      envOption('--work-dir <dir>', 'private working directory for git mirrors (an emptyDir is fine)', {
        defaultValue: '/var/lib/hostplane-syncer',
      }),
    )
    .addOption(
      envOption(
        '--allow-private-networks <cidrs>',
        'comma-separated internal networks git may reach anyway',
        {
          parse: list,
          defaultValue: [],
        },
      ),
    )
    .addOption(envOption('--git-ca-file <file>', 'CA bundle for https Git hosts instead of the system one'))
    .addOption(envOption('--listen <host:port>', 'address of the HTTP API', { defaultValue: '0.0.0.0:8080' }))
    .addOption(
      envOption(
        '--secrets-dir <dir>',
        'directory with the files github, gitea, forgejo, gitlab (webhook secrets) and sync-token',
      ),
    )
    .addOption(envOption('--namespace <namespace>', 'sync only the StaticSites of this namespace'))
    .addOption(envOption('--workers <n>', 'sites synced at once', { parse: positive, defaultValue: 16 }))
    .addOption(
      envOption('--git-concurrency <n>', 'git network operations at once', {
        parse: positive,
        defaultValue: 8,
      }),
    )
    .addOption(
      envOption('--git-per-host <n>', 'git network operations at once against one host', {
        parse: positive,
        defaultValue: 4,
      }),
    )
    .addOption(
      envOption('--keep-revisions <n>', 'published revisions kept per site for rollback', {
        parse: positive,
        defaultValue: 3,
      }),
    )
    .addOption(
      envOption('--max-site-size <size>', 'largest published site', {
        parse: parseSize,
        defaultValue: 1024 ** 3,
      }),
    )
    .addOption(
      envOption('--max-file-size <size>', 'largest published file', {
        parse: parseSize,
        defaultValue: 100 * 1024 ** 2,
      }),
    )
    .addOption(
      envOption('--max-files <n>', 'most files in a published site', {
        parse: positive,
        defaultValue: 100_000,
      }),
    )
    .addOption(
      envOption('--fetch-timeout <duration>', 'longest a fetch may take', {
        parse: duration,
        defaultValue: 300_000,
      }),
    )
    .action(async (flags: SyncerFlags) => {
      const log = createLogger({ name: 'hostplane-syncer' })
      // Loaded here, not at the top: every command shares main.ts, and the Kubernetes client adds
      // about 50 MiB of RSS to processes that never use it (`hostplane serve`).
      const [{ KubeConfig }, { startSyncerService }] = await Promise.all([
        import('@kubernetes/client-node'),
        import('../syncer/syncer-service.js'),
      ])
      const kubeConfig = new KubeConfig()
      if (flags.kubeconfig) kubeConfig.loadFromFile(flags.kubeconfig)
      else kubeConfig.loadFromDefault()
      const service = await startSyncerService({
        kubeConfig,
        log,
        sitesRoot: flags.sitesRoot,
        workDir: flags.workDir,
        allowedHosts: flags.allowedHosts,
        allowedPrivateNetworks: flags.allowPrivateNetworks,
        caFile: flags.gitCaFile,
        listen: listenAddress(flags.listen),
        webhookSecrets: await webhookSecrets(flags.secretsDir),
        syncToken: await secret(flags.secretsDir, 'sync-token', 'HOSTPLANE_SYNC_TOKEN'),
        namespace: flags.namespace,
        workers: flags.workers,
        concurrency: { global: flags.gitConcurrency, perHost: flags.gitPerHost },
        keep: flags.keepRevisions,
        limits: {
          maxSiteBytes: flags.maxSiteSize,
          maxFileBytes: flags.maxFileSize,
          maxFiles: flags.maxFiles,
        },
        timeouts: { fetchMs: flags.fetchTimeout },
      })
      stopOnSignal(log, () => service.stop())
    })
}
