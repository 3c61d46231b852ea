/**
 * The `hostplane validate` command line: exit 0 when everything given is valid, 1 when anything
 * is invalid, conflicting or unreadable, 2 for a usage error (the contract of command.ts). The
 * checks load only when it runs.
 */
import type { Command } from 'commander'
import { defineCommand } from './command.js'
import { flag, hostname } from './flags.js'

export function registerValidateCommand(program: Command): void {
  defineCommand(program, 'validate')
    .description(
      'check StaticSite, Customer, Webspace and Runtime YAML as the API server would, and the domain claims among them',
    )
    .argument('<paths...>', 'YAML files, directories (their *.yaml and *.yml files) or - for standard input')
    .addOption(flag('-o, --output <format>', 'text or json', { choices: ['text', 'json'], default: 'text' }))
    .addOption(
      flag('--pages-domain <domain>', 'default domains are <name>-<namespace>.<domain>', {
        parse: hostname,
        default: 'pages.localhost',
      }),
    )
    .action(async (paths: string[], flags: { output: 'text' | 'json'; pagesDomain: string }) => {
      const { validateCommand } = await import('./validate-command.js')
      process.exitCode = await validateCommand(paths, flags, {
        stdin: process.stdin,
        out: process.stdout,
        err: process.stderr,
      })
    })
}
