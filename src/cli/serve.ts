/**
 * `hostplane serve`: StaticSite files from a directory, served on this machine without a cluster
 * (src/standalone/). Secrets come from files in `--secrets-dir` or the environment, never from
 * arguments.
 */
import { join } from 'node:path'
import type { Command } from 'commander'
import { createLogger, type Logger } from '../ops/log.js'
import { LETS_ENCRYPT_PRODUCTION } from '../standalone/acme/lets-encrypt.js'
import { LOCAL_REPO_HOST } from '../standalone/local-repos.js'
import { duration, httpsUrl, list, listenAddress, positive, secret, webhookSecrets } from './flags.js'
import { stopOnSignal } from './shutdown.js'

interface ServeFlags {
  dataDir: string
  listen: string
  controlListen: string
  allowedHosts: string[]
  allowPrivateNetworks: string[]
  gitCaFile?: string
  localRepos?: string
  initLocalRepo?: string
  pagesDomain: string
  secretsDir?: string
  rescanInterval: number
  workers: number
  keepRevisions: number
  httpsListen?: string
  acmeDirectory: string
  acmeEmail?: string
  acmeCaFile?: string
  acmeOrderBudget: number
  acmeBudgetWindow: number
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve StaticSites from a directory of YAML files on this machine, without a cluster')
    .argument('[sites-dir]', 'directory of StaticSite YAML files', 'examples')
    .option('--data-dir <dir>', 'published trees and git mirrors', '.data')
    .option('--listen <host:port>', 'address of the sites', '127.0.0.1:8080')
    .option(
      '--control-listen <host:port>',
      'address of /healthz, /readyz, /metrics, webhooks and POST /sync',
      '127.0.0.1:8081',
    )
    .option('--allowed-hosts <hosts>', 'comma-separated Git hosts sites may be synced from', list, [])
    .option(
      '--allow-private-networks <cidrs>',
      'comma-separated internal networks git may reach anyway',
      list,
      [],
    )
    .option('--git-ca-file <file>', 'CA bundle for https Git hosts instead of the system one')
    .option(
      '--local-repos <dir>',
      `git repositories on this machine: a site with repo https://${LOCAL_REPO_HOST}/<name> reads <dir>/<name>`,
    )
    .option(
      '--init-local-repo <name=dir>',
      'create the local repository <name> from the files of <dir> when it does not exist yet',
    )
    .option(
      '--pages-domain <domain>',
      'sites without domains answer on <name>-<namespace>.<domain>',
      'pages.localhost',
    )
    .option('--secrets-dir <dir>', 'directory with the files github, gitea, forgejo, gitlab and sync-token')
    .option(
      '--rescan-interval <duration>',
      'read the sites directory again at least this often',
      duration,
      10_000,
    )
    .option('--workers <n>', 'sites synced at once', positive, 4)
    .option('--keep-revisions <n>', 'published revisions kept per site for rollback', positive, 3)
    .option(
      '--https-listen <host:port>',
      'serve HTTPS here too, with certificates from an ACME CA for the sites with tls.mode auto',
    )
    .option('--acme-directory <url>', 'ACME directory of the CA', httpsUrl, LETS_ENCRYPT_PRODUCTION)
    .option('--acme-email <address>', 'contact address of the ACME account (expiry notices)')
    .option('--acme-ca-file <file>', 'CA bundle trusted for the ACME directory instead of the system one')
    .option('--acme-order-budget <n>', 'new certificate orders allowed per budget window', positive, 20)
    .option('--acme-budget-window <duration>', 'the window of the order budget', duration, 3_600_000)
    .action(async (sitesDir: string, flags: ServeFlags) => {
      const log = createLogger({ name: 'hostplane-serve' })
      // A start that fails half-way (a port in use, a missing directory, an unreadable CA file)
      // leaves watchers and timers behind: say what failed in one line and exit, never hang.
      await serve(sitesDir, flags, log).catch((error: unknown) => {
        process.stderr.write(
          `hostplane serve could not start: ${error instanceof Error ? error.message : String(error)}\n`,
        )
        process.exit(1)
      })
    })
}

async function serve(sitesDir: string, flags: ServeFlags, log: Logger): Promise<void> {
  const [{ initLocalRepo }, { startStandalone }] = await Promise.all([
    import('../standalone/local-repo-init.js'),
    import('../standalone/standalone-server.js'),
  ])
  const localRepos = flags.localRepos ?? (flags.initLocalRepo ? join(flags.dataDir, 'repos') : undefined)
  if (flags.initLocalRepo && localRepos) {
    const [name = '', dir = ''] = flags.initLocalRepo.split('=')
    const created = await initLocalRepo(dir, join(localRepos, name))
    if (created === 'created')
      log.info({ repo: join(localRepos, name), from: dir }, 'local repository created')
  }
  const standalone = await startStandalone({
    sitesDir,
    dataDir: flags.dataDir,
    listen: listenAddress(flags.listen),
    controlListen: listenAddress(flags.controlListen),
    allowedHosts: flags.allowedHosts,
    allowedPrivateNetworks: flags.allowPrivateNetworks,
    caFile: flags.gitCaFile,
    localRepos,
    pagesDomain: flags.pagesDomain,
    webhookSecrets: await webhookSecrets(flags.secretsDir),
    syncToken: await secret(flags.secretsDir, 'sync-token', 'HOSTPLANE_SYNC_TOKEN'),
    rescanIntervalMs: flags.rescanInterval,
    workers: flags.workers,
    keep: flags.keepRevisions,
    tls: flags.httpsListen
      ? {
          listen: listenAddress(flags.httpsListen),
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
    welcome(standalone.url, standalone.controlUrl, standalone.sites()[0]?.domains[0], standalone.httpsUrl),
  )
}

function welcome(url: string, controlUrl: string, domain: string | undefined, https?: string): string {
  const port = new URL(url).port
  const lines = ['', `hostplane serve is running on ${url} (health and metrics on ${controlUrl})`]
  if (https) lines.push(`  https  ${https} (certificates: ${controlUrl}/status/tls)`)
  if (domain) {
    lines.push(`  open   http://${domain}:${port}/`, `  try    curl -H 'Host: ${domain}' ${url}/`)
  }
  lines.push('  stop   Ctrl-C', '', '')
  return lines.join('\n')
}
