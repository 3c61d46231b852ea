/**
 * `hostplane serve`: StaticSite files from a directory, served on this machine without a cluster
 * (src/standalone/). Secrets come from files in `--secrets-dir` or the environment, never from
 * arguments.
 */
import { isAbsolute, join, relative } from 'node:path'
import { Argument, type Command } from 'commander'
import { createLogger, type Logger } from '../ops/log.js'
import { LETS_ENCRYPT_PRODUCTION } from '../standalone/acme/lets-encrypt.js'
import { LOCAL_REPO_HOST } from '../standalone/local-repos.js'
import type { Standalone } from '../standalone/standalone-server.js'
import { defineCommand, startOrExit } from './command.js'
import {
  checkPaths,
  duration,
  flag,
  hostname,
  httpsUrl,
  type ListenAddress,
  list,
  listenAddress,
  localRepoInit,
  path,
  positive,
  secret,
  usablePath,
  webhookSecrets,
} from './flags.js'
import { stopOnSignal } from './shutdown.js'
import { generatedSecret } from './generated-secret.js'

interface ServeFlags {
  dataDir: string
  listen: ListenAddress
  controlListen: ListenAddress
  allowedHosts?: string[]
  allowPrivateNetworks?: string[]
  gitCaFile?: string
  localRepos?: string
  initLocalRepo?: { name: string; dir: string }
  pagesDomain: string
  secretsDir?: string
  rescanInterval: number
  workers: number
  keepRevisions: number
  httpsListen?: ListenAddress
  acmeDirectory: string
  acmeEmail?: string
  acmeCaFile?: string
  acmeOrderBudget: number
  acmeBudgetWindow: number
}

export function registerServeCommand(program: Command): void {
  defineCommand(program, 'serve')
    .description('serve StaticSites from a directory of YAML files on this machine, without a cluster')
    .addArgument(
      new Argument('[sites-dir]', 'directory of StaticSite YAML files')
        .argParser(path)
        .default(path('examples'), 'examples'),
    )
    .addOption(flag('--data-dir <dir>', 'published trees and git mirrors', { parse: path, default: '.data' }))
    .addOption(
      flag('--listen <host:port>', 'address of the sites', {
        parse: listenAddress,
        default: '127.0.0.1:8080',
      }),
    )
    .addOption(
      flag(
        '--control-listen <host:port>',
        'address of /healthz, /readyz, /metrics, webhooks and POST /sync',
        {
          parse: listenAddress,
          default: '127.0.0.1:8081',
        },
      ),
    )
    .addOption(
      flag('--allowed-hosts <hosts>', 'comma-separated Git hosts sites may be synced from', {
        parse: list,
      }),
    )
    .addOption(
      flag('--allow-private-networks <cidrs>', 'comma-separated internal networks git may reach anyway', {
        parse: list,
      }),
    )
    .addOption(
      flag('--git-ca-file <file>', 'CA bundle for https Git hosts instead of the system one', {
        parse: path,
        exists: 'file',
      }),
    )
    .addOption(
      flag(
        '--local-repos <dir>',
        `git repositories on this machine: a site with repo https://${LOCAL_REPO_HOST}/<name> reads <dir>/<name>`,
        { parse: path, exists: 'dir' },
      ),
    )
    .addOption(
      flag(
        '--init-local-repo <name=dir>',
        'create the local repository <name> from the files of <dir> when it does not exist yet',
        { parse: localRepoInit },
      ),
    )
    .addOption(
      flag('--pages-domain <domain>', 'sites without domains answer on <name>-<namespace>.<domain>', {
        parse: hostname,
        default: 'pages.localhost',
      }),
    )
    .addOption(
      flag('--secrets-dir <dir>', 'directory with the files github, gitea, forgejo, gitlab and sync-token', {
        parse: path,
        exists: 'dir',
      }),
    )
    .addOption(
      flag('--rescan-interval <duration>', 'read the sites directory again at least this often', {
        parse: duration,
        default: '10s',
      }),
    )
    .addOption(flag('--workers <n>', 'sites synced at once', { parse: positive, default: '4' }))
    .addOption(
      flag('--keep-revisions <n>', 'published revisions kept per site for rollback', {
        parse: positive,
        default: '3',
      }),
    )
    .addOption(
      flag(
        '--https-listen <host:port>',
        'serve HTTPS here too, with certificates from an ACME CA for the sites with tls.mode auto',
        { parse: listenAddress },
      ),
    )
    .addOption(
      flag('--acme-directory <url>', 'ACME directory of the CA', {
        parse: httpsUrl,
        default: LETS_ENCRYPT_PRODUCTION,
      }),
    )
    .addOption(flag('--acme-email <address>', 'contact address of the ACME account (expiry notices)'))
    .addOption(
      flag('--acme-ca-file <file>', 'CA bundle trusted for the ACME directory instead of the system one', {
        parse: path,
        exists: 'file',
      }),
    )
    .addOption(
      flag('--acme-order-budget <n>', 'new certificate orders allowed per budget window', {
        parse: positive,
        default: '20',
      }),
    )
    .addOption(
      flag('--acme-budget-window <duration>', 'the window of the order budget', {
        parse: duration,
        default: '1h',
      }),
    )
    .action((sitesDir: string, flags: ServeFlags, command: Command) =>
      startOrExit('serve', async () => {
        await checkPaths(command)
        await usablePath('sites directory', sitesDir, 'dir')
        if (flags.initLocalRepo) await usablePath('--init-local-repo', flags.initLocalRepo.dir, 'dir')
        await serve(sitesDir, flags, createLogger({ name: 'hostplane-serve' }))
      }),
    )
}

async function serve(sitesDir: string, flags: ServeFlags, log: Logger): Promise<void> {
  const [{ initLocalRepo }, { startStandalone }] = await Promise.all([
    import('../standalone/local-repo-init.js'),
    import('../standalone/standalone-server.js'),
  ])
  const localRepos = flags.localRepos ?? (flags.initLocalRepo ? join(flags.dataDir, 'repos') : undefined)
  if (flags.initLocalRepo && localRepos) {
    const { name, dir } = flags.initLocalRepo
    const created = await initLocalRepo(dir, join(localRepos, name))
    if (created === 'created')
      log.info({ repo: join(localRepos, name), from: dir }, 'local repository created')
  }
  const given = await secret(flags.secretsDir, 'sync-token', 'HOSTPLANE_SYNC_TOKEN')
  // Without a token `POST /sync` answers 404: make one, so manual sync works from the first start.
  const tokenFile = given ? undefined : join(flags.dataDir, 'sync-token')
  const syncToken = given ?? (await generatedSecret(join(flags.dataDir, 'sync-token')))
  const standalone = await startStandalone({
    sitesDir,
    dataDir: flags.dataDir,
    listen: flags.listen,
    controlListen: flags.controlListen,
    allowedHosts: flags.allowedHosts ?? [],
    allowedPrivateNetworks: flags.allowPrivateNetworks ?? [],
    caFile: flags.gitCaFile,
    localRepos,
    pagesDomain: flags.pagesDomain,
    webhookSecrets: await webhookSecrets(flags.secretsDir),
    syncToken,
    syncTokenHint: tokenFile
      ? shownPath(tokenFile)
      : flags.secretsDir
        ? join(flags.secretsDir, 'sync-token')
        : 'HOSTPLANE_SYNC_TOKEN',
    rescanIntervalMs: flags.rescanInterval,
    workers: flags.workers,
    keep: flags.keepRevisions,
    tls: flags.httpsListen
      ? {
          listen: flags.httpsListen,
          directoryUrl: flags.acmeDirectory,
          email: flags.acmeEmail,
          caFile: flags.acmeCaFile,
          budgetOrders: flags.acmeOrderBudget,
          budgetWindowMs: flags.acmeBudgetWindow,
        }
      : undefined,
    log,
  })
  stopOnSignal(log, () => standalone.stop())
  // The first publish takes a moment: print where to look once it is there (or failed, or slow).
  await Promise.race([standalone.settled(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())])
  process.stdout.write(
    welcome(standalone, {
      domain: standalone.sites()[0]?.domains[0],
      tokenFile: tokenFile && shownPath(tokenFile),
    }),
  )
}

/** A path as short as the user can paste it: relative when it is below the working directory. */
function shownPath(file: string): string {
  const below = relative(process.cwd(), file)
  return below.startsWith('..') || isAbsolute(below) ? file : below
}

function welcome(
  { url, controlUrl, httpsUrl }: Pick<Standalone, 'url' | 'controlUrl' | 'httpsUrl'>,
  { domain, tokenFile }: { domain: string | undefined; tokenFile: string | undefined },
): string {
  const port = new URL(url).port
  const lines = ['', `hostplane serve is running on ${url} (health and metrics on ${controlUrl})`]
  if (httpsUrl) lines.push(`  https  ${httpsUrl} (certificates: ${controlUrl}/status/tls)`)
  if (domain) {
    lines.push(`  open   http://${domain}:${port}/`, `  try    curl -H 'Host: ${domain}' ${url}/`)
  }
  if (tokenFile)
    lines.push(
      `  sync   curl -X POST -H "Authorization: Bearer $(cat ${tokenFile})" ${controlUrl}/sync/<namespace>/<name>`,
      `  panel  ${controlUrl}/panel/ (sign in with the token in ${tokenFile})`,
    )
  lines.push('  stop   Ctrl-C', '', '')
  return lines.join('\n')
}
