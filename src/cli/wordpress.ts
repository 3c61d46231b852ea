/**
 * `hostplane wordpress create <name>`: one WordPress site in one step, with the user's own
 * kubeconfig — its Database, its keys Secret and its Webspace of the wordpress Runtime with the
 * domain and an uploads volume (src/wordpress) — and, given the webspace's git remote, the first
 * push that builds its first Release. Prints the install link that only the site's owner holds.
 */
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { SIZES, type Size } from '../api/customer.js'
import { MAX_DATABASE_NAME } from '../api/database.js'
import { GIT_BRANCH } from '../api/schema-kit.js'
import { STORAGE_SIZE } from '../api/webspace.js'
import { DEFAULT_UPLOADS_SIZE } from '../wordpress/site.js'
import { defineCommand, startOrExit } from './command.js'
import { checkPaths, dnsLabel, flag, hostname } from './flags.js'
import { kubeFlags } from './releases.js'

export interface WordPressFlags {
  namespace?: string
  kubeconfig?: string
  domain: string
  tls: 'auto' | 'none'
  storage: string
  size?: Size
  databaseServer?: string
  branch: string
  gitRemote?: string
}

/** The site's name names its Database too, which allows at most MAX_DATABASE_NAME characters. */
const siteName = (text: string) => {
  dnsLabel(text)
  if (text.length > MAX_DATABASE_NAME)
    throw new InvalidArgumentError(
      `${text} is longer than ${MAX_DATABASE_NAME} characters (it names the site's Database)`,
    )
  return text
}

const storageSize = (text: string) => {
  if (!new RegExp(STORAGE_SIZE).test(text))
    throw new InvalidArgumentError(`${text} is not a volume size such as 512Mi or 10Gi`)
  return text
}

const branchName = (text: string) => {
  if (text.length > 255 || !new RegExp(GIT_BRANCH).test(text) || text.startsWith('-') || text.includes('..'))
    throw new InvalidArgumentError(`${text} is not a branch name such as main`)
  return text
}

/** A remote git reads as a remote, never as one of its own options (`--upload-pack=…`). */
const gitRemote = (text: string) => {
  if (!text || text.startsWith('-') || /[\0\n]/.test(text))
    throw new InvalidArgumentError(`${text} is not a git remote such as git@git.example.com:acme/blog.git`)
  return text
}

export function registerWordPressCommand(program: Command): void {
  const wordpress = defineCommand(program, 'wordpress').description('WordPress sites in one step')
  kubeFlags(
    defineCommand(wordpress, 'create', 'wordpress')
      .description(
        'create (or change) a WordPress site: its Database, keys Secret and Webspace; with --git-remote, its first Release',
      )
      .argument('<name>', 'the site: names its Webspace and Database', siteName)
      .addOption(flag('--domain <host>', "the site's domain", { parse: hostname }).makeOptionMandatory())
      .addOption(
        flag('--tls <mode>', 'auto: a certificate by cert-manager; none: HTTP only', {
          default: 'auto',
          choices: ['auto', 'none'],
        }),
      )
      .addOption(
        flag('--storage <size>', 'the uploads volume', { parse: storageSize, default: DEFAULT_UPLOADS_SIZE }),
      )
      .addOption(flag('--size <size>', "resources per replica (default: the tier's)", { choices: SIZES }))
      .addOption(
        flag(
          '--database-server <name>',
          "a DatabaseServer the tier may use (default: the tier's MariaDB default)",
          {
            parse: dnsLabel,
          },
        ),
      )
      .addOption(
        flag('--branch <branch>', 'the branch whose pushes are deployed', {
          parse: branchName,
          default: 'main',
        }),
      )
      .addOption(
        flag(
          '--git-remote <url>',
          "the webspace's repository (git@git.example.com:<customer>/<name>.git): pushes the first commit unless the branch exists",
          { parse: gitRemote },
        ),
      ),
  ).action((name: string, flags: WordPressFlags, command: Command) =>
    startOrExit('wordpress create', async () => {
      await checkPaths(command)
      const { withKube } = await import('./release-commands.js')
      const { createWordPress } = await import('../wordpress/create.js')
      const created = await withKube(flags, 'hostplane-wordpress', (api, namespace) =>
        createWordPress(api, {
          name,
          namespace,
          domain: flags.domain,
          tls: flags.tls,
          storage: flags.storage,
          branch: flags.branch,
          ...(flags.size ? { size: flags.size } : {}),
          ...(flags.databaseServer ? { databaseServer: flags.databaseServer } : {}),
        }),
      )
      for (const line of created.lines) process.stdout.write(`${line}\n`)
      if (flags.gitRemote) {
        const { pushStarter } = await import('../wordpress/starter.js')
        process.stdout.write(`${await pushStarter(flags.gitRemote, flags.branch)}\n`)
      } else
        process.stdout.write(
          `no Release yet: push the site's wp-content to its repository (or run this again with --git-remote) to build one\n`,
        )
      process.stdout.write(
        `install WordPress (this link is the site's key until it is installed): ${created.installLink}\n`,
      )
    }),
  )
}
