/**
 * `hostplane rollback <webspace> <release>`: runs one of the webspace's kept Releases by setting
 * its spec.release (release-commands.ts); the operator rolls it out behind the same health gate.
 */
import type { Command } from 'commander'
import { defineCommand, startOrExit } from './command.js'
import { checkPaths } from './flags.js'
import type { ReleaseFlags } from './release-commands.js'
import { kubeFlags } from './releases.js'

export function registerRollbackCommand(program: Command): void {
  kubeFlags(
    defineCommand(program, 'rollback')
      .description("run one of a webspace's Releases (sets its spec.release)")
      .argument('<webspace>', 'the Webspace name')
      .argument('<release>', 'the Release to run (see hostplane releases)'),
  ).action((webspace: string, release: string, flags: ReleaseFlags, command: Command) =>
    startOrExit('rollback', async () => {
      await checkPaths(command)
      const { rollback, withKube } = await import('./release-commands.js')
      const said = await withKube(flags, 'hostplane-rollback', (api, namespace) =>
        rollback(api, namespace, webspace, release),
      )
      process.stdout.write(`${said}\n`)
    }),
  )
}
