import assert from 'node:assert/strict'
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { describe, it } from 'node:test'
import { parseChallenge } from './client.js'
import { formatImageReference, parseImageReference, webspaceImageTag } from './reference.js'
import { libtrustKeyId } from './jwt.js'
import { customerRepository, grantedAccess, parseScopes, RegistryTokenIssuer } from './token-service.js'

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const issuer = (clock = Date.now) =>
  new RegistryTokenIssuer({ issuer: 'hp', service: 'reg', privateKey, clock })

const claims = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>

describe('registry tokens', () => {
  it('grant a build pull and push on its customer’s repository and pull on the named bases only', () => {
    const { token } = issuer().pushCredential('acme', { pull: ['hostplane-runtimes/php'] })
    const body = claims(token)
    assert.equal(body.iss, 'hp')
    assert.equal(body.aud, 'reg')
    assert.deepEqual(body.access, [
      { type: 'repository', name: 'hostplane/acme', actions: ['pull', 'push'] },
      { type: 'repository', name: 'hostplane-runtimes/php', actions: ['pull'] },
    ])
    assert.equal((body.exp as number) - (body.iat as number), 300, 'five minutes')
  })

  it('carry the libtrust key id distribution looks the signing key up by', () => {
    const header = JSON.parse(
      Buffer.from(issuer().issue('x', []).token.split('.')[0] ?? '', 'base64url').toString(),
    )
    assert.deepEqual(header, { typ: 'JWT', alg: 'ES256', kid: libtrustKeyId(createPublicKey(privateKey)) })
    assert.match(header.kid, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/)
  })

  it('refuse customer names that cannot be one repository', () => {
    for (const name of ['', 'A', 'a/b', '../x', 'a:b', '-a'])
      assert.throws(() => customerRepository(name), name)
  })

  it('accept a ticket only for its user, unexpired and untampered', () => {
    const ticket = issuer().buildTicket('acme')
    assert.deepEqual(issuer().verifyTicket(ticket.username, ticket.password), [
      { repository: 'hostplane/acme', actions: ['pull', 'push'] },
    ])
    assert.equal(issuer().verifyTicket('build.other', ticket.password), undefined, 'another user')
    const old = issuer(() => Date.now() - 3_600_000).buildTicket('acme')
    assert.equal(issuer().verifyTicket(old.username, old.password), undefined, 'expired')
    const [h, , s] = ticket.password.split('.')
    const forged = Buffer.from(JSON.stringify({ ...claims(ticket.password), sub: 'build.x' })).toString(
      'base64url',
    )
    assert.equal(issuer().verifyTicket('build.x', `${h}.${forged}.${s}`), undefined, 'tampered')
    const registryToken = issuer().issue(ticket.username, [
      { repository: 'hostplane/acme', actions: ['push'] },
    ])
    assert.equal(
      issuer().verifyTicket(ticket.username, registryToken.token),
      undefined,
      'a registry token is no ticket',
    )
  })

  it('give what was asked intersected with what was granted', () => {
    const grant = [{ repository: 'hostplane/a', actions: ['pull', 'push'] as const }]
    assert.deepEqual(
      grantedAccess(
        parseScopes([
          'repository:hostplane/a:pull,push,delete',
          'repository:hostplane/b:pull',
          'registry:catalog:*',
        ]),
        grant,
      ),
      [{ repository: 'hostplane/a', actions: ['pull', 'push'] }],
    )
  })
})

describe('image references and challenges', () => {
  it('parse references with an explicit registry only', () => {
    const digest = `sha256:${'a'.repeat(64)}`
    const cases: [string, object][] = [
      [
        `reg.example:5000/hostplane/a:site-1@${digest}`,
        { registry: 'reg.example:5000', repository: 'hostplane/a', tag: 'site-1', digest },
      ],
      ['localhost/x', { registry: 'localhost', repository: 'x' }],
      ['127.0.0.1:5000/hostplane/a:t', { registry: '127.0.0.1:5000', repository: 'hostplane/a', tag: 't' }],
    ]
    for (const [reference, parsed] of cases) {
      assert.deepEqual(parseImageReference(reference), parsed)
      assert.equal(formatImageReference(parseImageReference(reference)), reference)
    }
    for (const bad of [
      'nginx',
      'library/nginx:1',
      'reg.example/UPPER',
      `reg.example/a@sha256:short`,
      'reg.example/a/../b',
    ])
      assert.throws(() => parseImageReference(bad), { code: 'HP_ERR_REGISTRY_REFERENCE' }, bad)
  })

  it('name a Webspace’s image tag by the webspace and the commit’s first 12 hex', () => {
    assert.equal(webspaceImageTag('shop', 'abcdef0123456789'.repeat(2) + '01234567'), 'shop-abcdef012345')
    assert.throws(() => webspaceImageTag('Shop', 'a'.repeat(40)), { code: 'HP_ERR_BUILD_OPTIONS' })
    assert.throws(() => webspaceImageTag('shop', 'main'), { code: 'HP_ERR_BUILD_OPTIONS' })
  })

  it('read a token challenge', () => {
    assert.deepEqual(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull,push"',
      ),
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.example/token', service: 'reg', scope: 'repository:a:pull,push' },
      },
    )
  })
})
