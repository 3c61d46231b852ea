import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Customer } from '../../api/resources.js'
import { PullTicketSigner } from '../../build/registry/pull-ticket.js'
import { Applier } from '../../kube/apply.js'
import { WriteRecorder } from '../../kube/write-recorder.js'
import { customer } from '../customer/fixtures.js'
import {
  PULL_TICKET_EXPIRES_ANNOTATION,
  type PullSecretObject,
  REGISTRY_PULL_SECRET,
  renderPullSecret,
} from './pull-secret.js'
import { PullSecretReconciler } from './reconcile.js'

const REGISTRY = 'registry.example:5000'
const SECRET = `/api/v1/namespaces/sh-acme/secrets/${REGISTRY_PULL_SECRET}`
const DAY = 86_400_000
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })

/** acme with its namespace, on a recording API, at a clock the test moves. */
function world(options: { namespace?: string } = {}) {
  const { namespace = 'sh-acme' } = options
  const acme: Customer = { ...customer(), ...(namespace ? { status: { namespace } } : {}) }
  const api = new WriteRecorder()
  let now = Date.parse('2026-03-01T12:00:00Z')
  const signer = new PullTicketSigner({ service: REGISTRY, privateKey, clock: () => now })
  const reconciler = new PullSecretReconciler({
    customer: (name) => (name === 'acme' ? acme : undefined),
    read: async () => structuredClone(api.get<PullSecretObject>(stored())),
    applier: new Applier(api, () => {}),
    registry: REGISTRY,
    signer,
    recheckMs: 60_000,
    clock: () => now,
  })
  const stored = () => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: REGISTRY_PULL_SECRET, namespace: 'sh-acme' },
  })
  const secret = () => api.get<PullSecretObject>(stored())
  const auths = () =>
    (
      JSON.parse(Buffer.from(secret()?.data?.['.dockerconfigjson'] ?? '', 'base64').toString()) as {
        auths: Record<string, { username: string; password: string; auth: string }>
      }
    ).auths
  return {
    api,
    signer,
    acme,
    secret,
    auths,
    reconcile: () => reconciler.reconcile('acme'),
    advance: (ms: number) => void (now += ms),
  }
}

describe('the registry pull Secret of a customer namespace', () => {
  it('is created with the customer’s ticket for the registry, then left alone', async () => {
    const w = world()
    assert.deepEqual(await w.reconcile(), { step: 'created', requeueAfterMs: 60_000 })
    assert.deepEqual(w.api.writes(), [`APPLY ${SECRET}`])
    const secret = w.secret()
    assert.equal(secret?.type, 'kubernetes.io/dockerconfigjson')
    const entry = w.auths()[REGISTRY]
    assert.deepEqual(Object.keys(w.auths()), [REGISTRY])
    assert.equal(entry?.username, 'pull.acme')
    assert.equal(entry?.auth, Buffer.from(`pull.acme:${entry?.password}`).toString('base64'))
    assert.deepEqual(w.signer.authenticate('pull.acme', entry?.password ?? ''), [
      { repository: 'hostplane/acme', actions: ['pull'] },
    ])
    assert.equal(secret?.metadata.annotations?.[PULL_TICKET_EXPIRES_ANNOTATION], '2026-03-31T12:00:00.000Z')
    assert.deepEqual(secret?.metadata.ownerReferences?.[0]?.name, 'acme')

    w.advance(DAY)
    assert.deepEqual(await w.reconcile(), { step: 'none', requeueAfterMs: 60_000 })
    assert.deepEqual(w.api.writes(), [], 'no write while the ticket holds')
  })

  it('is renewed once less than half of the ticket’s life is left, and comes back when due', async () => {
    const w = world()
    await w.reconcile()
    w.api.writes()
    const first = w.auths()[REGISTRY]?.password
    w.advance(15 * DAY - 30_000)
    assert.deepEqual(await w.reconcile(), { step: 'none', requeueAfterMs: 30_000 })
    w.advance(30_000)
    assert.equal(((await w.reconcile()) as { step: string }).step, 'renewed')
    assert.deepEqual(w.api.writes(), [`APPLY ${SECRET}`])
    assert.notEqual(w.auths()[REGISTRY]?.password, first)
    assert.equal(
      w.secret()?.metadata.annotations?.[PULL_TICKET_EXPIRES_ANNOTATION],
      new Date(Date.parse('2026-03-31T12:00:00Z') + 15 * DAY).toISOString(),
    )
  })

  it('is restored with its ticket when a tenant edits its labels or annotation, and re-signed when the ticket is replaced', async () => {
    const w = world()
    await w.reconcile()
    w.api.writes()
    const ticket = w.auths()[REGISTRY]?.password
    const edited = structuredClone(w.secret()) as PullSecretObject
    edited.metadata.annotations = { [PULL_TICKET_EXPIRES_ANNOTATION]: '2099-01-01T00:00:00.000Z' }
    w.api.put(edited)
    assert.equal(((await w.reconcile()) as { step: string }).step, 'restored')
    assert.equal(w.auths()[REGISTRY]?.password, ticket, 'the same ticket')

    const forged = new PullTicketSigner({
      service: REGISTRY,
      privateKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
    }).ticket('acme')
    w.api.put(renderPullSecret(w.acme, 'sh-acme', REGISTRY, forged))
    w.api.writes()
    assert.equal(((await w.reconcile()) as { step: string }).step, 'renewed')
    assert.notEqual(w.auths()[REGISTRY]?.password, forged.password, 'a ticket of another key is replaced')
  })

  it('is created again after a tenant deleted it', async () => {
    const w = world()
    await w.reconcile()
    await w.api.request('DELETE', SECRET)
    w.api.writes()
    assert.equal(((await w.reconcile()) as { step: string }).step, 'created')
    assert.deepEqual(w.api.writes(), [`APPLY ${SECRET}`])
  })

  it('waits for the customer’s namespace', async () => {
    const w = world({ namespace: '' })
    assert.equal(await w.reconcile(), 'none')
    assert.deepEqual(w.api.writes(), [])
  })
})
