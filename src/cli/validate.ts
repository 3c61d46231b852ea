/**
 * The `hostplane validate` command line: exit 0 when everything given is valid, 1 when anything
 * is invalid, conflicting or unreadable, 2 for a usage error. The checks load only when it runs.
 */
import { type Command, Option } from 'commander'

const USAGE_ERROR = 2

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      'check StaticSite, Customer, Webspace and Runtime YAML as the API server would, and the domain claims among them',
    )
    .argument('<paths...>', 'YAML files, directories (their *.yaml and *.yml files) or - for standard input')
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .addOption(
      new Option('--pages-domain <domain>', 'default domains are <name>-<namespace>.<domain>').default(
        'pages.localhost',
      ),
    )
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : USAGE_ERROR))
    .action(async (paths: string[], flags: { output: 'text' | 'json'; pagesDomain: string }) => {
      const { validateCommand } = await import('./validate-command.js')
      process.exitCode = await validateCommand(paths, flags, {
        stdin: process.stdin,
        out: process.stdout,
        err: process.stderr,
      })
    })
}
