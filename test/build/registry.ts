/**
 * A real docker-registry (Debian's distribution 2.8) for the build tests, configured the way the
 * install configures the tenants' registry: filesystem storage in a temporary directory, and
 * `auth.token` trusting only hostplane's token issuer — its realm is the fastify plugin
 * registryTokenRoutes served here as the gitserver serves it, its rootcertbundle a self-signed certificate of the
 * issuer's EC P-256 key (made with openssl, as cert-manager would in a cluster). No tool: CI fails,
 * elsewhere the suite is skipped.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { stringify } from 'yaml'
import Fastify from 'fastify'
import type { PullTicketVerifier } from '../../src/build/registry/pull-ticket.js'
import { registryTokenRoutes } from '../../src/build/registry/token-routes.js'
import { RegistryTokenIssuer } from '../../src/build/registry/token-service.js'
import { isCI } from '../cluster/paths.js'
import { missingTools } from '../image/image-under-test.js'
import { waitFor } from '../cluster/process.js'
import { type CliProcess, startProcess } from '../e2e/cli-process.js'
import { freePort } from '../serving/nginx-for-tests.js'

const run = promisify(execFile)

export const TOOLS = ['docker-registry', 'openssl', 'skopeo', 'umoci', 'git'] as const

/** Why these tests cannot run here (false when they can); in CI a missing tool throws. */
export async function registrySkipReason(): Promise<string | false> {
  const missing = await missingTools(TOOLS)
  if (missing.length === 0) return false
  const reason = `${missing.join(', ')} not installed (apt-get install ${missing.join(' ')})`
  if (isCI()) throw new Error(`build tests cannot run: ${reason}`)
  return `build tests not run: ${reason}`
}

export interface TestRegistry {
  /** 127.0.0.1:<port> */
  readonly address: string
  readonly issuer: RegistryTokenIssuer
  /** The issuer's key (PEM), for a second issuer with another clock. */
  readonly privateKey: string
  readonly dir: string
  stop(): Promise<void>
}

export const SERVICE = 'hostplane-registry'
export const ISSUER = 'hostplane'

/**
 * A token signing key and its self-signed certificate, as cert-manager's self-signed ECDSA P-256
 * Certificate makes them: `key` for the issuer, `cert` for the registry's rootcertbundle.
 */
export async function tokenKeyPair(key: string, cert: string): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    '/CN=hostplane registry tokens',
    '-days',
    '1',
  ])
}

/** `pullTickets`: the realm accepts the nodes' pull tickets this verifier checks, as the gitserver's does. */
export async function startRegistry(
  options: { readonly pullTickets?: PullTicketVerifier } = {},
): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'hostplane-build-registry-'))
  const key = join(dir, 'token.key')
  const cert = join(dir, 'token.crt')
  await tokenKeyPair(key, cert)
  const privateKey = await readFile(key, 'utf8')
  const issuer = new RegistryTokenIssuer({ issuer: ISSUER, service: SERVICE, privateKey })
  const realm = Fastify()
  await realm.register(registryTokenRoutes, { issuer, pullTickets: options.pullTickets, path: '/token' })
  const realmUrl = `${await realm.listen({ host: '127.0.0.1', port: 0 })}/token`

  const { address, registry } = await serveDockerRegistry(dir, {
    token: { realm: realmUrl, service: SERVICE, issuer: ISSUER, rootcertbundle: cert },
  })
  return {
    address,
    issuer,
    privateKey,
    dir,
    async stop() {
      await registry.stop()
      await realm.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Starts `docker-registry serve` on a free port with its storage, config and log in `dir` (and
 * `auth` as its auth section, when given), and waits until `/v2/` answers (401 behind auth).
 */
export async function serveDockerRegistry(
  dir: string,
  auth?: Record<string, unknown>,
): Promise<{ address: string; registry: CliProcess }> {
  const address = `127.0.0.1:${await freePort()}`
  const config = join(dir, 'config.yml')
  await writeFile(
    config,
    stringify({
      version: 0.1,
      log: { level: 'warn' },
      storage: { filesystem: { rootdirectory: join(dir, 'storage') } },
      http: { addr: address },
      ...(auth ? { auth } : {}),
    }),
  )
  const registry = startProcess(['docker-registry', 'serve', config], join(dir, 'registry.log'), {
    PATH: process.env.PATH,
  })
  await waitFor(
    () =>
      fetch(`http://${address}/v2/`).then(
        (r) => (r.status === (auth ? 401 : 200) ? true : undefined),
        () => undefined,
      ),
    { timeoutMs: 30_000, describe: () => `docker-registry did not answer on ${address}` },
  ).catch(async (error: Error) => {
    await registry.stop()
    throw new Error(`${error.message}\n${await registry.log()}`)
  })
  return { address, registry }
}
