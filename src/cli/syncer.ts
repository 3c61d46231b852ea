/**
 * `hostplane syncer`: flags and secrets → the syncer service, running until SIGTERM or SIGINT.
 * Webhook secrets and the sync token come from files in `--secrets-dir` (a mounted Secret) or
 * from the environment, never from arguments, which every user of the node can read.
 */
import type { Command } from 'commander'
import { createLogger } from '../ops/log.js'
import { startSyncerService } from '../syncer/syncer-service.js'
import { duration, list, listenAddress, parseSize, positive, webhookSecrets, secret } from './flags.js'
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
    .requiredOption(
      '--allowed-hosts <hosts>',
      'comma-separated Git hosts the syncer may reach (git.example.com, *.example.com)',
      list,
    )
    .option(
      '--kubeconfig <file>',
      'kubeconfig file (default: in-cluster config, then $KUBECONFIG, then ~/.kube/config)',
    )
    .option('--sites-root <dir>', 'directory nginx serves (the shared volume)', '/sites')
    .option(
      '--work-dir <dir>',
      'private working directory for git mirrors (an emptyDir is fine)',
      '/var/lib/hostplane-syncer',
    )
    .option(
      '--allow-private-networks <cidrs>',
      'comma-separated internal networks git may reach anyway',
      list,
      [],
    )
    .option('--git-ca-file <file>', 'CA bundle for https Git hosts instead of the system one')
    .option('--listen <host:port>', 'address of the HTTP API', '0.0.0.0:8080')
    .option(
      '--secrets-dir <dir>',
      'directory with the files github, gitea, forgejo, gitlab (webhook secrets) and sync-token',
    )
    .option('--namespace <namespace>', 'sync only the StaticSites of this namespace')
    .option('--workers <n>', 'sites synced at once', positive, 16)
    .option('--git-concurrency <n>', 'git network operations at once', positive, 8)
    .option('--git-per-host <n>', 'git network operations at once against one host', positive, 4)
    .option('--keep-revisions <n>', 'published revisions kept per site for rollback', positive, 3)
    .option('--max-site-size <size>', 'largest published site', parseSize, 1024 ** 3)
    .option('--max-file-size <size>', 'largest published file', parseSize, 100 * 1024 ** 2)
    .option('--max-files <n>', 'most files in a published site', positive, 100_000)
    .option('--fetch-timeout <duration>', 'longest a fetch may take', duration, 300_000)
    .action(async (flags: SyncerFlags) => {
      const log = createLogger({ name: 'hostplane-syncer' })
      // Loaded here, not at the top: every command shares main.ts, and the Kubernetes client adds
      // about 50 MiB of RSS to processes that never use it (`hostplane serve`).
      const { KubeConfig } = await import('@kubernetes/client-node')
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
