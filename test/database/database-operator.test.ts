/**
 * The Database controller on a real API server with real MariaDB and PostgreSQL servers: the
 * operator, as its own ServiceAccount under the operator guard, places each tenant's Database
 * on a server its tier may use, creates the database and user, and writes the connection Secret
 * and NetworkPolicy; tenants connect with the Secret and are refused each other's databases;
 * limits hold; size is measured against the server's limit; deletion keeps or drops the data as
 * the Database says; an idle Database costs no write.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createConnection } from 'mysql2/promise'
import type { DatabaseServerSpec, DatabaseSpec } from '../../src/api/database.js'
import type { Database, DatabaseServer } from '../../src/api/resources.js'
import { findCondition } from '../../src/kube/conditions.js'
import type { KubeObject } from '../../src/kube/object.js'
import { isNotFound, KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { CONDITION, REASON, SERVER_REASON } from '../../src/operator/database/conditions.js'
import { DATABASE_SERVERS, DATABASES, ownedName } from '../../src/operator/database/owned.js'
import type { Operator } from '../../src/operator/operator.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sleep, startTogether } from '../cluster/process.js'
import { apiWrites, OperatorEnv } from '../operator/harness.js'
import {
  createDatabaseServer,
  type DatabaseServerUnderTest,
  databasesUnavailable,
  startMariaDb,
  startPostgres,
} from './servers.js'

const env = await clusterForTests()
const unavailable = await databasesUnavailable()

interface Secret extends KubeObject {
  readonly type: string
  readonly data: Record<string, string>
}

const decoded = (secret: Secret) =>
  Object.fromEntries(
    Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  )

describe(
  'the Database controller on a real API server and real database servers',
  { skip: env.skip || unavailable },
  () => {
    let test: OperatorEnv
    let operator: Operator
    let mariadb: DatabaseServerUnderTest
    let postgres: DatabaseServerUnderTest
    const servers: string[] = []
    let a: string
    let b: string
    let c: string
    let d: string

    const serverName = (name: string) => `${name}-${test.tag}`
    const createServer = async (
      name: string,
      server: DatabaseServerUnderTest,
      spec: Partial<DatabaseServerSpec> = {},
    ) => {
      servers.push(serverName(name))
      await createDatabaseServer(test, serverName(name), server, spec)
    }
    const databasePath = (namespace: string, name?: string) => resourcePath({ ...DATABASES, namespace, name })
    const createDatabase = (
      namespace: string,
      name: string,
      spec: Partial<DatabaseSpec> & { engine: string },
    ) =>
      test.admin.request<Database>('POST', databasePath(namespace), {
        body: { apiVersion: DATABASES.apiVersion, kind: DATABASES.kind, metadata: { name }, spec },
      })
    const getDatabase = (namespace: string, name: string) =>
      test.admin.request<Database>('GET', databasePath(namespace, name)).catch((error: unknown) => {
        if (isNotFound(error)) return undefined
        throw error
      })
    const waitForDatabase = (namespace: string, name: string, type: string, status: string, reason: string) =>
      test.waitUntil(
        `Database ${namespace}/${name}: ${type} ${status}/${reason}`,
        async () => {
          const database = await getDatabase(namespace, name)
          const condition = findCondition(database?.status?.conditions, type)
          return condition?.status === status && condition.reason === reason ? database : undefined
        },
        30_000,
      )
    const secretOf = (namespace: string, name: string) =>
      test.admin.request<Secret>(
        'GET',
        resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace, name: ownedName(name) }),
      )
    const loginOf = (secret: Secret) => {
      const { username, password, database } = decoded(secret)
      return { username: username ?? '', password: password ?? '', database: database ?? '' }
    }

    before(async () => {
      const cluster = await env.get()
      ;[mariadb, postgres] = await startTogether([startMariaDb(), startPostgres()])
      test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'db')
      await test.setUp()
      a = `dba-${test.tag}`
      b = `dbb-${test.tag}`
      // The shared small tier's quota holds two Databases per customer: c and d hold the others.
      c = `dbc-${test.tag}`
      d = `dbd-${test.tag}`
      for (const name of [a, b, c, d]) await test.createCustomer(name)
      await createServer('maria', mariadb, { default: true })
      await createServer('pg', postgres, { default: true })
      operator = await test.startOperator({ databaseRecheckMs: 1500 })
      await test.waitForCustomer(a, 'Ready', 'True', 'Ready')
      for (const name of [b, c, d]) await test.waitForCustomer(name, 'Ready', 'True', 'Ready')
    })

    after(async () => {
      await operator?.stop()
      for (const namespace of [a, b, c, d].map((name) => `sh-${name}`))
        for (const name of ['shop', 'blog', 'keep', 'drop', 'far', 'down'])
          await test?.admin
            .request('PATCH', databasePath(namespace, name), {
              body: { metadata: { finalizers: null } },
              contentType: 'application/merge-patch+json',
            })
            .catch(() => {})
      for (const name of servers)
        await test?.admin.request('DELETE', resourcePath({ ...DATABASE_SERVERS, name })).catch(() => {})
      await test?.tearDown()
      test?.admin.close()
      await Promise.all([mariadb?.stop(), postgres?.stop()])
      await env.release()
    })

    it('creates each tenant’s database on the default server of its engine; each connects with its Secret and is refused the other’s', async () => {
      await createDatabase(`sh-${a}`, 'shop', { engine: 'MariaDB' })
      await createDatabase(`sh-${b}`, 'shop', { engine: 'MariaDB' })
      await createDatabase(`sh-${a}`, 'blog', { engine: 'PostgreSQL' })
      await createDatabase(`sh-${b}`, 'blog', { engine: 'PostgreSQL' })
      for (const namespace of [`sh-${a}`, `sh-${b}`])
        for (const name of ['shop', 'blog']) {
          const database = await waitForDatabase(
            namespace,
            name,
            CONDITION.Ready,
            'True',
            REASON.DatabaseReady,
          )
          assert.equal(database.status?.server, serverName(name === 'shop' ? 'maria' : 'pg'))
          assert.doesNotMatch(JSON.stringify(database.status), /password/i)
        }
      for (const [name, server] of [
        ['shop', mariadb],
        ['blog', postgres],
      ] as const) {
        const mine = await secretOf(`sh-${a}`, name)
        const theirs = await secretOf(`sh-${b}`, name)
        assert.equal(mine.type, 'hostplane.dev/database')
        const details = decoded(mine)
        assert.equal(details.host, server.host)
        assert.equal(details.port, String(server.port))
        assert.match(details.uri ?? '', new RegExp(`^${name === 'shop' ? 'mysql' : 'postgresql'}://`))
        await server.sql('CREATE TABLE notes (id INT PRIMARY KEY)', loginOf(mine))
        await server.sql('INSERT INTO notes VALUES (7)', loginOf(mine))
        assert.equal((await server.sql('SELECT id FROM notes', loginOf(mine))).trim(), '7')
        await assert.rejects(
          server.sql('SELECT 1', { ...loginOf(theirs), database: loginOf(mine).database }),
          /denied|permission/i,
          `${b}'s user is refused ${a}'s ${server.engine} database`,
        )
      }
      const policy = await test.admin.request<KubeObject & { spec: { egress: unknown[] } }>(
        'GET',
        resourcePath({
          apiVersion: 'networking.k8s.io/v1',
          plural: 'networkpolicies',
          namespace: `sh-${a}`,
          name: ownedName('shop'),
        }),
      )
      assert.deepEqual(policy.spec.egress, [
        { to: [{ ipBlock: { cidr: '127.0.0.1/32' } }], ports: [{ protocol: 'TCP', port: mariadb.port }] },
      ])
    })

    it('reports each server as Ready with its version and the Databases on it', async () => {
      for (const name of ['maria', 'pg']) {
        const server = await test.waitUntil(`DatabaseServer ${name} reports 2 Databases`, async () => {
          const found = await test.admin.request<DatabaseServer>(
            'GET',
            resourcePath({ ...DATABASE_SERVERS, name: serverName(name) }),
          )
          return findCondition(found.status?.conditions, CONDITION.Ready)?.status === 'True' &&
            found.status?.databases === 2
            ? found
            : undefined
        })
        assert.match(server.status?.version ?? '', name === 'maria' ? /MariaDB/ : /^\d+\.\d+/)
      }
    })

    it('holds the server’s connection limit per user', async () => {
      const login = loginOf(await secretOf(`sh-${a}`, 'shop'))
      const open = () =>
        createConnection({
          host: mariadb.host,
          port: mariadb.port,
          user: login.username,
          password: login.password,
        })
      const held = [await open(), await open(), await open()]
      try {
        await assert.rejects(open(), /max_user_connections/i)
      } finally {
        await Promise.all(held.map((c) => c.end()))
      }
    })

    it('reports the size against the server’s limit, and over it a WithinQuota False condition', async () => {
      const login = loginOf(await secretOf(`sh-${a}`, 'shop'))
      await mariadb.sql('CREATE TABLE blobs (id INT PRIMARY KEY, body TEXT)', login)
      await mariadb.sql('INSERT INTO blobs SELECT seq, REPEAT(MD5(seq), 64) FROM seq_1_to_3000', login)
      await mariadb.sql('ANALYZE TABLE blobs', login)
      const database = await waitForDatabase(
        `sh-${a}`,
        'shop',
        CONDITION.WithinQuota,
        'False',
        REASON.OverQuota,
      )
      assert.ok((database.status?.sizeBytes ?? 0) > 2 * 2 ** 20)
      assert.equal(database.status?.limitBytes, 2 * 2 ** 20)
      assert.match(
        findCondition(database.status?.conditions, CONDITION.WithinQuota)?.message ?? '',
        /more than its limit of 2\.0 MiB/,
      )
    })

    it('writes nothing while the Databases are idle, though it measures them again and again', async () => {
      await sleep(2000)
      const before = await apiWrites(operator)
      await sleep(5000)
      assert.equal(await apiWrites(operator), before)
    })

    it('locks a suspended customer’s users, keeping the data, and unlocks them when it is resumed', async () => {
      const login = loginOf(await secretOf(`sh-${b}`, 'shop'))
      await mariadb.sql('CREATE TABLE orders (id INT PRIMARY KEY)', login)
      await test.updateCustomer(b, { suspended: true })
      await waitForDatabase(`sh-${b}`, 'shop', CONDITION.Ready, 'False', REASON.CustomerSuspended)
      await waitForDatabase(`sh-${b}`, 'blog', CONDITION.Ready, 'False', REASON.CustomerSuspended)
      await assert.rejects(mariadb.sql('SELECT 1', login), /denied|locked/i)
      await test.updateCustomer(b, { suspended: false })
      await waitForDatabase(`sh-${b}`, 'shop', CONDITION.Ready, 'True', REASON.DatabaseReady)
      assert.equal((await mariadb.sql('SHOW TABLES', login)).trim(), 'orders')
      const blog = loginOf(await secretOf(`sh-${b}`, 'blog'))
      await waitForDatabase(`sh-${b}`, 'blog', CONDITION.Ready, 'True', REASON.DatabaseReady)
      assert.equal((await postgres.sql('SELECT 1', blog)).trim(), '1')
    })

    it('explains a Database it cannot place: a server the tier may not use, a server that is down', async () => {
      await createServer('dedicated', mariadb, { tiers: ['dedicated'] })
      await createDatabase(`sh-${c}`, 'far', { engine: 'MariaDB', server: serverName('dedicated') })
      const far = await waitForDatabase(`sh-${c}`, 'far', CONDITION.Ready, 'False', REASON.ServerNotAllowed)
      assert.match(
        findCondition(far.status?.conditions, CONDITION.Ready)?.message ?? '',
        /not offered to the shared tier/,
      )
      await createServer('down', { ...mariadb, port: 1 } as DatabaseServerUnderTest)
      await createDatabase(`sh-${c}`, 'down', { engine: 'MariaDB', server: serverName('down') })
      const down = await waitForDatabase(
        `sh-${c}`,
        'down',
        CONDITION.Ready,
        'False',
        REASON.ServerUnavailable,
      )
      const message = findCondition(down.status?.conditions, CONDITION.Ready)?.message ?? ''
      assert.match(message, new RegExp(`DatabaseServer ${serverName('down')}`))
      assert.ok(!message.includes(mariadb.admin.password), 'no password in the status')
      const server = await test.waitUntil('the down server says so', async () => {
        const found = await test.admin.request<DatabaseServer>(
          'GET',
          resourcePath({ ...DATABASE_SERVERS, name: serverName('down') }),
        )
        const ready = findCondition(found.status?.conditions, CONDITION.Ready)
        return ready?.reason === SERVER_REASON.ServerUnavailable ? ready : undefined
      })
      assert.equal(server.status, 'False')
      assert.match(server.message, /ECONNREFUSED|connect/i)
    })

    it('refuses names that could reach SQL in the schema, before the operator sees them', async () => {
      for (const name of ['shop_1', "x'; drop", 'a'.repeat(41)])
        await assert.rejects(
          createDatabase(`sh-${a}`, name, { engine: 'MariaDB' }),
          (error: unknown) => error instanceof KubeApiError && (error.status === 422 || error.status === 400),
        )
    })

    it('deleting keeps the data and locks the user (Retain, the default) or drops both (Delete)', async () => {
      await createDatabase(`sh-${d}`, 'keep', { engine: 'MariaDB' })
      await createDatabase(`sh-${d}`, 'drop', { engine: 'PostgreSQL', deletionPolicy: 'Delete' })
      await waitForDatabase(`sh-${d}`, 'keep', CONDITION.Ready, 'True', REASON.DatabaseReady)
      await waitForDatabase(`sh-${d}`, 'drop', CONDITION.Ready, 'True', REASON.DatabaseReady)
      const keep = loginOf(await secretOf(`sh-${d}`, 'keep'))
      const drop = loginOf(await secretOf(`sh-${d}`, 'drop'))
      await mariadb.sql('CREATE TABLE kept (id INT PRIMARY KEY)', keep)
      await test.admin.request('DELETE', databasePath(`sh-${d}`, 'keep'))
      await test.admin.request('DELETE', databasePath(`sh-${d}`, 'drop'))
      for (const name of ['keep', 'drop'])
        await test.waitUntil(
          `Database ${name} gone`,
          async () => ((await getDatabase(`sh-${d}`, name)) ? undefined : true),
          30_000,
        )
      await assert.rejects(mariadb.sql('SELECT 1', keep), /denied|locked/i)
      assert.equal((await mariadb.sql(`SHOW TABLES FROM ${keep.database}`)).trim(), 'kept')
      assert.equal(
        (await postgres.sql(`SELECT count(*) FROM pg_database WHERE datname = '${drop.database}'`)).trim(),
        '0',
      )
      assert.equal(
        (await postgres.sql(`SELECT count(*) FROM pg_roles WHERE rolname = '${drop.username}'`)).trim(),
        '0',
      )
      // A Database of the same name takes the kept data back, with a new password.
      await createDatabase(`sh-${d}`, 'keep', { engine: 'MariaDB' })
      await waitForDatabase(`sh-${d}`, 'keep', CONDITION.Ready, 'True', REASON.DatabaseReady)
      const back = loginOf(await secretOf(`sh-${d}`, 'keep'))
      assert.notEqual(back.password, keep.password)
      assert.equal((await mariadb.sql('SHOW TABLES', back)).trim(), 'kept')
    })
  },
)
