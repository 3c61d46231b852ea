/**
 * The k3s profile installed end to end, as a cluster runs it. A cluster of its own (the real
 * kube-apiserver with an audit log, etcd and kube-controller-manager; k3s's `local-path`
 * StorageClass) gets what a user applies: dist/k3s through a kustomize overlay that adds only the
 * settings docs/install.md asks for and the git host's CA (a private git host's users do the
 * same), by server-side apply. Then the test plays the node (test/install/kubelet.ts): the real
 * ReplicaSet controller's Pods, admitted by Pod Security `restricted`, run as their manifests say,
 * hostplane's from the image's root file system (`npm run image`), nginx as Debian's with the
 * install's ConfigMap, each Pod in its own network with its ServiceAccount's token from the
 * TokenRequest API; the real EndpointSlice controller fills the Services from the Pods' status.
 * Traefik from the test cache, configured as k3s's bundled Traefik, routes a Customer's
 * StaticSite, whose repository a git host serves, to nginx. With the profile's push-to-deploy
 * Component the gitserver and the install's registry run too (the registry from its own image, the
 * test playing cert-manager for their Secrets): a customer's `git push` over SSH to the gitserver's
 * Pod becomes a layer build in that registry, a Release and the operator's Deployment on its
 * digest, and a node's pull of that digest goes through Traefik to the registry and the
 * gitserver's token realm with the customer's credentials. Last, the API server's audit log
 * shows which (verb, resource) pairs the operator's and the syncer's ServiceAccounts used: none
 * was refused, and every pair the install grants was either used here or is listed with the
 * reason it is needed.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { stringify } from 'yaml'
import type { StaticSite } from '../../src/api/resources.js'
import { siteKey } from '../../src/api/site-key.js'
import type { KubeList, Manifest } from '../../src/kube/object.js'
import { isNotFound, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'
import { startProcess } from '../e2e/cli-process.js'
import { selfSignedCertificate, tlsData } from '../fixtures/tls-certificate.js'
import { HostRoot } from '../image/container.js'
import { imageSkipReason, imageUnderTest, UnpackedImage } from '../image/image-under-test.js'
import { PUSH_TO_DEPLOY } from '../../deploy/install/profiles.js'
import { REGISTRY_IMAGE_REPOSITORY } from '../../deploy/install/options.js'
import { REGISTRY_IMAGE_OUTPUT } from '../../scripts/image/recipe.js'
import type { Release } from '../../src/api/resources.js'
import { RegistryClient } from '../../src/build/registry/client.js'
import { RegistryTokenIssuer } from '../../src/build/registry/token-service.js'
import { pushDockerBase } from '../build/base-image.js'
import { tokenKeyPair } from '../build/registry.js'
import { GitClient } from '../gitserver/git-client.js'
import { keyPair } from '../gitserver/harness.js'
import { createHash } from 'node:crypto'
import { type RawResponse, sendRequest } from '../serving/http-request.js'
import { nginxUnavailable } from '../serving/nginx-for-tests.js'
import { GitFixture } from '../syncer/git-fixture.js'
import { syncedOf, waitForSite } from '../syncer/sites.js'
import { createPodAddress, type PodAddress, podAddressUnavailable } from '../traefik/pod-address.js'
import { type RunningTraefik, startTraefik, traefikUnavailable } from '../traefik/traefik.js'
import { applyInstall, KUBECTL_FIELD_MANAGER } from './apply-install.js'
import { type ImageRuntime, Kubelet } from './kubelet.js'
import { kustomizeBuild } from './kustomize.js'
import { grantsOf, usedBy } from './rbac-audit.js'

const env = await clusterForTests()
const skip =
  env.skip ||
  (await imageSkipReason(['umoci', 'unshare', 'nsenter', 'mknod', 'iptables', 'openssl', 'ssh', 'git'])) ||
  (await imageSkipReason([], REGISTRY_IMAGE_OUTPUT)) ||
  (await nginxUnavailable()) ||
  (await traefikUnavailable()) ||
  (await podAddressUnavailable())

const SYSTEM = 'hostplane-system'
const OPERATOR = `system:serviceaccount:${SYSTEM}:hostplane-operator`
const SYNCER = `system:serviceaccount:${SYSTEM}:hostplane-syncer`
const GITSERVER = `system:serviceaccount:${SYSTEM}:hostplane-gitserver`
/** The install's default pages domain: a site without domains answers at <name>-<namespace>.<it>. */
const PAGES_DOMAIN = 'pages.example.com'
const HOSTPLANE_IMAGE = 'ghcr.io/hostplane/hostplane'
/** The registry's public host as the push-to-deploy Component names it. */
const REGISTRY_HOST = PUSH_TO_DEPLOY.registry.host
const GIT_CA_DIR = '/etc/hostplane/git-ca'

/** Only the install's ServiceAccounts are audited, at Metadata level (no bodies). */
const AUDIT_POLICY = stringify({
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [{ level: 'Metadata', users: [OPERATOR, SYNCER, GITSERVER] }, { level: 'None' }],
})

/** k3s's default StorageClass, as k3s ships it. */
const LOCAL_PATH = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: 'rancher.io/local-path',
  volumeBindingMode: 'WaitForFirstConsumer',
  reclaimPolicy: 'Delete',
}

/**
 * Grants this test's flow does not use, by why the process holds them. Each unused grant goes to
 * the first group that matches it; the test fails when one matches no group, and when a group
 * matches nothing (the list is kept exact). The install grants `get` only where something reads
 * one object (leases, a tenant's TLS Secret, a site's git credentials) or where the operator must
 * hold what it grants: the informers list and watch, and server-side apply creates and patches.
 */
const NEEDED_BEYOND_THIS_TEST: readonly { readonly grants: RegExp; readonly reason: string }[] = [
  {
    grants:
      /^hostplane-operator: (create|delete|patch) (apps\/deployments|autoscaling\/horizontalpodautoscalers|policy\/poddisruptionbudgets|services|persistentvolumeclaims)$/,
    reason: 'a Webspace’s Deployment, Service, claim, HPA and PDB (no Webspace here)',
  },
  {
    grants:
      /^hostplane-operator: patch hostplane\.dev\/(databases|databases\/status|databaseservers\/status)$/,
    reason:
      'a Database’s finalizer and status, a DatabaseServer’s status (no database server here; test/database/database-operator.test.ts)',
  },
  {
    grants: /^hostplane-operator: delete hostplane\.dev\/releases$/,
    reason: 'pruning a Webspace’s old Releases (no push here; test/tenancy/releases.test.ts)',
  },
  {
    grants: /^hostplane-operator: get hostplane\.dev\/(customers|runtimes)$/,
    reason:
      'hostplane-customer-<name> grants them to the customer, and the API server lets the operator grant only what it holds (no escalate)',
  },
  {
    grants: /^hostplane-operator: (create|patch|delete) secrets$/,
    reason:
      'tls.mode secret: the tls-* copy of a tenant’s TLS Secret in hostplane-system (test/e2e/pages.test.ts); with --registry, the pull Secret of customer namespaces (test/tenancy/registry-pull.test.ts)',
  },
  {
    grants: /^hostplane-(operator|syncer): get secrets$/,
    reason:
      'the operator reads a tenant’s TLS Secret to copy it (tls.mode secret), the syncer a site’s git credentials (spec.secretRef)',
  },
  {
    grants: /^hostplane-operator: bind rbac\.authorization\.k8s\.io\/clusterroles$/,
    reason:
      'binding hostplane-tenant and the Secret readers in sh-acme (done here): the API server checks bind then, and audits only the RoleBinding',
  },
  {
    grants: /^hostplane-gitserver: (create|delete|get|list|watch) (batch\/jobs|pods|pods\/log|secrets)$/,
    reason:
      'buildpacks and dockerfile builds: Jobs, their Pods and logs, and each build’s push Secret, by the build runner’s Role in hostplane-builds only (the push here is a layer build; test/build/build-jobs.test.ts)',
  },
  {
    grants: /^hostplane-gitserver: (list|delete) hostplane\.dev\/releases$/,
    reason: 'removing the Releases of a deleted preview branch (test/gitserver/release-gate.test.ts)',
  },
  {
    grants:
      /^hostplane-operator: ((create|patch) batch\/jobs|(create|delete) hostplane\.dev\/(backups|restores|databases)|patch hostplane\.dev\/(backups|backuptargets|backupschedules|restores)\/status|patch hostplane\.dev\/webspaces)$/,
    reason:
      'a Backup’s and a Restore’s Job and status, a drill’s scratch Database, the final-backup finalizer, a BackupTarget’s status (no backup here; test/backup/backup-jobs.test.ts)',
  },
  {
    grants: /^hostplane-operator: delete rbac\.authorization\.k8s\.io\/roles$/,
    reason: 'removing the Role hostplane-tenant of operators before issue 19 (docs/install.md, Upgrading)',
  },
]

/** The user's overlay of dist/k3s: settings (docs/install.md, step 2) and the git host's CA. */
async function writeOverlay(dir: string, git: { address: string; caFile: string }): Promise<void> {
  await mkdir(dir, { recursive: true })
  const configMap = (name: string, data: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: SYSTEM },
    data,
  })
  const settings = [
    configMap('hostplane-operator-settings', {}),
    configMap('hostplane-syncer-settings', {
      HOSTPLANE_ALLOWED_HOSTS: git.address,
      // The git host is on a private address, which the syncer refuses unless allowed.
      HOSTPLANE_ALLOW_PRIVATE_NETWORKS: `${git.address}/32`,
      HOSTPLANE_GIT_CA_FILE: `${GIT_CA_DIR}/ca.crt`,
    }),
    configMap('git-ca', { 'ca.crt': await readFile(git.caFile, 'utf8') }),
  ]
  await writeFile(join(dir, 'settings.yaml'), settings.map((o) => stringify(o)).join('---\n'))
  await writeFile(
    join(dir, 'syncer-git-ca.yaml'),
    stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'hostplane-syncer', namespace: SYSTEM },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'syncer', volumeMounts: [{ name: 'git-ca', mountPath: GIT_CA_DIR, readOnly: true }] },
            ],
            volumes: [{ name: 'git-ca', configMap: { name: 'git-ca' } }],
          },
        },
      },
    }),
  )
  await writeFile(
    join(dir, 'kustomization.yaml'),
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [relative(dir, join(REPO_ROOT, 'dist', 'k3s')), 'settings.yaml'],
      components: [relative(dir, join(REPO_ROOT, 'dist', 'k3s', 'push-to-deploy'))],
      patches: [{ path: 'syncer-git-ca.yaml' }],
    }),
  )
}

type Deployment = Manifest & {
  spec: { replicas: number }
  status?: { readyReplicas?: number; observedGeneration?: number }
}
type Pod = Manifest & { spec: { containers: { name: string; image: string }[] } }

describe('dist/k3s installed on a real API server, its Pods run as their manifests say', { skip }, () => {
  let work: string
  let cluster: TestCluster
  let admin: KubeRest
  let image: UnpackedImage
  let registryImage: UnpackedImage
  let hostRoot: HostRoot
  let gitAddress: PodAddress
  let git: GitFixture
  let traefik: RunningTraefik
  let kubelet: Kubelet
  let objects: Manifest[] = []
  let issuer: RegistryTokenIssuer
  let registryCertificate: Awaited<ReturnType<typeof selfSignedCertificate>>
  const started = performance.now()

  const list = <T extends Manifest>(apiVersion: string, plural: string, namespace?: string) =>
    admin.request<KubeList<T>>('GET', resourcePath({ apiVersion, plural, namespace }))
  const logs = async () =>
    `--- kubelet\n${kubelet?.problems()}\n${(await kubelet?.logs()) ?? ''}\n--- traefik\n${((await traefik?.log()) ?? '').slice(-3000)}`
  const withLogs = async (error: unknown): Promise<never> => {
    throw new Error(`${(error as Error).message}\n${await logs()}`, { cause: error })
  }

  /** The runtime of each image the install names: hostplane's image, or Debian's nginx. */
  const runtimeFor = (reference: string): ImageRuntime => {
    if (reference.startsWith(`${REGISTRY_IMAGE_REPOSITORY}:`))
      return {
        start: ({ command, args, env: variables }, logFile, options) => {
          if (command) throw new Error(`${reference}: the install overrides the image's entrypoint`)
          return registryImage.start(args, logFile, variables, options)
        },
      }
    if (reference.startsWith(`${HOSTPLANE_IMAGE}:`))
      return {
        start: ({ command, args, env: variables }, logFile, options) => {
          if (command) throw new Error(`${reference}: the install overrides the image's entrypoint`)
          return image.start(args, logFile, variables, options)
        },
      }
    if (reference.startsWith('docker.io/nginxinc/nginx-unprivileged'))
      return {
        // The manifest's command as it is: `nginx` is /usr/sbin/nginx in Debian as in that image.
        start: async ({ command = [], args, env: variables }, logFile, options) =>
          startProcess(await hostRoot.command([...command, ...args], options), logFile, {
            PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
            ...variables,
          }),
      }
    throw new Error(`no runtime for the image ${reference}`)
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hostplane-k3s-install-'))
    image = await UnpackedImage.unpack(await imageUnderTest())
    registryImage = await UnpackedImage.unpack(await imageUnderTest(REGISTRY_IMAGE_OUTPUT))
    hostRoot = await HostRoot.create()
    // A cluster of its own: the install's names are the real ones (no other test's objects are
    // judged by its admission policies), and the audit log holds only this install's requests.
    cluster = await TestCluster.start({ auditPolicy: AUDIT_POLICY, log: (line) => console.error(line) })
    admin = new KubeRest(cluster.kubeConfig())
    await admin.request('POST', resourcePath({ apiVersion: 'storage.k8s.io/v1', plural: 'storageclasses' }), {
      body: LOCAL_PATH,
    })
    gitAddress = await createPodAddress()
    git = await GitFixture.start(gitAddress.address)
    await writeOverlay(join(work, 'overlay'), { address: gitAddress.address, caFile: git.server.caFile })
    objects = await kustomizeBuild(join(work, 'overlay'))
    traefik = await startTraefik({ cluster, admin, namespace: 'kube-system', workDir: work, profile: 'k3s' })
    kubelet = new Kubelet({
      cluster,
      admin,
      namespace: SYSTEM,
      nodeName: 'k3s-test-node',
      workDir: work,
      runtimeFor,
    })
  })

  after(async () => {
    await kubelet?.stop()
    await traefik?.stop()
    await git?.stop()
    await gitAddress?.release()
    admin?.close()
    await cluster?.stop()
    await image?.remove()
    await registryImage?.remove()
    await hostRoot?.remove()
    if (work) await rm(work, { recursive: true, force: true })
    console.log(`k3s install end to end: ${((performance.now() - started) / 1000).toFixed(1)} s`)
  })

  it('accepts every object of the overlay by server-side apply', async () => {
    await applyInstall(admin, objects, KUBECTL_FIELD_MANAGER)
  })

  it('runs every Deployment’s Pods, created by the controllers under Pod Security restricted, until all are ready', async () => {
    // cert-manager's part: the Secrets of the registry's self-signed token and pull ticket keys,
    // and of its host.
    await tokenKeyPair(join(work, 'token.key'), join(work, 'token.crt'))
    const tokenKey = await readFile(join(work, 'token.key'), 'utf8')
    issuer = new RegistryTokenIssuer({ issuer: 'hostplane', service: REGISTRY_HOST, privateKey: tokenKey })
    registryCertificate = await selfSignedCertificate({ domains: [REGISTRY_HOST] })
    const secret = (name: string, data: Record<string, string>) =>
      admin.request('POST', resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace: SYSTEM }), {
        body: { metadata: { name }, type: 'kubernetes.io/tls', data },
      })
    await secret('hostplane-registry-token', {
      'tls.key': Buffer.from(tokenKey).toString('base64'),
      'tls.crt': (await readFile(join(work, 'token.crt'))).toString('base64'),
    })
    await secret('hostplane-registry-tls', tlsData(registryCertificate))
    await tokenKeyPair(join(work, 'pull.key'), join(work, 'pull.crt'))
    await secret('hostplane-registry-pull', {
      'tls.key': (await readFile(join(work, 'pull.key'))).toString('base64'),
      'tls.crt': (await readFile(join(work, 'pull.crt'))).toString('base64'),
    })
    await kubelet.start()
    for (const deployment of objects.filter((o): o is Deployment => o.kind === 'Deployment'))
      await waitFor(
        async () => {
          const current = await admin.request<Deployment>(
            'GET',
            resourcePath({
              apiVersion: 'apps/v1',
              plural: 'deployments',
              namespace: SYSTEM,
              name: deployment.metadata.name,
            }),
          )
          return current.status?.readyReplicas === deployment.spec.replicas || undefined
        },
        { timeoutMs: 120_000, intervalMs: 500, describe: () => `${deployment.metadata.name} is not ready` },
      ).catch(withLogs)
    const slices = await list<Manifest & { endpoints?: { conditions: { ready: boolean } }[] }>(
      'discovery.k8s.io/v1',
      'endpointslices',
      SYSTEM,
    )
    const ready = (service: string) =>
      slices.items
        .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === service)
        .flatMap((s) => s.endpoints ?? [])
        .filter((e) => e.conditions.ready).length
    assert.equal(ready('hostplane-nginx'), 2, 'nginx endpoints filled by the EndpointSlice controller')
    assert.equal(ready('hostplane-syncer'), 1)
    assert.equal(ready('hostplane-gitserver'), 1)
    assert.equal(ready('hostplane-registry'), 1)
  })

  it('names the hostplane image by the digest `npm run image` built', async () => {
    const { digest } = await imageUnderTest()
    const pods = await list<Pod>('v1', 'pods', SYSTEM)
    const references = pods.items
      .flatMap((p) => p.spec.containers)
      .filter((c) => c.image.startsWith(`${HOSTPLANE_IMAGE}:`))
      .map((c) => c.image)
    assert.equal(references.length, 4, 'two operators, a syncer and the gitserver')
    for (const reference of references)
      assert.match(reference, new RegExp(`^${HOSTPLANE_IMAGE}(:[^@]+)?@${digest}$`))
  })

  it('serves a Customer’s StaticSite through Traefik from its git repository', async () => {
    await git.repos.create('docs.git', { 'index.html': '<h1>docs of acme</h1>' })
    const customers = resourcePath({ apiVersion: 'hostplane.dev/v1alpha1', plural: 'customers' })
    await admin.request('POST', customers, {
      body: {
        apiVersion: 'hostplane.dev/v1alpha1',
        kind: 'Customer',
        metadata: { name: 'acme' },
        // docs/install.md's first Customer.
        spec: {
          displayName: 'ACME Inc.',
          email: 'ops@acme.example',
          tier: 'shared',
          size: 'small',
          domains: ['acme.example'],
        },
      },
    })
    // The operator creates the tenant namespace; the site goes there once it exists.
    await waitFor(
      () =>
        admin.request('GET', resourcePath({ apiVersion: 'v1', plural: 'namespaces', name: 'sh-acme' })).then(
          () => true,
          () => undefined,
        ),
      { timeoutMs: 60_000, intervalMs: 250, describe: () => 'the operator did not create sh-acme' },
    ).catch(withLogs)
    await admin.request(
      'POST',
      resourcePath({ apiVersion: 'hostplane.dev/v1alpha1', plural: 'staticsites', namespace: 'sh-acme' }),
      {
        body: {
          apiVersion: 'hostplane.dev/v1alpha1',
          kind: 'StaticSite',
          metadata: { name: 'docs', namespace: 'sh-acme' },
          spec: { repo: git.url('docs.git') },
        },
      },
    )
    const site = await waitForSite(
      admin,
      'sh-acme',
      'docs',
      (s: StaticSite) =>
        syncedOf(s)?.status === 'True' &&
        s.status?.conditions?.some((c) => c.type === 'Routed' && c.status === 'True') === true,
      90_000,
    ).catch(withLogs)
    const domain = `docs-sh-acme.${PAGES_DOMAIN}`
    assert.equal(site.status?.url, `https://${domain}/`)
    // cert-manager's part: the Secret the site's Certificate names, self-signed.
    const key = siteKey('sh-acme', 'docs')
    const certificate = await selfSignedCertificate({ domains: [domain] })
    await admin.request('POST', resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace: SYSTEM }), {
      body: { metadata: { name: `${key}-tls` }, type: 'kubernetes.io/tls', data: tlsData(certificate) },
    })
    let last: RawResponse | undefined
    const page = await waitFor(
      async () => {
        last = await sendRequest({
          port: traefik.websecure,
          method: 'GET',
          path: '/',
          headers: { Host: domain },
          tls: { servername: domain, ca: certificate.crt },
        }).catch(() => undefined)
        return last?.status === 200 ? last : undefined
      },
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        describe: () => `https://${domain}/ through Traefik: ${last?.status} ${last?.body.slice(0, 300)}`,
      },
    ).catch(withLogs)
    assert.equal(page.body, '<h1>docs of acme</h1>')
  })

  it('answers 404 for the site once its StaticSite is deleted', async () => {
    await admin.request(
      'DELETE',
      resourcePath({
        apiVersion: 'hostplane.dev/v1alpha1',
        plural: 'staticsites',
        namespace: 'sh-acme',
        name: 'docs',
      }),
    )
    const domain = `docs-sh-acme.${PAGES_DOMAIN}`
    await waitFor(
      async () => {
        const answer = await sendRequest({
          port: traefik.websecure,
          method: 'GET',
          path: '/',
          headers: { Host: domain },
          tls: { servername: domain },
        }).catch(() => undefined)
        return answer?.status === 404 || undefined
      },
      { timeoutMs: 60_000, intervalMs: 250, describe: () => 'the deleted site is still served' },
    ).catch(withLogs)
    await waitFor(
      () =>
        admin
          .request(
            'GET',
            resourcePath({
              apiVersion: 'hostplane.dev/v1alpha1',
              plural: 'staticsites',
              namespace: 'sh-acme',
              name: 'docs',
            }),
          )
          .then(
            () => undefined,
            (error: unknown) => (isNotFound(error) ? true : undefined),
          ),
      { timeoutMs: 60_000, intervalMs: 250, describe: () => 'the StaticSite kept its finalizer' },
    ).catch(withLogs)
  })

  it('builds a customer’s git push into the install’s registry, runs its Release, and lets a node pull it through Traefik with the pull Secret the operator keeps in the customer’s namespace', async () => {
    const podIP = async (component: string) => {
      const pods = await admin.request<KubeList<Manifest & { status?: { podIP?: string } }>>(
        'GET',
        resourcePath({ apiVersion: 'v1', plural: 'pods', namespace: SYSTEM }),
        { query: { labelSelector: `app.kubernetes.io/component=${component}` } },
      )
      const ip = pods.items[0]?.status?.podIP
      assert.ok(ip, `the ${component} pod has an address`)
      return ip
    }
    // The platform admin's Runtime: a base image in the same registry, pinned by digest.
    const runtimes = new RegistryClient({
      registry: REGISTRY_HOST,
      endpoint: `http://${await podIP('registry')}:5000`,
      credentials: {
        kind: 'bearer',
        token: issuer.issue('admin', [{ repository: 'hostplane-runtimes/static', actions: ['pull', 'push'] }])
          .token,
      },
    })
    const signal = AbortSignal.timeout(120_000)
    const base = `${REGISTRY_HOST}/hostplane-runtimes/static@${await pushDockerBase(runtimes, 'hostplane-runtimes/static', signal)}`
    const api = (plural: string, namespace?: string, name?: string) =>
      resourcePath({ apiVersion: 'hostplane.dev/v1alpha1', plural, namespace, name })
    await admin.request('POST', api('runtimes'), {
      body: {
        apiVersion: 'hostplane.dev/v1alpha1',
        kind: 'Runtime',
        metadata: { name: 'static-pushed' },
        spec: { image: base, port: 8080, build: { strategy: 'layer', appDir: '/srv/app' } },
      },
    })
    const keys = join(work, 'keys')
    await mkdir(keys)
    const laptop = await keyPair(keys, 'laptop')
    await admin.request('POST', api('sshkeys', 'sh-acme'), {
      body: {
        apiVersion: 'hostplane.dev/v1alpha1',
        kind: 'SshKey',
        metadata: { name: 'laptop' },
        spec: { publicKey: laptop.publicKey },
      },
    })
    await admin.request('POST', api('webspaces', 'sh-acme'), {
      body: {
        apiVersion: 'hostplane.dev/v1alpha1',
        kind: 'Webspace',
        metadata: { name: 'shop' },
        spec: { runtime: 'static-pushed', git: { branch: 'main' }, replicas: 1 },
      },
    })

    const client = new GitClient(join(work, 'git-client'), await podIP('gitserver'), 2222)
    await mkdir(client.home)
    const { dir, commit } = await client.workTree('shop', { 'index.html': '<h1>shop of acme</h1>\n' })
    // The gitserver creates the repository once it has seen the Webspace and accepts the key once
    // it has seen the SshKey: the first pushes may come too early.
    let pushed: Awaited<ReturnType<GitClient['git']>> | undefined
    await waitFor(
      async () => {
        pushed = await client.git(dir, [laptop.file], ['push', client.url('acme', 'shop'), 'main'])
        return pushed.code === 0 || undefined
      },
      { timeoutMs: 90_000, intervalMs: 2000, describe: () => `git push: ${pushed?.stderr}` },
    ).catch(withLogs)
    const releases = await admin.request<KubeList<Release>>('GET', api('releases', 'sh-acme'))
    const release = releases.items.find((r) => r.spec.commit === commit)
    assert.ok(release, `the accepted push of ${commit} has its Release`)
    assert.match(release.spec.image, new RegExp(`^${REGISTRY_HOST}/hostplane/acme@sha256:[0-9a-f]{64}$`))
    await waitFor(
      async () => {
        const deployment = await admin
          .request<
            Manifest & {
              spec: {
                template: { spec: { containers: { image: string }[]; imagePullSecrets?: { name: string }[] } }
              }
            }
          >(
            'GET',
            resourcePath({
              apiVersion: 'apps/v1',
              plural: 'deployments',
              namespace: 'sh-acme',
              name: 'shop',
            }),
          )
          .catch(() => undefined)
        const spec = deployment?.spec.template.spec
        return (
          (spec?.containers.some((c) => c.image === release.spec.image) &&
            spec.imagePullSecrets?.some((secret) => secret.name === 'hostplane-registry-pull')) ||
          undefined
        )
      },
      { timeoutMs: 60_000, intervalMs: 500, describe: () => 'the operator did not run the Release' },
    ).catch(withLogs)

    // A node's pull, as containerd does it: the challenge, the realm, the manifest by digest.
    const digest = release.spec.image.split('@')[1] ?? ''
    const throughTraefik = (path: string, headers: Record<string, string> = {}) =>
      sendRequest({
        port: traefik.websecure,
        method: 'GET',
        path,
        headers: { Host: REGISTRY_HOST, ...headers },
        tls: { servername: REGISTRY_HOST, ca: registryCertificate.crt },
      })
    const manifestPath = `/v2/hostplane/acme/manifests/${digest}`
    const accept = {
      Accept:
        'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    }
    const challenge = await waitFor(
      async () => {
        const answer = await throughTraefik(manifestPath, accept).catch(() => undefined)
        return answer?.status === 401 ? answer : undefined
      },
      { timeoutMs: 60_000, intervalMs: 250, describe: () => 'Traefik does not route the registry host' },
    ).catch(withLogs)
    assert.equal(
      challenge.headers['www-authenticate'],
      `Bearer realm="https://${REGISTRY_HOST}/registry/token",service="${REGISTRY_HOST}",scope="repository:hostplane/acme:pull"`,
    )
    const token = async (credentials: { username: string; password: string }) =>
      throughTraefik(
        `/registry/token?service=${REGISTRY_HOST}&scope=${encodeURIComponent('repository:hostplane/acme:pull')}`,
        {
          Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
        },
      )
    // The node's credentials: the pull Secret the operator keeps in the customer's namespace.
    const pullSecret = await admin.request<Manifest & { data: Record<string, string> }>(
      'GET',
      resourcePath({
        apiVersion: 'v1',
        plural: 'secrets',
        namespace: 'sh-acme',
        name: 'hostplane-registry-pull',
      }),
    )
    const auths = JSON.parse(
      Buffer.from(pullSecret.data['.dockerconfigjson'] ?? '', 'base64').toString(),
    ) as {
      auths: Record<string, { username: string; password: string }>
    }
    const node = auths.auths[REGISTRY_HOST]
    assert.ok(node, `the pull Secret holds credentials for ${REGISTRY_HOST}`)
    const granted = await token(node)
    assert.equal(granted.status, 200, granted.body)
    const pulled = await throughTraefik(manifestPath, {
      ...accept,
      Authorization: `Bearer ${(JSON.parse(granted.body) as { token: string }).token}`,
    })
    assert.equal(pulled.status, 200, pulled.body)
    assert.equal(`sha256:${createHash('sha256').update(pulled.body).digest('hex')}`, digest)
    // acme's ticket presented as another customer's is refused by the realm.
    const foreign = await token({ ...node, username: 'pull.other' })
    assert.equal(foreign.status, 401, foreign.body)
  })

  it('removes the Customer’s namespace once the Customer is deleted', async () => {
    await admin.request(
      'DELETE',
      resourcePath({ apiVersion: 'hostplane.dev/v1alpha1', plural: 'customers', name: 'acme' }),
    )
    await waitFor(
      () =>
        admin.request('GET', resourcePath({ apiVersion: 'v1', plural: 'namespaces', name: 'sh-acme' })).then(
          () => undefined,
          (error: unknown) => (isNotFound(error) ? true : undefined),
        ),
      { timeoutMs: 90_000, intervalMs: 500, describe: () => 'sh-acme was not deleted' },
    ).catch(withLogs)
  })

  it('the operator, the syncer and the gitserver were refused nothing, and used every grant not listed with its reason', async () => {
    const audit = await readFile(cluster.auditLogPath, 'utf8')
    const unused: Record<string, string[]> = {}
    for (const [account, username, runtime] of [
      ['hostplane-operator', OPERATOR, ['hostplane-operator-tls-secrets']],
      ['hostplane-syncer', SYNCER, ['hostplane-syncer-secrets']],
      ['hostplane-gitserver', GITSERVER, []],
    ] as const) {
      const { used, refused } = usedBy(audit, username)
      assert.deepEqual([...refused], [], `${account} was refused`)
      const granted = grantsOf(objects, { namespace: SYSTEM, name: account }, runtime)
      const beyond = [...used].filter((pair) => !granted.has(pair))
      assert.deepEqual(beyond, [], `${account} used what the install does not grant`)
      for (const pair of granted) if (!used.has(pair)) (unused[account] ??= []).push(pair)
    }
    const unexplained: string[] = []
    const matched = new Set<RegExp>()
    for (const pair of Object.entries(unused).flatMap(([account, pairs]) =>
      pairs.map((p) => `${account}: ${p}`),
    )) {
      const group = NEEDED_BEYOND_THIS_TEST.find(({ grants }) => grants.test(pair))
      if (group) matched.add(group.grants)
      else unexplained.push(pair)
    }
    assert.deepEqual(unexplained.sort(), [], 'granted, unused here, and no reason listed')
    assert.deepEqual(
      NEEDED_BEYOND_THIS_TEST.filter(({ grants }) => !matched.has(grants)).map(({ reason }) => reason),
      [],
      'listed as unused here, but every grant of the group was used',
    )
  })
})
