/**
 * The contract every `hostplane` command keeps with the shell (docs/cli.md):
 *
 *   0  done (or help, or --version)
 *   1  could not start, or stopped by a failure: an unusable file, a port in use, a kubeconfig
 *      that gives no credentials; `validate`: a document is invalid
 *   2  bad usage: an unknown flag, a value the flag does not accept, a missing required flag,
 *      flags that do not go together
 *
 * Whatever a user types gets one line on stderr, `hostplane <command>: <what is wrong>`, never
 * a stack trace.
 */
import { type Command, CommanderError } from 'commander'
import { HOSTPLANE_PACKAGE } from '../package-root.js'

export const EXIT_START_FAILED = 1
export const EXIT_USAGE = 2

/** Flags that do not go together, found after parsing (exit 2). */
export class UsageError extends Error {}

/** Something the command needs before it can run is unusable: a file, a directory, credentials (exit 1). */
export class StartError extends Error {}

const oneLine = (text: string) => text.trim().replace(/\s*\n\s*/g, ' ')

export const errorMessage = (error: unknown) =>
  oneLine(error instanceof Error ? error.message : String(error))

/** Commander's own errors (unknown flag, refused value) as one line naming the command, exit 2. */
function keepContract(command: Command, name: string): Command {
  return command
    .exitOverride((error) => {
      throw error
    })
    .configureOutput({
      outputError: (text, write) => write(`${name}: ${oneLine(text.replace(/^error: /, ''))}\n`),
    })
}

/** The `hostplane` program: --version from package.json, usage errors as one line. */
export function hostplaneProgram(program: Command): Command {
  return keepContract(program, 'hostplane').name('hostplane').version(HOSTPLANE_PACKAGE.version, '--version')
}

/** A subcommand of `hostplane` (or of one of its commands, named by `parent`) that keeps the contract. */
export function defineCommand(program: Command, name: string, parent?: string): Command {
  return keepContract(program.command(name), `hostplane ${parent ? `${parent} ` : ''}${name}`)
}

/**
 * Runs a command's start: a UsageError exits 2, anything else 1, both with one line. Exits the
 * process rather than returning, because a start that failed half-way may leave timers and
 * watchers behind that would keep it alive.
 */
export async function startOrExit(name: string, start: () => Promise<void>): Promise<void> {
  try {
    await start()
  } catch (error) {
    process.stderr.write(`hostplane ${name}: ${errorMessage(error)}\n`)
    process.exit(error instanceof UsageError ? EXIT_USAGE : EXIT_START_FAILED)
  }
}

/** Parses the command line and runs the command; commander's refusals become exit 2. */
export async function run(program: Command): Promise<void> {
  try {
    await program.parseAsync()
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error
    const done = error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
    process.exitCode = done ? 0 : EXIT_USAGE
  }
}
