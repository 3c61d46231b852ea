/**
 * `hostplane panel-token create|list|revoke --customer <name>`: API tokens of the panel, for a
 * provider admin with a kubeconfig that may write the token namespace's Secrets — how a customer
 * gets its first token before anyone signs in to the panel (docs/panel.md). The token is printed
 * once, on stdout.
 */
import type { Command } from 'commander'
import type { TokenStore } from '../panel/tokens/token-store.js'
import { defineCommand, StartError, startOrExit } from './command.js'
import { checkPaths, dnsLabel, flag, path } from './flags.js'

interface TokenFlags {
  customer: string
  kubeconfig?: string
  tokenNamespace: string
  description?: string
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

async function withTokens<T>(flags: TokenFlags, use: (tokens: TokenStore) => Promise<T>): Promise<T> {
  const [{ loadKubeConfig }, { KubeRest, isNotFound, resourcePath }, { TokenStore }, { API_VERSION }] =
    await Promise.all([
      import('../kube/kubeconfig.js'),
      import('../kube/rest.js'),
      import('../panel/tokens/token-store.js'),
      import('../api/kind.js'),
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
    return await use(new TokenStore(rest, flags.tokenNamespace))
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
        const { token } = await withTokens(flags, (tokens) =>
          tokens.create(flags.customer, flags.description ?? ''),
        )
        process.stdout.write(`${token}\n`)
      }),
    )
  tokenFlags(defineCommand(command, 'list', 'panel-token'))
    .description("list the customer's tokens (never the tokens themselves)")
    .action((flags: TokenFlags, sub: Command) =>
      startOrExit('panel-token list', async () => {
        await checkPaths(sub)
        const records = await withTokens(flags, (tokens) => tokens.list(flags.customer))
        for (const r of records) process.stdout.write(`${r.id}\t${r.createdAt}\t${r.description}\n`)
      }),
    )
  tokenFlags(defineCommand(command, 'revoke', 'panel-token'))
    .description('revoke a token by its id')
    .argument('<id>', 'the token id (the 16 hex digits after hpt_)')
    .action((id: string, flags: TokenFlags, sub: Command) =>
      startOrExit('panel-token revoke', async () => {
        await checkPaths(sub)
        await withTokens(flags, (tokens) => tokens.revoke(flags.customer, id))
      }),
    )
}
