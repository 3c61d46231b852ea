/**
 * Real database servers for the database tests (issue 17): Debian's MariaDB and PostgreSQL, each
 * started from an empty data directory of its own on a free loopback port, with an admin account
 * that logs in over TCP with a password, as a DatabaseServer's admin Secret will. PostgreSQL
 * refuses to run as root, so it runs as Debian's `postgres` user. Missing binaries fail the suite
 * under CI and skip it elsewhere with the reason (.ci/run installs the packages).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { DatabaseServerSpec } from '../../src/api/database.js'
import { isConflict, resourcePath } from '../../src/kube/rest.js'
import { DATABASE_SERVERS } from '../../src/operator/database/owned.js'
import { binaryUnavailable } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'
import type { OperatorEnv } from '../operator/harness.js'
import { freePort } from '../serving/nginx-for-tests.js'

const run = promisify(execFile)

export const MARIADB = {
  server: '/usr/sbin/mariadbd',
  install: '/usr/bin/mariadb-install-db',
  client: '/usr/bin/mariadb',
}

/** The newest PostgreSQL Debian installed (bookworm: 15). */
async function postgresBin(): Promise<string> {
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[])
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0] ?? 'none'
  return `/usr/lib/postgresql/${newest}/bin`
}

/** Reason the database suites cannot run here, or false when they can; thrown under CI. */
export async function databasesUnavailable(): Promise<string | false> {
  return (
    (await binaryUnavailable('database', MARIADB.server, 'mariadb-server')) ||
    (await binaryUnavailable('database', MARIADB.client, 'mariadb-client')) ||
    (await binaryUnavailable('database', join(await postgresBin(), 'postgres'), 'postgresql'))
  )
}

export interface DatabaseServerUnderTest {
  readonly engine: 'MariaDB' | 'PostgreSQL'
  readonly host: '127.0.0.1'
  readonly port: number
  /** An admin that may create databases and users, as a DatabaseServer's Secret names it. */
  readonly admin: { readonly username: string; readonly password: string }
  /** Runs SQL as `user` (the admin by default) over TCP; rejects with the server's message. */
  sql(
    statement: string,
    as?: { readonly username: string; readonly password: string; readonly database?: string },
  ): Promise<string>
  stop(): Promise<void>
}

const stopChild = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))])
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}

const logOf = (dir: string, file: string) => {
  try {
    return readFileSync(join(dir, file), 'utf8').slice(-8000)
  } catch {
    return ''
  }
}

export async function startMariaDb(): Promise<DatabaseServerUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'hostplane-mariadb-'))
  const data = join(dir, 'data')
  const socket = join(dir, 'mariadb.sock')
  // Its own temporary directory: in the shared /tmp, two servers bootstrapping at once (test files
  // run in parallel) fail on each other's temporary tables ("Could not remove temporary table").
  const temporary = join(dir, 'tmp')
  await mkdir(temporary)
  const port = await freePort()
  await run(
    MARIADB.install,
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--tmpdir=${temporary}`,
      '--user=root',
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
    ],
    { timeout: 120_000 },
  )
  const child = spawn(
    MARIADB.server,
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--tmpdir=${temporary}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--user=root',
      `--pid-file=${join(dir, 'mariadb.pid')}`,
      `--log-error=${join(dir, 'error.log')}`,
      '--innodb-buffer-pool-size=16M',
      '--skip-log-bin',
      '--max-connections=200',
    ],
    { stdio: 'ignore' },
  )
  const admin = { username: 'hostplane_admin', password: randomBytes(18).toString('base64url') }
  const viaSocket = (statement: string) =>
    run(MARIADB.client, ['--no-defaults', `--socket=${socket}`, '-u', 'root', '-e', statement], {
      timeout: 30_000,
    })
  await waitFor(
    async () =>
      await viaSocket('SELECT 1').then(
        () => true,
        () => undefined,
      ),
    {
      timeoutMs: 60_000,
      intervalMs: 250,
      describe: () => `MariaDB did not start:\n${logOf(dir, 'error.log')}`,
    },
  )
  await viaSocket(
    `CREATE USER '${admin.username}'@'%' IDENTIFIED BY '${admin.password}'; GRANT ALL PRIVILEGES ON *.* TO '${admin.username}'@'%' WITH GRANT OPTION;`,
  )
  return {
    engine: 'MariaDB',
    host: '127.0.0.1',
    port,
    admin,
    async sql(statement, as = admin) {
      const { stdout } = await run(
        MARIADB.client,
        [
          '--no-defaults',
          '--protocol=TCP',
          '-h',
          '127.0.0.1',
          '-P',
          String(port),
          '-u',
          as.username,
          '--batch',
          '--skip-column-names',
          ...('database' in as && as.database ? [as.database] : []),
          '-e',
          statement,
        ],
        // The password in the environment, not in the process list.
        { timeout: 30_000, env: { ...process.env, MYSQL_PWD: as.password } },
      )
      return stdout
    },
    async stop() {
      await stopChild(child)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export async function startPostgres(): Promise<DatabaseServerUnderTest> {
  const bin = await postgresBin()
  const dir = await mkdtemp(join(tmpdir(), 'hostplane-postgres-'))
  const data = join(dir, 'data')
  const port = await freePort()
  const admin = { username: 'hostplane_admin', password: randomBytes(18).toString('base64url') }
  const { uid, gid } = await postgresUser()
  await mkdir(data, { mode: 0o700 })
  await writeFile(join(dir, 'password'), `${admin.password}\n`, { mode: 0o600 })
  for (const path of [dir, data, join(dir, 'password')]) await chown(path, uid, gid)
  await chmod(dir, 0o700)
  const asPostgres = (command: string, args: readonly string[]) => ['-u', 'postgres', '--', command, ...args]
  await run(
    'runuser',
    asPostgres(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      admin.username,
      `--pwfile=${join(dir, 'password')}`,
      '--auth-local=scram-sha-256',
      '--auth-host=scram-sha-256',
      '--no-sync',
    ]),
    { timeout: 120_000 },
  )
  const child = spawn(
    'runuser',
    asPostgres(join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      '-c',
      'fsync=off',
    ]),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let log = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log = (log + chunk).slice(-8000)))
  const server: DatabaseServerUnderTest = {
    engine: 'PostgreSQL',
    host: '127.0.0.1',
    port,
    admin,
    async sql(statement, as = admin) {
      const { stdout } = await run(
        join(bin, 'psql'),
        [
          '-X',
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          as.username,
          '-d',
          ('database' in as && as.database) || 'postgres',
          '-v',
          'ON_ERROR_STOP=1',
          '-At',
          '-c',
          statement,
        ],
        { timeout: 30_000, env: { ...process.env, PGPASSWORD: as.password, PGCONNECT_TIMEOUT: '10' } },
      )
      return stdout
    },
    async stop() {
      await stopChild(child)
      await rm(dir, { recursive: true, force: true })
    },
  }
  await waitFor(
    async () =>
      await server.sql('SELECT 1').then(
        () => true,
        () => undefined,
      ),
    {
      timeoutMs: 60_000,
      intervalMs: 250,
      describe: () => `PostgreSQL did not start:\n${log}`,
    },
  )
  return server
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['-u', 'postgres'])
  const { stdout: group } = await run('id', ['-g', 'postgres'])
  return { uid: Number(stdout.trim()), gid: Number(group.trim()) }
}

/**
 * A DatabaseServer `name` for `server`, labelled for the run's operator (others on the shared
 * cluster leave it alone), with its admin Secret in the run's system namespace. Loopback needs no
 * TLS; the limits are small unless `spec` says otherwise.
 */
export async function createDatabaseServer(
  test: OperatorEnv,
  name: string,
  server: DatabaseServerUnderTest,
  spec: Partial<DatabaseServerSpec> = {},
): Promise<void> {
  const secret = `db-admin-${name}`
  await test.admin
    .request('POST', resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace: test.systemNamespace }), {
      body: { metadata: { name: secret }, stringData: server.admin },
    })
    .catch((error: unknown) => {
      if (!isConflict(error)) throw error
    })
  await test.admin.request('POST', resourcePath(DATABASE_SERVERS), {
    body: {
      apiVersion: DATABASE_SERVERS.apiVersion,
      kind: DATABASE_SERVERS.kind,
      metadata: { name, labels: Object.fromEntries([test.selector.split('=')]) },
      spec: {
        engine: server.engine,
        host: server.host,
        port: server.port,
        adminSecretRef: { namespace: test.systemNamespace, name: secret },
        tls: { mode: 'disable' },
        tiers: ['shared'],
        network: { cidrs: ['127.0.0.1/32'] },
        limits: { maxDatabaseSize: '2Mi', maxConnectionsPerUser: 3 },
        ...spec,
      },
    },
  })
}
