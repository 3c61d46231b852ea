#!/usr/bin/env node
/** The `hostplane` command. It only wires: each subcommand lives in its own module. */
import { Command } from 'commander'
import { registerOperatorCommand } from './operator.js'
import { registerSyncerCommand } from './syncer.js'
import { validateCommand } from './validate.js'

const program = new Command()
  .name('hostplane')
  .description('Kubernetes-native web hosting: Git-synced static sites and app webspaces.')
  .showHelpAfterError()

program
  .command('validate')
  .description('check StaticSite, Customer, Webspace and Runtime YAML files against the hostplane schema')
  .argument('<files...>', 'YAML files, each with one or more documents')
  .action(async (files: string[]) => {
    process.exitCode = await validateCommand(files, process.stdout, process.stderr)
  })

program
  .command('serve')
  .description('serve StaticSites from a directory of YAML files on this machine, without a cluster')
  .argument('[sites-dir]', 'directory of StaticSite YAML files', 'examples')
  .action(() => {
    process.stderr.write(
      'hostplane serve: not implemented yet (the single-machine mode is tracked in issue 6)\n',
    )
  })

registerOperatorCommand(program)
registerSyncerCommand(program)

await program.parseAsync()
