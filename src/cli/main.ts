#!/usr/bin/env node
/**
 * The `hostplane` command. It only wires: each subcommand lives in its own module and imports
 * what it runs only when it runs, so a long-running process (the operator, the syncer, `serve`)
 * carries none of the other commands' libraries: together they cost about 18 MiB of RSS. Exit
 * codes and error lines are the same for every command (command.ts).
 */
import { Command } from 'commander'
import { hostplaneProgram, run } from './command.js'
import { registerBackupCommand } from './backup.js'
import { registerBackupProxyCommand } from './backup-proxy.js'
import { registerGitServerCommand } from './gitserver.js'
import { registerMirrorCommand } from './mirror.js'
import { registerOperatorCommand } from './operator.js'
import { registerPackageCommand } from './package.js'
import { registerReleasesCommand } from './releases.js'
import { registerRollbackCommand } from './rollback.js'
import { registerServeCommand } from './serve.js'
import { registerSyncCommand } from './sync.js'
import { registerSyncerCommand } from './syncer.js'
import { registerValidateCommand } from './validate.js'
import { registerVerifyCommand } from './verify.js'
import { registerPanelCommand } from './panel.js'
import { registerPanelTokenCommand } from './panel-token.js'
import { registerWordPressCommand } from './wordpress.js'

const program = hostplaneProgram(new Command()).description(
  'Kubernetes-native web hosting: Git-synced static sites and app webspaces.',
)

registerValidateCommand(program)
registerOperatorCommand(program)
registerServeCommand(program)
registerSyncerCommand(program)
registerSyncCommand(program)
registerMirrorCommand(program)
registerPackageCommand(program)
registerVerifyCommand(program)
registerGitServerCommand(program)
registerReleasesCommand(program)
registerRollbackCommand(program)
registerPanelCommand(program)
registerPanelTokenCommand(program)
registerWordPressCommand(program)
registerBackupCommand(program)
registerBackupProxyCommand(program)

await run(program)
