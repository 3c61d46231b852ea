/**
 * `hostplane mirror`: flags and the mirror token → the mirror service, running until SIGTERM or
 * SIGINT. The token comes from `mirror-token` in `--secrets-dir` (a mounted Secret) or
 * HOSTPLANE_MIRROR_TOKEN, never from an argument.
 */
import type { Command } from 'commander'
import { createLogger } from '../ops/log.js'
import { defineCommand, StartError, startOrExit } from './command.js'
import {
  checkPaths,
  duration,
  flag,
  httpUrl,
  type ListenAddress,
  listenAddress,
  path,
  positive,
  secret,
} from './flags.js'
import { addPublishOptions, type PublishFlags, siteLimitsOf } from './publish-flags.js'
import { stopOnSignal } from './shutdown.js'

interface MirrorFlags extends PublishFlags {
  syncerUrl: string
  sitesRoot: string
  listen: ListenAddress
  secretsDir?: string
  maxSites: number
  requestTimeout: number
}

export function registerMirrorCommand(program: Command): void {
  addPublishOptions(
    defineCommand(program, 'mirror')
      .description(
        'keep this replica’s own copy of every published site, following the syncer (nginx replicas without a shared volume)',
      )
      .addOption(
        flag('--syncer-url <url>', 'the syncer’s HTTP API, e.g. http://hostplane-syncer:8080', {
          env: true,
          parse: httpUrl,
        }).makeOptionMandatory(),
      )
      .addOption(
        flag('--sites-root <dir>', 'this replica’s sites directory, the one its nginx serves', {
          env: true,
          parse: path,
          default: '/sites',
        }),
      )
      .addOption(
        flag('--listen <host:port>', 'address of /healthz, /readyz and /metrics', {
          env: true,
          parse: listenAddress,
          default: '0.0.0.0:8081',
        }),
      )
      .addOption(
        flag('--secrets-dir <dir>', 'directory with the file mirror-token (the syncer’s mirror-token)', {
          env: true,
          parse: path,
          exists: 'dir',
        }),
      )
      .addOption(
        flag('--max-sites <n>', 'most sites the syncer may list', {
          env: true,
          parse: positive,
          default: '100000',
        }),
      )
      .addOption(
        flag(
          '--request-timeout <duration>',
          'longest a request to the syncer may take (a file download included)',
          {
            env: true,
            parse: duration,
            default: '2m',
          },
        ),
      ),
  ).action((flags: MirrorFlags, command: Command) =>
    startOrExit('mirror', async () => {
      await checkPaths(command)
      const token = await secret(flags.secretsDir, 'mirror-token', 'HOSTPLANE_MIRROR_TOKEN')
      if (!token)
        throw new StartError(
          'no mirror token: put the syncer’s mirror-token in --secrets-dir or HOSTPLANE_MIRROR_TOKEN',
        )
      const log = createLogger({ name: 'hostplane-mirror' })
      const { startMirrorService } = await import('../mirror/mirror-service.js')
      const service = await startMirrorService({
        syncerUrl: flags.syncerUrl,
        token,
        sitesRoot: flags.sitesRoot,
        listen: flags.listen,
        keep: flags.keepRevisions,
        limits: siteLimitsOf(flags),
        maxSites: flags.maxSites,
        timeoutMs: flags.requestTimeout,
        log,
      })
      stopOnSignal(log, () => service.stop())
    }),
  )
}
