/**
 * `hostplane verify <dir>`: exit 0 when the package is intact and consistent, 1 with one line
 * per problem otherwise (src/package/verify-package.ts says what is checked).
 */
import type { Command } from 'commander'
import { defineCommand, startOrExit } from './command.js'
import { flag, path, usablePath } from './flags.js'

export function registerVerifyCommand(program: Command): void {
  defineCommand(program, 'verify')
    .description('check a package made by hostplane package: checksums, manifest, digest-pinned images')
    .argument('<dir>', 'the package directory')
    .addOption(flag('-o, --output <format>', 'text or json', { choices: ['text', 'json'], default: 'text' }))
    .action((dir: string, flags: { output: 'text' | 'json' }) =>
      startOrExit('verify', async () => {
        const directory = path(dir)
        await usablePath('package', directory, 'dir')
        const { verifyCommand } = await import('./verify-command.js')
        process.exitCode = await verifyCommand(directory, flags, process.stdout)
      }),
    )
}
