/**
 * The registry pull Secret on a real API server: an operator run with a tenants' registry
 * (`config.registry` and a pull ticket signer, as `--registry` and `--registry-pull-key` give it)
 * keeps `hostplane-registry-pull` in each customer namespace under its own ServiceAccount's RBAC
 * and the operator guard; a tenant who deletes or edits it gets it back; Webspaces running an image
 * of that registry name it in `imagePullSecrets`, others do not; nothing is written while nothing
 * changes. Its credentials are used as a node would (skopeo with the Secret as auth file) against a
 * real docker-registry whose realm verifies pull tickets with the public key only, and are sent to
 * a `hostplane gitserver` process given only the certificate (`--registry-pull-cert`).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { RegistryClient } from '../../src/build/registry/client.js'
import { PullTicketSigner, PullTicketVerifier } from '../../src/build/registry/pull-ticket.js'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import { REASON } from '../../src/operator/customer/conditions.js'
import { customerGroup } from '../../src/operator/customer/names.js'
import type { Operator } from '../../src/operator/operator.js'
import {
  PULL_TICKET_EXPIRES_ANNOTATION,
  type PullSecretObject,
  REGISTRY_PULL_SECRET,
} from '../../src/operator/registry-pull/pull-secret.js'
import { pushDockerBase } from '../build/base-image.js'
import { registrySkipReason, SERVICE, startRegistry, type TestRegistry } from '../build/registry.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sleep } from '../cluster/process.js'
import { apiWrites, OperatorEnv } from '../operator/harness.js'
import { selfSignedCertificate } from '../fixtures/tls-certificate.js'
import { GitServerRun, registryArgs } from '../gitserver/harness.js'

const run = promisify(execFile)
const env = await clusterForTests()
const skip = env.skip || (await registrySkipReason())

describe('the registry pull Secret kept by the operator', { skip }, () => {
  const signal = AbortSignal.timeout(5 * 60_000)
  let operatorKey: KeyObject
  let gitserver: GitServerRun | undefined
  let test: OperatorEnv
  let operator: Operator
  let registry: TestRegistry
  let tenant: KubeRest
  let dir: string
  let image: string
  let runtime: string
  const customer = () => `pull-${test.tag}`
  const namespace = () => `sh-${customer()}`
  const secretPath = (name = REGISTRY_PULL_SECRET) =>
    resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace: namespace(), name })
  const readSecret = () => test.admin.request<PullSecretObject>('GET', secretPath()).catch(() => undefined)
  const auths = (secret: PullSecretObject | undefined) =>
    (
      JSON.parse(Buffer.from(secret?.data?.['.dockerconfigjson'] ?? 'e30=', 'base64').toString()) as {
        auths?: Record<string, { username?: string; password?: string; auth?: string }>
      }
    ).auths ?? {}
  /** The realm's own check: a verifier holding only the public key. */
  const realmAccepts = (secret: PullSecretObject | undefined) => {
    const entry = auths(secret)[registry.address]
    return new PullTicketVerifier({ service: SERVICE, publicKey: publicKey() }).authenticate(
      entry?.username ?? '',
      entry?.password ?? '',
    )
  }
  const publicKey = () => createPublicKey(operatorKey)
  const waitForValidSecret = (what: string) =>
    test.waitUntil(
      what,
      async () => {
        const secret = await readSecret()
        return secret && realmAccepts(secret) ? secret : undefined
      },
      20_000,
    )

  before(async () => {
    const cluster = await env.get()
    dir = await mkdtemp(join(tmpdir(), 'hostplane-pull-'))
    // The operator's key and its certificate, as a cert-manager Secret's tls.key and tls.crt.
    const pair = await selfSignedCertificate({ domains: ['registry-pull.hostplane'] })
    operatorKey = createPrivateKey(pair.key)
    await writeFile(join(dir, 'tls.crt'), pair.crt)
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'pull')
    await test.setUp()
    runtime = await test.createRuntime()
    registry = await startRegistry({
      pullTickets: new PullTicketVerifier({ service: SERVICE, publicKey: publicKey() }),
    })
    operator = await test.startOperator({
      resyncMs: 60_000,
      config: { ...test.config, registry: registry.address },
      pullTickets: new PullTicketSigner({ service: SERVICE, privateKey: operatorKey }),
      pullSecretRecheckMs: 1000,
    })
    await test.createCustomer(customer())
    await test.waitForCustomer(customer(), 'Ready', 'True', REASON.Ready)
    tenant = new KubeRest(await cluster.userKubeConfig(`dev-${test.tag}`, [customerGroup(customer())]))
    const admin = new RegistryClient({
      registry: registry.address,
      credentials: {
        kind: 'bearer',
        token: registry.issuer.issue('test-admin', [
          { repository: `hostplane/${customer()}`, actions: ['pull', 'push'] },
        ]).token,
      },
    })
    image = `${registry.address}/hostplane/${customer()}@${await pushDockerBase(admin, `hostplane/${customer()}`, signal)}`
  })

  after(async () => {
    await gitserver?.stop()
    tenant?.close()
    await operator?.stop()
    await registry?.stop()
    await test?.tearDown()
    test?.admin.close()
    if (dir) await rm(dir, { recursive: true, force: true })
    await env.release()
  })

  it('writes the pull Secret into the customer namespace, whose credentials pull the customer’s image', async () => {
    const secret = await waitForValidSecret('the pull Secret')
    assert.equal(secret.type, 'kubernetes.io/dockerconfigjson')
    assert.deepEqual(Object.keys(auths(secret)), [registry.address])
    assert.equal(auths(secret)[registry.address]?.username, `pull.${customer()}`)
    assert.deepEqual(realmAccepts(secret), [{ repository: `hostplane/${customer()}`, actions: ['pull'] }])
    assert.ok(secret.metadata.annotations?.[PULL_TICKET_EXPIRES_ANNOTATION])
    const authFile = join(dir, 'auth.json')
    await writeFile(authFile, Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64'))
    const { stdout } = await run('skopeo', [
      'inspect',
      '--tls-verify=false',
      '--authfile',
      authFile,
      `docker://${image}`,
    ])
    assert.equal(JSON.parse(stdout).Digest, image.split('@')[1])
  })

  it('writes nothing more while nothing changes (rechecks read only)', async () => {
    await waitForValidSecret('the pull Secret')
    const before = await apiWrites(operator)
    await sleep(3000)
    assert.equal(await apiWrites(operator), before)
  })

  it('restores the Secret after its tenant deleted it, and after its tenant replaced its credentials', async () => {
    await waitForValidSecret('the pull Secret')
    await tenant.request('DELETE', secretPath())
    await waitForValidSecret('the pull Secret back after its deletion')
    await tenant.request('PATCH', secretPath(), {
      body: { data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') } },
      contentType: 'application/merge-patch+json',
    })
    await waitForValidSecret('the pull Secret back after an edit')
  })

  it('names the Secret in the Deployments of Webspaces running an image of the registry only', async () => {
    await test.createWebspace(namespace(), 'built', { runtime, image })
    await test.createWebspace(namespace(), 'elsewhere', { runtime })
    const pullSecrets = async (name: string) =>
      test.waitUntil(`${name}'s Deployment`, () =>
        test.webspaceDeployment(namespace(), name).then(
          (d) => ({ secrets: (d.spec?.template?.spec as { imagePullSecrets?: unknown }).imagePullSecrets }),
          () => undefined,
        ),
      )
    assert.deepEqual((await pullSecrets('built')).secrets, [{ name: REGISTRY_PULL_SECRET }])
    assert.equal((await pullSecrets('elsewhere')).secrets, undefined)
  })

  it('is accepted by the gitserver’s realm, which holds only the certificate, for pull on the customer’s repository only', async () => {
    gitserver = await GitServerRun.create(test.cluster, test.admin)
    await gitserver.start([...registryArgs(registry), '--registry-pull-cert', join(dir, 'tls.crt')])
    const entry = auths(await waitForValidSecret('the pull Secret'))[registry.address]
    const token = (authorization: string) =>
      fetch(
        `http://127.0.0.1:${gitserver?.httpPort}/registry/token?service=${SERVICE}` +
          `&scope=repository:hostplane/${customer()}:pull,push&scope=repository:hostplane/other:pull`,
        { headers: { authorization } },
      )
    const granted = await token(`Basic ${entry?.auth}`)
    assert.equal(granted.status, 200)
    const { token: jwt } = (await granted.json()) as { token: string }
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as {
      access: unknown
    }
    assert.deepEqual(claims.access, [
      { type: 'repository', name: `hostplane/${customer()}`, actions: ['pull'] },
    ])
    const forged = Buffer.from(`pull.${customer()}:${entry?.password}x`).toString('base64')
    assert.equal((await token(`Basic ${forged}`)).status, 401)
    const ticket = entry?.password ?? ''
    assert.ok(
      ticket.length > 0 && !(await gitserver.log()).includes(ticket.split('.')[2] ?? ticket),
      'no ticket in its log',
    )
  })
})
