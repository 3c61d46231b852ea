/**
 * `hostplane package <webspace> [release]`: writes a Release as an immutable deployment package
 * (src/package) read with the user's own kubeconfig, so Kubernetes RBAC decides who may.
 */
import type { Command } from 'commander'
import { defineCommand, startOrExit } from './command.js'
import { checkPaths, flag, path } from './flags.js'
import { kubeFlags } from './releases.js'

export interface PackageFlags {
  namespace?: string
  kubeconfig?: string
  out?: string
}

export function registerPackageCommand(program: Command): void {
  kubeFlags(
    defineCommand(program, 'package')
      .description(
        'write a Release as an immutable package: MANIFEST.json, manifests, image digests, checksums',
      )
      .argument('<webspace>', 'the Webspace name')
      .argument('[release]', 'the Release name (default: the one the Webspace runs)'),
  )
    .addOption(
      flag('--out <dir>', 'the package directory to create (default: ./<namespace>-<release>)', {
        parse: path,
      }),
    )
    .action((webspace: string, release: string | undefined, flags: PackageFlags, command: Command) =>
      startOrExit('package', async () => {
        await checkPaths(command)
        const { packageCommand } = await import('./package-command.js')
        await packageCommand(webspace, release, flags, process.stdout)
      }),
    )
}
