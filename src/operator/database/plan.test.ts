import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { DatabaseServerSpec } from '../../api/database.js'
import { API_VERSION } from '../../api/kind.js'
import type { Database, DatabaseServer } from '../../api/resources.js'
import { customer as customerFixture } from '../customer/fixtures.js'
import { REASON } from './conditions.js'
import {
  connectionLimit,
  placeDatabase,
  readyConditions,
  renderDatabaseNetworkPolicy,
  renderDatabaseSecret,
} from './plan.js'

const customer = (tier: 'shared' | 'dedicated' = 'shared') => customerFixture({ tier })

const server = (name: string, spec: Partial<DatabaseServerSpec> = {}): DatabaseServer => ({
  apiVersion: API_VERSION,
  kind: 'DatabaseServer',
  metadata: { name, generation: 1 },
  spec: {
    engine: 'MariaDB',
    host: 'db.example',
    adminSecretRef: { namespace: 'hostplane-system', name: 'admin' },
    tiers: ['shared'],
    limits: { maxDatabaseSize: '1Gi', maxConnectionsPerUser: 10 },
    ...spec,
  },
})

const database = (spec: Partial<Database['spec']> = {}, status?: Database['status']): Database => ({
  apiVersion: API_VERSION,
  kind: 'Database',
  metadata: { name: 'shop', namespace: 'sh-acme', uid: 'd-uid', generation: 1 },
  spec: { engine: 'MariaDB', deletionPolicy: 'Retain', ...spec },
  ...(status ? { status } : {}),
})

const none = () => 0
const reasonOf = (placement: ReturnType<typeof placeDatabase>) =>
  'reason' in placement ? placement.reason : 'placed'
const serverOf = (placement: ReturnType<typeof placeDatabase>) =>
  'server' in placement ? placement.server.metadata.name : placement.reason

describe('placing a Database', () => {
  const servers = [
    server('maria-b', { default: true }),
    server('maria-a', { default: true }),
    server('maria-big', { tiers: ['dedicated'] }),
    server('pg', { engine: 'PostgreSQL', default: true }),
  ]

  it('goes to the first default server of its engine for the tier, by name', () => {
    assert.equal(serverOf(placeDatabase(database(), servers, customer(), none)), 'maria-a')
    assert.equal(serverOf(placeDatabase(database({ engine: 'PostgreSQL' }), servers, customer(), none)), 'pg')
  })

  it('goes to the server it names when its tier may use it, and says why not otherwise', () => {
    assert.equal(
      serverOf(placeDatabase(database({ server: 'maria-big' }), servers, customer('dedicated'), none)),
      'maria-big',
    )
    assert.equal(
      reasonOf(placeDatabase(database({ server: 'maria-big' }), servers, customer(), none)),
      REASON.ServerNotAllowed,
    )
    assert.equal(
      reasonOf(placeDatabase(database({ server: 'gone' }), servers, customer(), none)),
      REASON.ServerNotFound,
    )
    assert.equal(
      reasonOf(
        placeDatabase(database({ engine: 'PostgreSQL', server: 'maria-a' }), servers, customer(), none),
      ),
      REASON.ServerNotFound,
    )
  })

  it('stays on the server it is on, even when the defaults change or the server fills up', () => {
    const placed = database({}, { server: 'maria-b' })
    const full = [
      server('maria-b', { limits: { maxDatabaseSize: '1Gi', maxConnectionsPerUser: 10, maxDatabases: 1 } }),
    ]
    assert.equal(serverOf(placeDatabase(placed, full, customer(), () => 5)), 'maria-b')
  })

  it('waits when no server serves its tier, when the server is full, or when the namespace has no Customer', () => {
    assert.equal(
      reasonOf(placeDatabase(database(), [servers[2] as DatabaseServer], customer(), none)),
      REASON.NoServer,
    )
    const full = [
      server('m', {
        default: true,
        limits: { maxDatabaseSize: '1Gi', maxConnectionsPerUser: 10, maxDatabases: 2 },
      }),
    ]
    assert.equal(reasonOf(placeDatabase(database(), full, customer(), () => 2)), REASON.ServerFull)
    assert.equal(reasonOf(placeDatabase(database(), full, customer(), () => 1)), 'placed')
    assert.equal(reasonOf(placeDatabase(database(), servers, undefined, none)), REASON.NoCustomer)
  })

  it('gets at most the server’s connection limit', () => {
    assert.equal(connectionLimit(database(), server('m')), 10)
    assert.equal(connectionLimit(database({ connectionLimit: 3 }), server('m')), 3)
    assert.equal(connectionLimit(database({ connectionLimit: 500 }), server('m')), 10)
  })
})

describe('what a Database owns', () => {
  it('a Secret of its own type with the connection details and a URI, owned by the Database', () => {
    const secret = renderDatabaseSecret(database(), server('m', { port: 3307 }), {
      identifier: 'habcdefghij_shop',
      password: 'P'.repeat(32),
    }) as unknown as {
      type: string
      data: Record<string, string>
      metadata: { name: string; ownerReferences: { uid: string }[] }
    }
    const data = Object.fromEntries(
      Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    )
    assert.equal(secret.type, 'hostplane.dev/database')
    assert.equal(secret.metadata.name, 'shop-database')
    assert.equal(secret.metadata.ownerReferences[0]?.uid, 'd-uid')
    assert.deepEqual(data, {
      engine: 'MariaDB',
      host: 'db.example',
      port: '3307',
      database: 'habcdefghij_shop',
      username: 'habcdefghij_shop',
      password: 'P'.repeat(32),
      uri: `mysql://habcdefghij_shop:${'P'.repeat(32)}@db.example:3307/habcdefghij_shop`,
    })
  })

  it('a NetworkPolicy to the server’s port, only when the server says where it is', () => {
    assert.equal(renderDatabaseNetworkPolicy(database(), server('m')), undefined)
    const policy = renderDatabaseNetworkPolicy(
      database(),
      server('pg', {
        engine: 'PostgreSQL',
        network: { namespace: 'databases', podLabels: { app: 'pg' }, cidrs: ['10.0.0.0/8'] },
      }),
    ) as unknown as { spec: unknown }
    assert.deepEqual(policy.spec, {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            { ipBlock: { cidr: '10.0.0.0/8' } },
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'databases' } },
              podSelector: { matchLabels: { app: 'pg' } },
            },
          ],
          ports: [{ protocol: 'TCP', port: 5432 }],
        },
      ],
    })
  })
})

describe('the size against the limit', () => {
  it('is WithinQuota up to the limit and OverQuota beyond, with what to do', () => {
    const [, within] = readyConditions(database(), 2 ** 20, 2 ** 21)
    assert.equal(within?.reason, REASON.WithinQuota)
    assert.equal(within?.message, '1.0 MiB of 2.0 MiB')
    const [ready, over] = readyConditions(database(), 3 * 2 ** 20, 2 ** 21)
    assert.equal(ready?.status, 'True')
    assert.equal(over?.status, 'False')
    assert.match(over?.message ?? '', /3\.0 MiB, more than its limit of 2\.0 MiB: delete data/)
  })
})
