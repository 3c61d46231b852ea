import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { loadTokenIssuer, registryTokenRoutes } from './token-routes.js'
import type { RegistryTokenIssuer } from './token-service.js'

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`

describe('the registry token realm', () => {
  let dir: string
  let issuer: RegistryTokenIssuer
  let app: FastifyInstance

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostplane-token-'))
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    await writeFile(join(dir, 'tls.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }))
    issuer = await loadTokenIssuer({ keyFile: join(dir, 'tls.key'), issuer: 'hp', service: 'reg' })
    app = Fastify()
    await app.register(registryTokenRoutes, { issuer })
  })

  after(async () => {
    await app.close()
    await rm(dir, { recursive: true, force: true })
  })

  const get = (query: string, authorization?: string) =>
    app.inject({
      method: 'GET',
      url: `/registry/token?${query}`,
      headers: authorization ? { authorization } : {},
    })

  it("answers a build ticket with a token for the ticket's repository only, whatever else is asked", async () => {
    const ticket = issuer.buildTicket('acme')
    const response = await get(
      'service=reg&scope=repository:hostplane/acme:pull,push&scope=repository:hostplane/other:pull,push',
      basic(ticket.username, ticket.password),
    )
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['cache-control'], 'no-store')
    const { token } = response.json<{ token: string }>()
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      sub: string
      access: unknown
    }
    assert.equal(claims.sub, 'build.acme')
    assert.deepEqual(claims.access, [
      { type: 'repository', name: 'hostplane/acme', actions: ['pull', 'push'] },
    ])
  })

  it('refuses missing or forged credentials with a Basic challenge, and another service', async () => {
    for (const authorization of [undefined, basic('build.acme', 'not-a-ticket')]) {
      const response = await get('service=reg&scope=repository:hostplane/acme:pull', authorization)
      assert.equal(response.statusCode, 401)
      assert.equal(response.headers['www-authenticate'], 'Basic realm="reg"')
    }
    const ticket = issuer.buildTicket('acme')
    assert.equal((await get('service=elsewhere', basic(ticket.username, ticket.password))).statusCode, 400)
  })
})
