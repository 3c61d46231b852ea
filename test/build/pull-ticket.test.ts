/**
 * Nodes pulling tenants' images with their namespace's pull Secret, against a real docker-registry
 * whose token realm is served as the gitserver serves it (registryTokenRoutes with the operator's
 * public pull key). The credentials are the Secret the operator renders, used as an auth file by
 * skopeo, a client independent of hostplane that speaks the token protocol as containerd does:
 * customer A's Secret pulls A's image, B's Secret is refused for it, and A's Secret cannot push.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { RegistryClient } from '../../src/build/registry/client.js'
import { PullTicketSigner } from '../../src/build/registry/pull-ticket.js'
import { renderPullSecret } from '../../src/operator/registry-pull/pull-secret.js'
import { customer } from '../../src/operator/customer/fixtures.js'
import { pushDockerBase } from './base-image.js'
import { registrySkipReason, SERVICE, startRegistry, type TestRegistry } from './registry.js'

const run = promisify(execFile)
const skip = await registrySkipReason()

describe('nodes pull a customer’s images with its pull Secret', { skip }, () => {
  const signal = AbortSignal.timeout(5 * 60_000)
  const operatorKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
  const signer = new PullTicketSigner({ service: SERVICE, privateKey: operatorKey })
  let registry: TestRegistry
  let dir: string
  let image: string

  /** The customer's Secret as the operator writes it, saved as a docker auth file. */
  const authFile = async (name: string) => {
    const secret = renderPullSecret(customer({}, name), `sh-${name}`, registry.address, signer.ticket(name))
    const file = join(dir, `${name}.json`)
    const data = secret.data['.dockerconfigjson'] ?? ''
    await writeFile(file, Buffer.from(data, 'base64'))
    return file
  }

  const skopeo = (args: string[]) =>
    run('skopeo', args, { timeout: 60_000 }).then(
      ({ stdout }) => ({ ok: true, output: stdout }),
      (error: { stderr?: string }) => ({ ok: false, output: error.stderr ?? String(error) }),
    )

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostplane-pull-'))
    registry = await startRegistry({ pullTickets: signer })
    const admin = new RegistryClient({
      registry: registry.address,
      credentials: {
        kind: 'bearer',
        token: registry.issuer.issue('test-admin', [{ repository: 'hostplane/a', actions: ['pull', 'push'] }])
          .token,
      },
    })
    image = `${registry.address}/hostplane/a@${await pushDockerBase(admin, 'hostplane/a', signal)}`
  })

  after(async () => {
    await registry?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('pulls A’s image with A’s Secret', async () => {
    const inspect = await skopeo([
      'inspect',
      '--tls-verify=false',
      '--authfile',
      await authFile('a'),
      `docker://${image}`,
    ])
    assert.ok(inspect.ok, inspect.output)
    assert.equal(JSON.parse(inspect.output).Digest, image.split('@')[1])
    const copy = await skopeo([
      'copy',
      '--src-tls-verify=false',
      '--authfile',
      await authFile('a'),
      `docker://${image}`,
      `oci:${join(dir, 'layout')}:pulled`,
    ])
    assert.ok(copy.ok, copy.output)
  })

  it('refuses B’s Secret for A’s image', async () => {
    const inspect = await skopeo([
      'inspect',
      '--tls-verify=false',
      '--authfile',
      await authFile('b'),
      `docker://${image}`,
    ])
    assert.equal(inspect.ok, false)
    assert.match(inspect.output, /unauthorized|denied|authentication required/i)
  })

  it('refuses a push with A’s Secret, and the tag does not appear', async () => {
    const file = await authFile('a')
    const push = await skopeo([
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--authfile',
      file,
      `docker://${image}`,
      `docker://${registry.address}/hostplane/a:pushed-with-pull-ticket`,
    ])
    assert.equal(push.ok, false, push.output)
    assert.match(push.output, /unauthorized|denied|authentication required/i)
    const tag = await skopeo([
      'inspect',
      '--tls-verify=false',
      '--authfile',
      file,
      `docker://${registry.address}/hostplane/a:pushed-with-pull-ticket`,
    ])
    assert.equal(tag.ok, false)
    assert.match(tag.output, /manifest unknown|not found/i)
  })
})
