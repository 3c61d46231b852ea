/**
 * `hostplane sync <site>`: asks the syncer to sync a StaticSite now, by setting its
 * `hostplane.dev/requested-sync` annotation with the user's own kubeconfig (so Kubernetes RBAC
 * decides who may), and with `--wait` waits for the syncer to report it handled that request.
 */
import type { Command } from 'commander'
import { defineCommand, startOrExit } from './command.js'
import { checkPaths, dnsLabel, duration, flag, path } from './flags.js'

export interface SyncFlags {
  namespace?: string
  kubeconfig?: string
  wait?: boolean
  timeout: number
}

export function registerSyncCommand(program: Command): void {
  defineCommand(program, 'sync')
    .description('sync a StaticSite from Git now (sets its hostplane.dev/requested-sync annotation)')
    .argument('<site>', 'the StaticSite name')
    .addOption(
      flag(
        '-n, --namespace <namespace>',
        "the site's namespace (default: the kubeconfig context's, else default)",
        {
          parse: dnsLabel,
        },
      ),
    )
    .addOption(
      flag('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config)', {
        parse: path,
        exists: 'file',
      }),
    )
    .addOption(flag('--wait', 'wait until the syncer handled the request, and print what it did'))
    .addOption(flag('--timeout <duration>', 'how long --wait waits', { parse: duration, default: '2m' }))
    .action((site: string, flags: SyncFlags, command: Command) =>
      startOrExit('sync', async () => {
        await checkPaths(command)
        const { syncCommand } = await import('./sync-command.js')
        await syncCommand(site, flags, process.stdout)
      }),
    )
}
