/**
 * The real `hostplane operator`, `syncer`, `mirror`, `gitserver`, `panel` and `backup-proxy` flag
 * definitions, read without running any command: the install takes its defaults from them, and its
 * tests (and the operator's, for the backup proxy it renders) parse the container args with them,
 * so a renamed or removed flag fails the synth tests instead of a rollout.
 */
import { Command, type Option } from 'commander'
import { registerBackupProxyCommand } from '../../src/cli/backup-proxy.js'
import { registerGitServerCommand } from '../../src/cli/gitserver.js'
import { registerMirrorCommand } from '../../src/cli/mirror.js'
import { registerOperatorCommand } from '../../src/cli/operator.js'
import { registerPanelCommand } from '../../src/cli/panel.js'
import { registerSyncerCommand } from '../../src/cli/syncer.js'

export type CommandName = 'operator' | 'syncer' | 'mirror' | 'gitserver' | 'panel' | 'backup-proxy'

function command(name: CommandName): Command {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} })
  registerOperatorCommand(program)
  registerSyncerCommand(program)
  registerMirrorCommand(program)
  registerGitServerCommand(program)
  registerPanelCommand(program)
  registerBackupProxyCommand(program)
  const found = program.commands.find((c) => c.name() === name)
  if (!found) throw new Error(`hostplane has no ${name} command`)
  return found
}

/** Every option of the command, in definition order. */
export const commandOptions = (name: CommandName): readonly Option[] => command(name).options

/** The default of one flag (`--system-namespace` → `hostplane-system`). */
export function flagDefault(name: CommandName, flag: string): string {
  const option = commandOptions(name).find((o) => o.long === flag)
  // The default as typed (`80`), which the command parses into its value (80).
  const text = option?.defaultValueDescription ?? option?.defaultValue
  if (typeof text !== 'string') throw new Error(`hostplane ${name} has no flag ${flag} with a default`)
  return text
}

/**
 * Parses `args` (the container args without the subcommand) as the command itself would,
 * including its HOSTPLANE_* variables from `env`, and returns the parsed flags; an unknown flag
 * or a bad value throws commander's error.
 */
export async function parseFlags(
  name: CommandName,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<Record<string, unknown>> {
  const target = command(name)
  let parsed: Record<string, unknown> = {}
  target.action((flags: Record<string, unknown>) => {
    parsed = flags
  })
  const saved = Object.keys(env).map((key) => [key, process.env[key]] as const)
  Object.assign(process.env, env)
  try {
    await (target.parent ?? target).parseAsync([name, ...args], { from: 'user' })
  } finally {
    for (const [key, value] of saved)
      if (value === undefined) Reflect.deleteProperty(process.env, key)
      else process.env[key] = value
  }
  return parsed
}
