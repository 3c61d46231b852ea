/**
 * `hostplane syncer`: flags and secrets → the syncer service, running until SIGTERM or SIGINT.
 * Webhook secrets and the sync token come from files in `--secrets-dir` (a mounted Secret) or
 * from the environment, never from arguments, which every user of the node can read. Every flag
 * can also be set by its HOSTPLANE_* variable (`--allowed-hosts` → HOSTPLANE_ALLOWED_HOSTS).
 * `--mirror-listen` without a mirror token is refused before anything starts: a feed listener
 * nobody may read would leave every mirror unready with no hint on the syncer's side.
 */
import type { Command } from 'commander'
import { loadKubeConfig } from '../kube/kubeconfig.js'
import { createLogger } from '../ops/log.js'
import { defineCommand, StartError, startOrExit } from './command.js'
import {
  checkPaths,
  duration,
  flag,
  type ListenAddress,
  list,
  listenAddress,
  path,
  positive,
  httpsUrl,
  secret,
  webhookSecrets,
} from './flags.js'
import { addPublishOptions, type PublishFlags, siteLimitsOf } from './publish-flags.js'
import { stopOnSignal } from './shutdown.js'

interface SyncerFlags extends PublishFlags {
  kubeconfig?: string
  sitesRoot: string
  workDir: string
  allowedHosts: string[]
  allowPrivateNetworks?: string[]
  gitCaFile?: string
  listen: ListenAddress
  mirrorListen?: ListenAddress
  secretsDir?: string
  namespace?: string
  publicUrl?: string
  workers: number
  gitConcurrency: number
  gitPerHost: number
  fetchTimeout: number
}

export function registerSyncerCommand(program: Command): void {
  addPublishOptions(defineCommand(program, 'syncer'))
    .description(
      'publish every StaticSite of the cluster from Git into the sites root, with webhooks and manual sync',
    )
    .addOption(
      flag(
        '--allowed-hosts <hosts>',
        'comma-separated Git hosts the syncer may reach (git.example.com, *.example.com)',
        {
          env: true,
          parse: list,
        },
      ).makeOptionMandatory(),
    )
    .addOption(
      flag('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)', {
        env: true,
        parse: path,
        exists: 'file',
      }),
    )
    .addOption(
      flag('--sites-root <dir>', 'directory nginx serves (the shared volume)', {
        env: true,
        parse: path,
        default: '/sites',
      }),
    )
    .addOption(
      flag('--work-dir <dir>', 'private working directory for git mirrors (an emptyDir is fine)', {
        env: true,
        parse: path,
        default: '/var/lib/hostplane-syncer',
      }),
    )
    .addOption(
      flag('--allow-private-networks <cidrs>', 'comma-separated internal networks git may reach anyway', {
        env: true,
        parse: list,
      }),
    )
    .addOption(
      flag('--git-ca-file <file>', 'CA bundle for https Git hosts instead of the system one', {
        env: true,
        parse: path,
        exists: 'file',
      }),
    )
    .addOption(
      flag('--listen <host:port>', 'address of the HTTP API', {
        env: true,
        parse: listenAddress,
        default: '0.0.0.0:8080',
      }),
    )
    .addOption(
      flag(
        '--mirror-listen <host:port>',
        'serve the mirror feed on this address of its own instead of --listen, so a NetworkPolicy can admit only the mirrors to it (needs mirror-token)',
        { env: true, parse: listenAddress },
      ),
    )
    .addOption(
      flag(
        '--secrets-dir <dir>',
        'directory with the files github, gitea, forgejo, gitlab (webhook secrets), sync-token and mirror-token',
        { env: true, parse: path, exists: 'dir' },
      ),
    )
    .addOption(flag('--namespace <namespace>', 'sync only the StaticSites of this namespace', { env: true }))
    .addOption(
      flag(
        '--public-url <url>',
        'the URL at which forges reach this syncer (https://sync.example.com), shown as status.webhookURL of sites with their own webhook',
        { env: true, parse: httpsUrl },
      ),
    )
    .addOption(
      flag('--workers <n>', 'workers that start syncs and write their status', {
        env: true,
        parse: positive,
        default: '16',
      }),
    )
    .addOption(
      flag('--git-concurrency <n>', 'git network operations at once', {
        env: true,
        parse: positive,
        default: '8',
      }),
    )
    .addOption(
      flag('--git-per-host <n>', 'git network operations at once against one host', {
        env: true,
        parse: positive,
        default: '4',
      }),
    )
    .addOption(
      flag('--fetch-timeout <duration>', 'longest a fetch may take', {
        env: true,
        parse: duration,
        default: '5m',
      }),
    )
    .action((flags: SyncerFlags, command: Command) =>
      startOrExit('syncer', async () => {
        await checkPaths(command)
        const mirrorToken = await secret(flags.secretsDir, 'mirror-token', 'HOSTPLANE_MIRROR_TOKEN')
        if (flags.mirrorListen && !mirrorToken)
          throw new StartError(
            '--mirror-listen serves the mirror feed, which needs a mirror token: put mirror-token in --secrets-dir or HOSTPLANE_MIRROR_TOKEN',
          )
        const kubeConfig = await loadKubeConfig({ file: flags.kubeconfig })
        const log = createLogger({ name: 'hostplane-syncer' })
        const { startSyncerService } = await import('../syncer/syncer-service.js')
        const service = await startSyncerService({
          kubeConfig,
          log,
          sitesRoot: flags.sitesRoot,
          workDir: flags.workDir,
          allowedHosts: flags.allowedHosts,
          allowedPrivateNetworks: flags.allowPrivateNetworks ?? [],
          caFile: flags.gitCaFile,
          listen: flags.listen,
          webhookSecrets: await webhookSecrets(flags.secretsDir),
          syncToken: await secret(flags.secretsDir, 'sync-token', 'HOSTPLANE_SYNC_TOKEN'),
          mirrorToken,
          mirrorListen: flags.mirrorListen,
          namespace: flags.namespace,
          publicUrl: flags.publicUrl,
          workers: flags.workers,
          concurrency: { global: flags.gitConcurrency, perHost: flags.gitPerHost },
          keep: flags.keepRevisions,
          limits: siteLimitsOf(flags),
          timeouts: { fetchMs: flags.fetchTimeout },
        })
        stopOnSignal(log, () => service.stop())
      }),
    )
}
