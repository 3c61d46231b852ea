/**
 * `hostplane gitserver`: flags → the gitserver service (src/gitserver), running until SIGTERM or
 * SIGINT. The host key comes from a file (a mounted Secret), or with `--generate-host-key` is
 * created in that file on first start. Every flag can also be set by its HOSTPLANE_* variable.
 */
import type { Command } from 'commander'
import { loadKubeConfig } from '../kube/kubeconfig.js'
import { createLogger } from '../ops/log.js'
import { defineCommand, StartError, startOrExit, UsageError } from './command.js'
import {
  checkPaths,
  duration,
  flag,
  httpUrl,
  type ListenAddress,
  labelSelector,
  listenAddress,
  parseSize,
  path,
  positive,
  registryHost,
} from './flags.js'
import { stopOnSignal } from './shutdown.js'

interface GitServerFlags {
  kubeconfig?: string
  hostKey: string
  generateHostKey?: boolean
  reposDir: string
  runDir: string
  sshListen: ListenAddress
  listen: ListenAddress
  maxPushSize?: number
  handshakeTimeout: number
  idleTimeout: number
  sessionTimeout: number
  connectionsPerMinute: number
  selector?: string
  registry?: string
  registryTokenKey?: string
  registryPullCert?: string
  registryService?: string
  registryIssuer: string
  registryPlainHttp?: boolean
  registryEndpoint?: string
  buildSourceUrl?: string
}

export function registerGitServerCommand(program: Command): void {
  defineCommand(program, 'gitserver')
    .description("serve each Webspace's git repository over SSH to its customer's keys (docs/gitserver.md)")
    .addOption(
      flag('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)', {
        env: true,
        parse: path,
        exists: 'file',
      }),
    )
    .addOption(
      flag('--host-key <file>', 'SSH host private key (OpenSSH format)', {
        env: true,
        parse: path,
        default: '/etc/hostplane-gitserver/host_key',
      }),
    )
    .addOption(
      flag(
        '--generate-host-key',
        'create an ed25519 host key in --host-key if there is none (keep it on a volume)',
        {
          env: true,
        },
      ),
    )
    .addOption(
      flag('--repos-dir <dir>', "the repositories' volume", {
        env: true,
        parse: path,
        default: '/var/lib/hostplane-gitserver/repos',
      }),
    )
    .addOption(
      flag('--run-dir <dir>', 'private directory for the hooks and their socket (an emptyDir is fine)', {
        env: true,
        parse: path,
        default: '/run/hostplane-gitserver',
      }),
    )
    .addOption(
      flag('--ssh-listen <host:port>', 'address of the SSH server', {
        env: true,
        parse: listenAddress,
        default: '0.0.0.0:2222',
      }),
    )
    .addOption(
      flag('--listen <host:port>', 'address of /healthz, /readyz and /metrics', {
        env: true,
        parse: listenAddress,
        default: '0.0.0.0:8080',
      }),
    )
    .addOption(
      flag('--max-push-size <size>', "lower every tier's push size limit to this (e.g. 50MiB)", {
        env: true,
        parse: parseSize,
      }),
    )
    .addOption(
      flag('--handshake-timeout <duration>', 'longest time from connecting to a proved key', {
        env: true,
        parse: duration,
        default: '20s',
      }),
    )
    .addOption(
      flag('--idle-timeout <duration>', 'close a connection with no command running and no data', {
        env: true,
        parse: duration,
        default: '5m',
      }),
    )
    .addOption(
      flag('--session-timeout <duration>', 'longest a connection may last', {
        env: true,
        parse: duration,
        default: '1h',
      }),
    )
    .addOption(
      flag('--connections-per-minute <n>', 'new connections one address may open per minute', {
        env: true,
        parse: positive,
        default: '60',
      }),
    )
    .addOption(
      flag('--selector <labels>', 'only Customers, Webspaces and SshKeys matching this label selector', {
        env: true,
        parse: labelSelector,
      }),
    )
    .addOption(
      flag(
        '--registry <host[:port]>',
        "the tenants' registry: pushes are built into it and become Releases (without it nothing is built)",
        { env: true, parse: registryHost },
      ),
    )
    .addOption(
      flag(
        '--registry-token-key <file>',
        "PEM key signing the registry's tokens (required with --registry)",
        {
          env: true,
          parse: path,
          exists: 'file',
        },
      ),
    )
    .addOption(
      flag(
        '--registry-pull-cert <file>',
        "PEM certificate (or public key) of the operator's --registry-pull-key: the realm then grants nodes pull on a customer's repository for the operator's pull tickets",
        { env: true, parse: path, exists: 'file' },
      ),
    )
    .addOption(
      flag('--registry-service <name>', "the registry's auth.token.service (default: --registry)", {
        env: true,
      }),
    )
    .addOption(
      flag('--registry-issuer <name>', "the registry's auth.token.issuer", {
        env: true,
        default: 'hostplane',
      }),
    )
    .addOption(
      flag(
        '--build-source-url <url>',
        "run buildpacks and dockerfile builds as Jobs, whose Pods fetch the source from this gitserver's listener at this URL (e.g. http://hostplane-gitserver.hostplane-system:8080)",
        { env: true, parse: httpUrl },
      ),
    )
    .addOption(
      flag('--registry-plain-http', 'speak http to the registry (inside the cluster, without TLS)', {
        env: true,
      }),
    )
    .addOption(
      flag(
        '--registry-endpoint <url>',
        'where to connect to the registry when --registry (the name nodes pull by) is not the way in from here, e.g. its Service: http://hostplane-registry.hostplane-system:5000',
        { env: true, parse: httpUrl },
      ),
    )
    .action((flags: GitServerFlags, command: Command) =>
      startOrExit('gitserver', async () => {
        await checkPaths(command)
        const { loadHostKey } = await import('../gitserver/host-key.js')
        const hostKey = await loadHostKey(flags.hostKey, flags.generateHostKey === true).catch(
          (error: unknown) => {
            throw new StartError((error as Error).message)
          },
        )
        if (flags.buildSourceUrl && !flags.registry)
          throw new UsageError('--build-source-url needs --registry (the builds push there)')
        if (flags.registryEndpoint && !flags.registry)
          throw new UsageError('--registry-endpoint needs --registry (the name images are pulled by)')
        if (flags.registry && !flags.registryTokenKey)
          throw new UsageError('--registry needs --registry-token-key (the key its auth.token trusts)')
        if (flags.registryPullCert && !flags.registry)
          throw new UsageError('--registry-pull-cert needs --registry (its realm checks the tickets)')
        const tokenService = flags.registryService ?? flags.registry ?? ''
        const registry = flags.registry
          ? {
              host: flags.registry,
              plainHttp: flags.registryPlainHttp === true,
              endpoint: flags.registryEndpoint,
              tokens: await (
                await import('../build/registry/token-routes.js')
              ).loadTokenIssuer({
                keyFile: flags.registryTokenKey ?? '',
                issuer: flags.registryIssuer,
                service: tokenService,
              }),
              pullTickets: flags.registryPullCert
                ? await (
                    await import('../build/registry/pull-ticket.js')
                  )
                    .loadPullTicketVerifier({ certFile: flags.registryPullCert, service: tokenService })
                    .catch((error: unknown) => {
                      throw new StartError((error as Error).message)
                    })
                : undefined,
            }
          : undefined
        const kubeConfig = await loadKubeConfig({ file: flags.kubeconfig })
        const log = createLogger({ name: 'hostplane-gitserver' })
        const { startGitServer } = await import('../gitserver/gitserver-service.js')
        const service = await startGitServer({
          kubeConfig,
          log,
          hostKey,
          reposDir: flags.reposDir,
          runDir: flags.runDir,
          ssh: flags.sshListen,
          listen: flags.listen,
          maxPushBytes: flags.maxPushSize,
          timeouts: {
            handshakeMs: flags.handshakeTimeout,
            idleMs: flags.idleTimeout,
            sessionMs: flags.sessionTimeout,
          },
          addressLimits: { perMinute: flags.connectionsPerMinute },
          labelSelector: flags.selector,
          registry,
          jobBuilds: flags.buildSourceUrl ? { sourceUrl: flags.buildSourceUrl } : undefined,
        })
        stopOnSignal(log, () => service.stop())
      }),
    )
}
