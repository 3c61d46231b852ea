/**
 * `hostplane releases <webspace>`: a webspace's Releases, newest first, with which one runs, the
 * previous one, the failed ones and a pinned one (release-commands.ts).
 */
import type { Command } from 'commander'
import { defineCommand, startOrExit } from './command.js'
import { checkPaths, dnsLabel, flag, path } from './flags.js'
import type { ReleaseFlags } from './release-commands.js'

/** -n and --kubeconfig, as `hostplane sync` has them. */
export const kubeFlags = (command: Command): Command =>
  command
    .addOption(
      flag(
        '-n, --namespace <namespace>',
        "the webspace's namespace (default: the kubeconfig context's, else default)",
        { parse: dnsLabel },
      ),
    )
    .addOption(
      flag('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config)', {
        parse: path,
        exists: 'file',
      }),
    )

export function registerReleasesCommand(program: Command): void {
  kubeFlags(
    defineCommand(program, 'releases')
      .description("list a webspace's Releases and which one runs")
      .argument('<webspace>', 'the Webspace name'),
  ).action((webspace: string, flags: ReleaseFlags, command: Command) =>
    startOrExit('releases', async () => {
      await checkPaths(command)
      const { listReleases, withKube } = await import('./release-commands.js')
      const table = await withKube(flags, 'hostplane-releases', (api, namespace) =>
        listReleases(api, namespace, webspace, new Date()),
      )
      process.stdout.write(`${table}\n`)
    }),
  )
}
