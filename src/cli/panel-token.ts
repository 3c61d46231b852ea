/**
 * `hostplane panel-token create|list|revoke --customer <name>`: API tokens of the panel, for a
 * provider admin with a kubeconfig that may write the token namespace's Secrets — how a customer
 * gets its first token before anyone signs in to the panel (docs/panel.md). The token is printed
 * once, on stdout. Creating and revoking are recorded in the panel's audit log as the kubeconfig's
 * user, as the panel records its own changes: a token an auditor cannot find must not exist.
 */
import type { Command } from 'commander'
import type { TokenRecord } from '../panel/tokens/token-store.js'
import { defineCommand, StartError, startOrExit } from './command.js'
import { checkPaths, dnsLabel, flag, path } from './flags.js'

interface TokenFlags {
  customer: string
  kubeconfig?: string
  tokenNamespace: string
  auditNamespace: string
  description?: string
}

/** The customer's tokens; changes are recorded in the audit log as the kubeconfig's user. */
interface CustomerTokens {
  list(): Promise<TokenRecord[]>
  create(description: string): Promise<{ token: string }>
  revoke(id: string): Promise<void>
}

const tokenFlags = (command: Command): Command =>
  command
    .addOption(
      flag('--customer <name>', 'the Customer the token acts as', { parse: dnsLabel }).makeOptionMandatory(),
    )
    .addOption(
      flag('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config)', {
        parse: path,
        exists: 'file',
      }),
    )
    .addOption(
      flag('--token-namespace <name>', 'namespace of the token records', {
        parse: dnsLabel,
        default: 'hostplane-panel-tokens',
      }),
    )
    .addOption(
      flag('--audit-namespace <name>', "namespace of the panel's audit log", {
        parse: dnsLabel,
        default: 'hostplane-panel-audit',
      }),
    )

async function withTokens<T>(flags: TokenFlags, use: (tokens: CustomerTokens) => Promise<T>): Promise<T> {
  const [
    { loadKubeConfig },
    { KubeRest, isNotFound, resourcePath },
    { TokenStore },
    { API_VERSION },
    { AuditLog },
    { kubernetesIdentity },
    { createLogger },
    { createToken, revokeToken },
    { PanelError },
    { selfSubjectReview },
  ] = await Promise.all([
    import('../kube/kubeconfig.js'),
    import('../kube/rest.js'),
    import('../panel/tokens/token-store.js'),
    import('../api/kind.js'),
    import('../panel/audit/audit-log.js'),
    import('../panel/identity.js'),
    import('../ops/log.js'),
    import('../panel/tokens/token-changes.js'),
    import('../panel/errors.js'),
    import('../kube/self-subject-review.js'),
  ])
  const rest = new KubeRest(await loadKubeConfig({ file: flags.kubeconfig }), {
    userAgent: 'hostplane-panel-token',
  })
  try {
    await rest
      .request('GET', resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: flags.customer }))
      .catch((error: unknown) => {
        throw isNotFound(error) ? new StartError(`there is no Customer ${flags.customer}`) : error
      })
    const { username } = await selfSubjectReview(rest)
    if (!username) throw new StartError('the API server did not say who the kubeconfig’s user is')
    // Failed writes are said on stderr: stdout holds the token alone.
    const log = createLogger({ name: 'hostplane-panel-token', destination: process.stderr })
    const tokens = new TokenStore(rest, flags.tokenNamespace)
    const audit = new AuditLog(rest, { namespace: flags.auditNamespace, log })
    const caller = kubernetesIdentity(username, flags.customer)
    // A change the audit log could not record was not made: say so, and what to check.
    const unrecorded = (error: unknown): never => {
      if (!(error instanceof PanelError && error.code === 'HP_ERR_PANEL_AUDIT_UNAVAILABLE')) throw error
      const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
      throw new StartError(
        `nothing was changed: the panel's audit log in namespace ${flags.auditNamespace} cannot be written as ${username} (it needs to list, create, update and delete ConfigMaps there; --audit-namespace names another)${cause}`,
      )
    }
    return await use({
      list: () => tokens.list(flags.customer),
      create: (description) =>
        createToken(audit, caller, tokens, flags.customer, description).catch(unrecorded),
      revoke: (id) => revokeToken(audit, caller, tokens, flags.customer, id).catch(unrecorded),
    })
  } finally {
    rest.close()
  }
}

export function registerPanelTokenCommand(program: Command): void {
  const command = defineCommand(program, 'panel-token').description(
    "create, list and revoke a customer's API tokens of hostplane panel",
  )
  tokenFlags(defineCommand(command, 'create', 'panel-token'))
    .description('create a token and print it (this once)')
    .addOption(flag('--description <text>', 'what the token is for', { default: 'created by an admin' }))
    .action((flags: TokenFlags, sub: Command) =>
      startOrExit('panel-token create', async () => {
        await checkPaths(sub)
        const { token } = await withTokens(flags, (tokens) => tokens.create(flags.description ?? ''))
        process.stdout.write(`${token}\n`)
      }),
    )
  tokenFlags(defineCommand(command, 'list', 'panel-token'))
    .description("list the customer's tokens (never the tokens themselves)")
    .action((flags: TokenFlags, sub: Command) =>
      startOrExit('panel-token list', async () => {
        await checkPaths(sub)
        const records = await withTokens(flags, (tokens) => tokens.list())
        for (const r of records) process.stdout.write(`${r.id}\t${r.createdAt}\t${r.description}\n`)
      }),
    )
  tokenFlags(defineCommand(command, 'revoke', 'panel-token'))
    .description('revoke a token by its id')
    .argument('<id>', 'the token id (the 16 hex digits after hpt_)')
    .action((id: string, flags: TokenFlags, sub: Command) =>
      startOrExit('panel-token revoke', async () => {
        await checkPaths(sub)
        await withTokens(flags, (tokens) => tokens.revoke(id))
      }),
    )
}
