/**
 * The install's registry as a node would run it: the `hostplane-registry` image `npm run image`
 * built, unpacked and started as its Deployment says (entrypoint, user 10001, read-only root, the
 * construct's ConfigMap as its config, the token certificate and the data volume mounted where the
 * pod mounts them, its env expanded from the settings ConfigMap) in a pod network of its own. The
 * token realm is the gitserver's route plugin with the key of that certificate, as cert-manager's
 * self-signed Issuer would make it. Only the realm's address differs from the install: there it is
 * the ingress's route on the public host (deploy/install/install.test.ts checks that route).
 *
 * Then what the gitserver does with a push: a layer build for images named by the public host,
 * pushed through the registry's Service address (--registry-endpoint), and a node's pull by that
 * image's digest with the customer's credentials, through the realm.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { App, Chart } from 'cdk8s'
import fastify, { type FastifyInstance } from 'fastify'
import { parseAllDocuments } from 'yaml'
import { Hostplane } from '../../deploy/install/hostplane.js'
import { REGISTRY_NAME, TOKEN_ISSUER, TOKEN_REALM_PATH } from '../../deploy/install/registry.js'
import { REGISTRY_IMAGE_OUTPUT } from '../../scripts/image/recipe.js'
import { buildLayerImage } from '../../src/build/layer/layer-image.js'
import { RegistryClient } from '../../src/build/registry/client.js'
import { loadTokenIssuer, registryTokenRoutes } from '../../src/build/registry/token-routes.js'
import type { RegistryTokenIssuer } from '../../src/build/registry/token-service.js'
import type { Manifest } from '../../src/kube/object.js'
import { waitFor } from '../cluster/process.js'
import type { CliProcess } from '../e2e/cli-process.js'
import { pushDockerBase } from '../build/base-image.js'
import { tokenKeyPair } from '../build/registry.js'
import { TestRepos } from '../git/test-repos.js'
import { createPodNetwork, type PodNetwork, podAddressUnavailable } from '../traefik/pod-address.js'
import { imageSkipReason, imageUnderTest, UnpackedImage } from './image-under-test.js'

const run = promisify(execFile)
const skip =
  (await imageSkipReason(['umoci', 'unshare', 'openssl', 'skopeo', 'git'], REGISTRY_IMAGE_OUTPUT)) ||
  (await podAddressUnavailable())

/** The public host the install names (its settings ConfigMap). */
const HOST = 'registry.acme.test'

interface EnvVar {
  name: string
  value?: string
  valueFrom?: { configMapKeyRef: { name: string; key: string } }
}
interface Container {
  env: EnvVar[]
  ports: { name: string; containerPort: number }[]
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[]
  securityContext: { runAsUser: number; readOnlyRootFilesystem: boolean }
}
type Deployment = Manifest & { spec: { template: { spec: { containers: Container[] } } } }
type ConfigMap = Manifest & { data: Record<string, string> }

function installObjects(): Manifest[] {
  const app = new App()
  new Hostplane(new Chart(app, 'registry'), 'hostplane', {
    pagesDomain: 'pages.acme.test',
    gitserver: { enabled: true },
    registry: { host: HOST },
  })
  return parseAllDocuments(app.synthYaml()).map((document) => document.toJS() as Manifest)
}

/** A container's env as the kubelet gives it: ConfigMap keys resolved, `$(NAME)` expanded. */
function containerEnv(container: Container, configMaps: readonly ConfigMap[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const { name, value, valueFrom } of container.env) {
    const ref = valueFrom?.configMapKeyRef
    env[name] = ref
      ? (configMaps.find((c) => c.metadata.name === ref.name)?.data[ref.key] ?? '')
      : (value ?? '').replace(/\$\(([A-Z_]+)\)/g, (whole, variable: string) => env[variable] ?? whole)
  }
  return env
}

describe(
  'the hostplane-registry image run as the install’s Deployment, behind the gitserver’s token realm',
  { skip },
  () => {
    let work: string
    let image: UnpackedImage
    let network: PodNetwork
    let registry: CliProcess
    let realm: FastifyInstance
    let issuer: RegistryTokenIssuer
    let endpoint: string
    let metrics: string
    let env: Record<string, string>
    let base: string
    let repos: TestRepos
    let commit: string
    const signal = AbortSignal.timeout(10 * 60_000)

    const fail = async (error: unknown): Promise<never> => {
      throw new Error(`${(error as Error).message}\n${(await registry?.log()) ?? ''}`, { cause: error })
    }

    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'hostplane-registry-image-'))
      const objects = installObjects()
      const configMaps = objects.filter((o): o is ConfigMap => o.kind === 'ConfigMap')
      const deployment = objects.find(
        (o): o is Deployment => o.kind === 'Deployment' && o.metadata.name === REGISTRY_NAME,
      )
      const container = deployment?.spec.template.spec.containers[0]
      assert.ok(container, 'the install runs the registry')
      const mountOf = (volume: string) =>
        container.volumeMounts.find((m) => m.name === volume)?.mountPath ?? ''

      // The token key as cert-manager's self-signed ECDSA P-256 Certificate holds it.
      const cert = join(work, 'token-cert')
      await mkdir(cert)
      await tokenKeyPair(join(work, 'tls.key'), join(cert, 'tls.crt'))
      const config = join(work, 'config')
      await mkdir(config)
      const registryConfig = configMaps.find((c) => c.metadata.name === 'hostplane-registry-config')
      for (const [file, content] of Object.entries(registryConfig?.data ?? {}))
        await writeFile(join(config, file), content)
      const data = join(work, 'data')
      await mkdir(data)
      await chown(data, container.securityContext.runAsUser, container.securityContext.runAsUser)

      issuer = await loadTokenIssuer({ keyFile: join(work, 'tls.key'), issuer: TOKEN_ISSUER, service: HOST })
      realm = fastify()
      await realm.register(registryTokenRoutes, { issuer })
      const realmUrl = `${await realm.listen({ host: '127.0.0.1', port: 0 })}${TOKEN_REALM_PATH}`

      env = containerEnv(container, configMaps)
      network = await createPodNetwork()
      image = await UnpackedImage.unpack(await imageUnderTest(REGISTRY_IMAGE_OUTPUT))
      registry = await image.start(
        [],
        join(work, 'registry.log'),
        { ...env, REGISTRY_AUTH_TOKEN_REALM: realmUrl },
        {
          netns: network.namespace,
          readOnlyRoot: container.securityContext.readOnlyRootFilesystem,
          mounts: [
            { source: data, target: mountOf('data') },
            { source: config, target: mountOf('config'), readOnly: true },
            { source: cert, target: mountOf('token-cert'), readOnly: true },
            { source: await mkdtemp(join(work, 'tmp-')), target: mountOf('tmp') },
          ],
        },
      )
      const port = (name: string) => container.ports.find((p) => p.name === name)?.containerPort
      endpoint = `http://${network.address}:${port('registry')}`
      metrics = `http://${network.address}:${port('debug')}/metrics`
      await waitFor(
        () =>
          fetch(`http://${network.address}:${port('debug')}/debug/health`).then(
            (r) => (r.ok ? true : undefined),
            () => undefined,
          ),
        { timeoutMs: 30_000, describe: () => 'the registry did not report healthy' },
      ).catch(fail)

      repos = new TestRepos(join(work, 'repos'))
      commit = (await repos.create('shop', { 'index.html': '<h1>shop</h1>\n' })) as string
      const runtimes = new RegistryClient({
        registry: HOST,
        endpoint,
        credentials: {
          kind: 'bearer',
          token: issuer.issue('test-admin', [
            { repository: 'hostplane-runtimes/static', actions: ['pull', 'push'] },
          ]).token,
        },
      })
      base = `${HOST}/hostplane-runtimes/static@${await pushDockerBase(runtimes, 'hostplane-runtimes/static', signal)}`
    })

    after(async () => {
      await registry?.stop()
      await realm?.close()
      await image?.remove()
      await network?.release()
      if (work) await rm(work, { recursive: true, force: true })
    })

    it('takes its public host from the settings ConfigMap as its token service, and trusts nothing without a token', async () => {
      assert.equal(env.HOSTPLANE_REGISTRY, HOST)
      assert.equal(env.REGISTRY_AUTH_TOKEN_SERVICE, HOST)
      assert.equal(env.REGISTRY_AUTH_TOKEN_REALM, `https://${HOST}${TOKEN_REALM_PATH}`)
      const anonymous = await fetch(`${endpoint}/v2/hostplane/acme/tags/list`)
      assert.equal(anonymous.status, 401)
      assert.match(anonymous.headers.get('www-authenticate') ?? '', new RegExp(`service="${HOST}"`))
      const forged = await fetch(`${endpoint}/v2/`, { headers: { authorization: 'Bearer not.a.token' } })
      assert.equal(forged.status, 401)
    })

    it('serves the Prometheus metrics the monitoring namespace scrapes on its debug port', async () => {
      assert.match(await (await fetch(metrics)).text(), /^registry_/m)
    })

    it('takes the gitserver’s layer build through its Service address, and a node pulls it by the public name’s digest through the realm', async () => {
      const { image: built, digest } = await buildLayerImage({
        repoDir: repos.gitDir('shop'),
        gitEnv: {},
        commit,
        baseImage: base,
        appDir: '/srv/app',
        target: { registry: HOST, repository: 'hostplane/acme', tag: `shop-${commit.slice(0, 12)}` },
        credentials: issuer.pushCredential('acme', { pull: ['hostplane-runtimes/static'] }),
        endpoints: { [HOST]: endpoint },
        signal,
        log: () => {},
      }).catch(fail)
      assert.equal(built, `${HOST}/hostplane/acme@${digest}`)

      const inspect = (ticket: { username: string; password: string }) =>
        run('skopeo', [
          'inspect',
          '--raw',
          '--tls-verify=false',
          '--creds',
          `${ticket.username}:${ticket.password}`,
          `docker://${endpoint.slice('http://'.length)}/hostplane/acme@${digest}`,
        ])
      const mine = issuer.buildTicket('acme')
      const { stdout } = await inspect(mine)
      assert.equal(`sha256:${createHash('sha256').update(stdout).digest('hex')}`, digest)
      await assert.rejects(inspect(issuer.buildTicket('other')), /denied|unauthorized|requested access/i)
      const stored = await readFile(join(work, 'registry.log'), 'utf8')
      assert.ok(!stored.includes(mine.password), 'the registry logs no credential')
    })
  },
)
