#!/usr/bin/env node
/** The `hostplane` command. It only wires: each subcommand lives in its own module. */
import { Command } from 'commander'
import { registerOperatorCommand } from './operator.js'
import { registerServeCommand } from './serve.js'
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

registerOperatorCommand(program)
registerServeCommand(program)
registerSyncerCommand(program)

await program.parseAsync()
