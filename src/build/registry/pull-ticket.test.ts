import assert from 'node:assert/strict'
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { selfSignedCertificate } from '../../../test/fixtures/tls-certificate.js'
import {
  loadPullTicketSigner,
  loadPullTicketVerifier,
  PullTicketSigner,
  PullTicketVerifier,
} from './pull-ticket.js'
import { anyOf, RegistryTokenIssuer } from './token-service.js'

const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
const operatorKey = ec()
const signer = (options: { clock?: () => number; service?: string; privateKey?: KeyObject } = {}) =>
  new PullTicketSigner({ service: 'reg', privateKey: operatorKey, ...options })
const realm = (clock = Date.now) =>
  new PullTicketVerifier({ service: 'reg', publicKey: createPublicKey(operatorKey), clock })

const claims = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`

describe('pull tickets', () => {
  it('are basic credentials pull.<customer> that grant pull on that customer’s repository only', () => {
    const ticket = signer().ticket('acme')
    assert.equal(ticket.username, 'pull.acme')
    assert.deepEqual(claims(ticket.password).aud, 'reg#pull-ticket')
    assert.equal(
      (claims(ticket.password).exp as number) - (claims(ticket.password).iat as number),
      30 * 24 * 3600,
      'thirty days',
    )
    assert.deepEqual(realm().authenticate(ticket.username, ticket.password), [
      { repository: 'hostplane/acme', actions: ['pull'] },
    ])
  })

  const refused: [string, () => [string, string]][] = [
    [
      'signed with another key',
      () => {
        const t = signer({ privateKey: ec() }).ticket('acme')
        return [t.username, t.password]
      },
    ],
    [
      'expired',
      () => {
        const t = signer({ clock: () => Date.now() - 31 * 24 * 3_600_000 }).ticket('acme')
        return [t.username, t.password]
      },
    ],
    [
      'for another service (audience)',
      () => {
        const t = signer({ service: 'elsewhere' }).ticket('acme')
        return [t.username, t.password]
      },
    ],
    ['presented as another customer', () => ['pull.other', signer().ticket('acme').password]],
    ['presented as a build user', () => ['build.acme', signer().ticket('acme').password]],
    [
      'a build ticket of the same customer',
      () => {
        const t = new RegistryTokenIssuer({
          issuer: 'hp',
          service: 'reg',
          privateKey: operatorKey,
        }).buildTicket('acme')
        return ['pull.acme', t.password]
      },
    ],
    ['not a JWT', () => ['pull.acme', 'secret']],
  ]
  for (const [name, credentials] of refused)
    it(`are refused when ${name}`, () => {
      assert.equal(realm().authenticate(...credentials()), undefined)
    })

  it('cannot be used by a build’s issuer as build tickets', () => {
    const tokens = new RegistryTokenIssuer({ issuer: 'hp', service: 'reg', privateKey: operatorKey })
    const ticket = signer().ticket('acme')
    assert.equal(tokens.verifyTicket(ticket.username, ticket.password), undefined)
  })

  it('get from the realm at most pull on their own repository, whatever the request asks', () => {
    const tokens = new RegistryTokenIssuer({ issuer: 'hp', service: 'reg', privateKey: ec() })
    const ticket = signer().ticket('acme')
    const answer = (scopes: string[]) => {
      const query = new URLSearchParams([
        ['service', 'reg'],
        ...scopes.map((s): [string, string] => ['scope', s]),
      ])
      const result = tokens.answerTokenRequest(
        query,
        basic(ticket.username, ticket.password),
        anyOf(tokens.verifyTicket, realm().authenticate),
      )
      assert.equal(result.status, 200)
      return claims((result.body as { token: string }).token).access
    }
    assert.deepEqual(answer(['repository:hostplane/acme:pull,push', 'repository:hostplane/other:pull']), [
      { type: 'repository', name: 'hostplane/acme', actions: ['pull'] },
    ])
    assert.deepEqual(answer(['repository:hostplane/acme:push']), [], 'push requested: nothing granted')
    assert.deepEqual(answer(['repository:hostplane/other:pull']), [], 'another customer: nothing granted')
  })

  it('stop being accepted when they expire, and say when', () => {
    let now = Date.now()
    const ticket = signer({ clock: () => now }).ticket('acme')
    assert.equal(ticket.expiresAt.getTime(), (claims(ticket.password).exp as number) * 1000)
    assert.deepEqual(realm(() => now).ticketOf('acme', ticket.password)?.expiresAt, ticket.expiresAt)
    now = ticket.expiresAt.getTime()
    assert.equal(realm(() => now).ticketOf('acme', ticket.password), undefined)
  })
})

describe('pull ticket keys from files', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostplane-pull-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('sign with the tls.key and verify with the tls.crt of one certificate', async () => {
    const { crt, key } = await selfSignedCertificate({ domains: ['pull.hostplane'] })
    await writeFile(join(dir, 'tls.key'), key)
    await writeFile(join(dir, 'tls.crt'), crt)
    const ticket = (await loadPullTicketSigner({ keyFile: join(dir, 'tls.key'), service: 'reg' })).ticket(
      'acme',
    )
    const verifier = await loadPullTicketVerifier({ certFile: join(dir, 'tls.crt'), service: 'reg' })
    assert.deepEqual(verifier.authenticate(ticket.username, ticket.password), [
      { repository: 'hostplane/acme', actions: ['pull'] },
    ])
  })

  it('refuse a missing file, a private key for the realm and a key of the wrong type, naming the flag', async () => {
    await assert.rejects(loadPullTicketSigner({ keyFile: join(dir, 'none'), service: 'reg' }), {
      message: /^--registry-pull-key .*none: cannot read it \(ENOENT\)/,
    })
    await assert.rejects(loadPullTicketVerifier({ certFile: join(dir, 'tls.key'), service: 'reg' }), {
      message: /--registry-pull-cert .*: holds a private key/,
    })
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' })
    await writeFile(join(dir, 'ed.key'), ed)
    await assert.rejects(loadPullTicketSigner({ keyFile: join(dir, 'ed.key'), service: 'reg' }), {
      message: /--registry-pull-key .*: the registry pull key must be EC P-256 \(ES256\) or RSA \(RS256\)/,
    })
    await writeFile(join(dir, 'junk'), 'not pem')
    await assert.rejects(loadPullTicketSigner({ keyFile: join(dir, 'junk'), service: 'reg' }), {
      message: /not a PEM private key/,
    })
    await assert.rejects(loadPullTicketVerifier({ certFile: join(dir, 'junk'), service: 'reg' }), {
      message: /not a PEM certificate or public key/,
    })
  })
})
