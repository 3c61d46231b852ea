#!/usr/bin/env node
/**
 * The `hostplane` command. It only wires: each subcommand lives in its own module and imports
 * what it runs only when it runs, so a long-running process (the operator, the syncer, `serve`)
 * carries none of the other commands' libraries: together they cost about 18 MiB of RSS.
 */
import { Command } from 'commander'
import { registerOperatorCommand } from './operator.js'
import { registerServeCommand } from './serve.js'
import { registerSyncerCommand } from './syncer.js'
import { registerValidateCommand } from './validate.js'

const program = new Command()
  .name('hostplane')
  .description('Kubernetes-native web hosting: Git-synced static sites and app webspaces.')
  .showHelpAfterError()

registerValidateCommand(program)
registerOperatorCommand(program)
registerServeCommand(program)
registerSyncerCommand(program)

await program.parseAsync()
