/**
 * `hostplane panel`: flags → the panel service (src/panel), running until SIGTERM or SIGINT.
 * Every flag can also be set by its HOSTPLANE_* variable.
 */
import type { Command } from 'commander'
import { loadKubeConfig } from '../kube/kubeconfig.js'
import { createLogger } from '../ops/log.js'
import { defineCommand, startOrExit } from './command.js'
import {
  checkPaths,
  flag,
  type ListenAddress,
  list,
  listenAddress,
  opsListenFlag,
  path,
  positive,
} from './flags.js'
import { type SignInFlags, signInFlags, signInOptions } from './panel-sign-in-flags.js'
import { stopOnSignal } from './shutdown.js'

interface PanelFlags extends Partial<SignInFlags> {
  kubeconfig?: string
  listen: ListenAddress
  opsListen: ListenAddress
  tokenNamespace: string
  auditNamespace: string
  auditSegments: number
  failedSignInsPerMinute: number
  trustedProxies?: string[]
}

export function registerPanelCommand(program: Command): void {
  const command = defineCommand(program, 'panel')
    .description(
      "serve the customers' REST API and, with OpenID Connect sign-in, their web UI, acting as each customer through impersonation (docs/panel.md)",
    )
    .addOption(
      flag(
        '--kubeconfig <file>',
        "kubeconfig of the panel's ServiceAccount, which may only impersonate (default: $KUBECONFIG, ~/.kube/config, then in-cluster)",
        { env: true, parse: path, exists: 'file' },
      ),
    )
    .addOption(
      flag('--listen <host:port>', 'address of the API', {
        env: true,
        parse: listenAddress,
        default: '0.0.0.0:8080',
      }),
    )
    .addOption(opsListenFlag())
    .addOption(
      flag('--token-namespace <name>', 'namespace of the API token records (deploy/rbac/panel.yaml)', {
        env: true,
        default: 'hostplane-panel-tokens',
      }),
    )
    .addOption(
      flag('--audit-namespace <name>', 'namespace of the audit log segments (deploy/rbac/panel.yaml)', {
        env: true,
        default: 'hostplane-panel-audit',
      }),
    )
    .addOption(
      flag('--audit-segments <n>', 'audit log segments kept (256 KiB each); the oldest beyond are dropped', {
        env: true,
        parse: positive,
        default: '64',
      }),
    )
    .addOption(
      flag('--failed-sign-ins-per-minute <n>', 'failed token attempts one address may make per minute', {
        env: true,
        parse: positive,
        default: '10',
      }),
    )
    .addOption(
      flag(
        '--trusted-proxies <addresses>',
        'comma-separated addresses or CIDRs of proxies (the ingress) whose X-Forwarded-For names the client',
        { env: true, parse: list },
      ),
    )
  for (const option of signInFlags()) command.addOption(option)
  command.action((flags: PanelFlags) =>
    startOrExit('panel', async () => {
      await checkPaths(command)
      const kubeConfig = await loadKubeConfig({ file: flags.kubeconfig })
      // With an issuer, sign-in is on and every setting it needs must be there (a StartError says which is missing).
      const signIn = flags.oidcIssuer ? await signInOptions(flags as SignInFlags) : undefined
      const log = createLogger({ name: 'hostplane-panel' })
      const { startPanel } = await import('../panel/panel-service.js')
      const panel = await startPanel({
        kubeConfig,
        log,
        listen: flags.listen,
        opsListen: flags.opsListen,
        tokenNamespace: flags.tokenNamespace,
        audit: { namespace: flags.auditNamespace, maxSegments: flags.auditSegments },
        failedSignIns: { perMinute: flags.failedSignInsPerMinute },
        trustProxy: flags.trustedProxies,
        signIn,
      })
      stopOnSignal(log, () => panel.stop())
    }),
  )
}
