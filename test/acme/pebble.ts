/**
 * Let's Encrypt's ACME test server, Pebble, built from its Go module (tools/pebble) and started
 * on free loopback ports with a configuration written from the module's own test configuration.
 * Pebble resolves the domains it validates through pebble-challtestsrv, whose DNS answers
 * 127.0.0.1 for every name, so an HTTP-01 validation of any test domain reaches the server under
 * test on `httpPort`. Outside CI a machine without Go skips the suite with the reason; under
 * CI=true that is a failure (`.ci/run` builds Pebble with `npm run pebble:build`).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:https'
import { join } from 'node:path'
import { ensureGoTools, type GoTools, goToolsUnavailable } from '../cluster/go-tools.js'
import { waitFor } from '../cluster/process.js'
import { canConnect, freePort } from '../serving/nginx-for-tests.js'

export const PEBBLE: GoTools<'pebble' | 'pebble-challtestsrv'> = {
  name: 'pebble',
  pinnedModule: 'github.com/letsencrypt/pebble/v2',
  binaries: {
    pebble: 'github.com/letsencrypt/pebble/v2/cmd/pebble',
    'pebble-challtestsrv': 'github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv',
  },
  moduleFiles: [
    'test/config/pebble-config.json',
    'test/certs/pebble.minica.pem',
    'test/certs/localhost/cert.pem',
    'test/certs/localhost/key.pem',
  ],
  buildTimeoutMinutes: 20,
}

/** Reason the Pebble suite cannot run here, or false when it can (building Pebble if needed). */
export const pebbleUnavailable = (): Promise<string | false> => goToolsUnavailable(PEBBLE, 'ACME', () => {})

interface Child {
  readonly child: ChildProcess
  output(): string
  stop(): Promise<void>
}

function startChild(binary: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-16_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

async function listening(process: Child, port: number, what: string): Promise<void> {
  try {
    await waitFor(
      async () => {
        if (process.child.exitCode !== null)
          throw new Error(`${what} exited with ${process.child.exitCode}:\n${process.output()}`)
        return (await canConnect(port)) ? true : undefined
      },
      {
        timeoutMs: 15_000,
        intervalMs: 50,
        describe: () => `${what} did not listen on ${port}:\n${process.output()}`,
      },
    )
  } catch (error) {
    await process.stop()
    throw error
  }
}

export interface ChallengeDns {
  /** `127.0.0.1:<port>`: a DNS server answering 127.0.0.1 for every A query. */
  readonly address: string
  stop(): Promise<void>
}

export async function startChallengeDns(): Promise<ChallengeDns> {
  const { paths } = await ensureGoTools(PEBBLE)
  const [dnsPort, managementPort] = [await freePort(), await freePort()]
  const server = startChild(paths['pebble-challtestsrv'], [
    '-dnsserver',
    `127.0.0.1:${dnsPort}`,
    '-management',
    `127.0.0.1:${managementPort}`,
    '-defaultIPv4',
    '127.0.0.1',
    '-defaultIPv6',
    '',
    '-http01',
    '',
    '-https01',
    '',
    '-tlsalpn01',
    '',
    '-doh',
    '',
  ])
  await listening(server, managementPort, 'pebble-challtestsrv')
  return { address: `127.0.0.1:${dnsPort}`, stop: () => server.stop() }
}

export interface PebbleOptions {
  /** Port Pebble connects to for HTTP-01 validation: the HTTP listener under test. */
  readonly httpPort: number
  readonly dns: ChallengeDns
  /** Working directory for the generated configuration. */
  readonly dir: string
  /** Lifetime of issued certificates. @default 90 days, as Pebble's test configuration */
  readonly validitySeconds?: number
}

export interface Pebble {
  readonly directoryUrl: string
  /** The CA of Pebble's own HTTPS listeners (the module's test/certs/pebble.minica.pem). */
  readonly caFile: string
  /** The issuing root of this Pebble run (it makes a new one at every start), as PEM. */
  issuingRoot(): Promise<string>
  stop(): Promise<void>
}

export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const { dir, paths } = await ensureGoTools(PEBBLE)
  const caFile = join(dir, 'pebble.minica.pem')
  const [port, managementPort] = [await freePort(), await freePort()]
  const template = JSON.parse(await readFile(join(dir, 'pebble-config.json'), 'utf8')) as {
    pebble: Record<string, unknown> & { profiles: Record<string, { validityPeriod: number }> }
  }
  const config = {
    pebble: {
      ...template.pebble,
      listenAddress: `127.0.0.1:${port}`,
      managementListenAddress: `127.0.0.1:${managementPort}`,
      certificate: join(dir, 'cert.pem'),
      privateKey: join(dir, 'key.pem'),
      httpPort: options.httpPort,
      // TLS-ALPN-01 is not used; a port nothing listens on.
      tlsPort: await freePort(),
      profiles: {
        default: {
          ...template.pebble.profiles.default,
          validityPeriod: options.validitySeconds ?? 90 * 86_400,
        },
      },
    },
  }
  const configFile = join(options.dir, `pebble-${port}.json`)
  await writeFile(configFile, JSON.stringify(config, null, 2))
  const pebble = startChild(paths.pebble, ['-config', configFile, '-dnsserver', options.dns.address], {
    PEBBLE_VA_NOSLEEP: '1',
    PEBBLE_WFE_NONCEREJECT: '0',
  })
  await listening(pebble, port, 'pebble')
  await listening(pebble, managementPort, 'pebble management')
  const ca = await readFile(caFile)
  return {
    directoryUrl: `https://127.0.0.1:${port}/dir`,
    caFile,
    issuingRoot: () => httpsGet(`https://127.0.0.1:${managementPort}/roots/0`, ca),
    stop: () => pebble.stop(),
  }
}

function httpsGet(url: string, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5000 }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () =>
        response.statusCode === 200
          ? resolve(Buffer.concat(chunks).toString('utf8'))
          : reject(new Error(`${url}: ${response.statusCode}`)),
      )
      response.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 5 s`)))
    req.on('error', reject)
    req.end()
  })
}
