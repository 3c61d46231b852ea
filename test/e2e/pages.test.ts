/**
 * The whole pages path with real components: kube-apiserver + controller-manager, Traefik v3
 * (kubernetescrd provider), `hostplane operator` and `hostplane syncer` as their own processes with
 * their ServiceAccounts, Debian's nginx with the rendered configuration, and a git host over HTTPS.
 * A visitor's request goes to Traefik only; nothing is simulated between git push and the page.
 */
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { siteKey } from '../../src/api/site-key.js'
import type { KubeObject } from '../../src/kube/object.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { applyManifest } from '../cluster/manifest.js'
import { waitFor } from '../cluster/process.js'
import { freePort, nginxUnavailable } from '../serving/nginx-for-tests.js'
import { sendGithubPush } from '../git/github-push.js'
import { GitFixture } from '../syncer/git-fixture.js'
import { selfSignedCertificate, tlsData } from '../fixtures/tls-certificate.js'
import { podAddressUnavailable } from '../traefik/pod-address.js'
import { traefikUnavailable } from '../traefik/traefik.js'
import { type CliProcess, startCli } from './cli-process.js'
import { PagesStack } from './pages-stack.js'

const env = await clusterForTests()
const skip =
  env.skip || (await nginxUnavailable()) || (await traefikUnavailable()) || (await podAddressUnavailable())
const WEBHOOK_SECRET = 'e2e-webhook-secret'
const DOMAIN = 'home.test'
const ALIAS = 'www.home.test'

describe('git push to page through real Traefik, operator, syncer and nginx', { skip }, () => {
  let stack: PagesStack
  let fx: GitFixture
  let syncer: CliProcess
  let syncerUrl: string
  let tenant: string
  let key: string
  let certificate: { pem: string; key: string; fingerprint: string }

  const https = (path: string, host = DOMAIN) =>
    stack.request({ path, headers: { Host: host }, tls: { servername: host, ca: certificate.pem } })
  const httpsUntil = (path: string, accept: (body: string, status: number) => boolean, timeoutMs?: number) =>
    stack.requestUntil(
      { path, headers: { Host: DOMAIN }, tls: { servername: DOMAIN, ca: certificate.pem } },
      (r) => accept(r.body, r.status),
      timeoutMs,
    )

  /** A self-signed certificate for the site's domains, standing in for the one cert-manager issues. */
  async function selfSigned(domains: readonly string[]) {
    const { crt, key } = await selfSignedCertificate({ domains })
    return { pem: crt, key, fingerprint: new X509Certificate(crt).fingerprint256 }
  }

  before(async () => {
    const cluster = await env.get()
    stack = await PagesStack.start(cluster, { name: 'e2e' })
    const { test, admin, work } = stack
    tenant = await test.createNamespace(`t-e2e-site-${test.tag}`)
    key = siteKey(tenant, 'home')
    fx = await GitFixture.start()
    const syncerAccount = `hostplane-syncer-${test.tag}`
    await applyManifest(admin, 'deploy/rbac/syncer.yaml', {
      'namespace: hostplane-system': `namespace: ${test.systemNamespace}`,
      'name: hostplane-syncer': `name: ${syncerAccount}`,
    })
    const { path: kubeconfig } = await cluster.serviceAccountKubeConfig(test.systemNamespace, syncerAccount)
    const port = await freePort()
    syncerUrl = `http://127.0.0.1:${port}`
    syncer = startCli(
      [
        'syncer',
        ...['--kubeconfig', kubeconfig, '--namespace', tenant, '--listen', `127.0.0.1:${port}`],
        ...['--sites-root', stack.sitesRoot, '--work-dir', join(work, 'syncer')],
        ...['--allowed-hosts', '127.0.0.1', '--allow-private-networks', '127.0.0.1/32'],
        ...['--git-ca-file', fx.server.caFile],
      ],
      join(work, 'syncer.log'),
      { HOSTPLANE_WEBHOOK_SECRET_GITHUB: WEBHOOK_SECRET },
    )
    await waitFor(
      async () =>
        (await fetch(`${syncerUrl}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined,
      { timeoutMs: 60_000, intervalMs: 200, describe: () => 'the syncer did not answer /readyz within 60 s' },
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await syncer.log()}`)
    })
    certificate = await selfSigned([DOMAIN, ALIAS])
  })

  after(async () => {
    await syncer?.stop()
    for (const name of [`hostplane-syncer-${stack?.test.tag}`, `hostplane-syncer-${stack?.test.tag}-secrets`])
      for (const plural of ['clusterroles', 'clusterrolebindings'])
        await stack?.admin
          .request('DELETE', `/apis/rbac.authorization.k8s.io/v1/${plural}/${name}`)
          .catch(() => {})
    await stack?.stop()
    await fx?.stop()
    await env.release()
  })

  it('a new StaticSite is served through Traefik over HTTPS with the Secret its Certificate names', async () => {
    await fx.repos.create('home.git', {
      'index.html': '<h1>home v1</h1>',
      '404.html': '<h1>home has no such page</h1>',
    })
    await stack.test.createSite(tenant, 'home', { repo: fx.url('home.git'), domains: [DOMAIN, ALIAS] })
    const generated = await stack.test.waitUntil('the operator renders the Certificate', () =>
      stack.test.getGenerated<KubeObject & { spec: { secretName: string } }>('Certificate', key),
    )
    const secretName = generated.spec.secretName
    assert.equal(secretName, `${key}-tls`)
    await stack.admin.request('POST', `/api/v1/namespaces/${stack.test.systemNamespace}/secrets`, {
      body: {
        metadata: { name: secretName },
        type: 'kubernetes.io/tls',
        data: {
          'tls.crt': Buffer.from(certificate.pem).toString('base64'),
          'tls.key': Buffer.from(certificate.key).toString('base64'),
        },
      },
    })
    const page = await httpsUntil('/', (body) => body.includes('home v1'), 60_000).catch(
      async (error: unknown) => {
        throw new Error(
          `${(error as Error).message}\n${await stack.logs()}\n--- syncer\n${(await syncer.log()).slice(-2000)}`,
        )
      },
    )
    assert.equal(page.status, 200)
    assert.equal(
      page.certificateFingerprint,
      certificate.fingerprint,
      'Traefik presents the Secret’s certificate',
    )
  })

  it('a pushed commit and a signed webhook reach visitors through Traefik within 5 s', async () => {
    await fx.repos.commit('home.git', {
      'index.html': '<h1>home v2</h1>',
      '404.html': '<h1>home has no such page</h1>',
    })
    const started = performance.now()
    const answer = await sendGithubPush(syncerUrl, WEBHOOK_SECRET, fx.url('home.git'))
    assert.equal(answer.status, 202)
    await httpsUntil('/', (page) => page.includes('home v2'), 10_000)
    const seconds = (performance.now() - started) / 1000
    console.log(`webhook → new content through Traefik: ${seconds.toFixed(2)} s`)
    assert.ok(seconds < 5, `the new commit took ${seconds.toFixed(2)} s to reach visitors`)
  })

  it('a non-canonical domain answers 301 to the canonical one, with path and query', async () => {
    const answer = await https('/about?x=1', ALIAS)
    assert.equal(answer.status, 301)
    assert.equal(answer.headers.location, `https://${DOMAIN}/about?x=1`)
  })

  it('a missing page is the site’s 404 page with status 404', async () => {
    const answer = await https('/no-such-page')
    assert.equal(answer.status, 404)
    assert.match(answer.body, /home has no such page/)
  })

  it('plain HTTP on the web entry point answers 301 to the canonical https URL, from every domain', async () => {
    for (const host of [DOMAIN, ALIAS]) {
      const answer = await stack.request({ path: '/about?x=1', headers: { Host: host } })
      assert.equal(answer.status, 301, `${host}: ${answer.status} ${answer.body}`)
      assert.equal(answer.headers.location, `https://${DOMAIN}/about?x=1`)
    }
  })

  it('with tls.mode secret, Traefik presents the certificate of the Secret in the site namespace, from its copy', async () => {
    const own = await selfSigned([DOMAIN, ALIAS])
    await stack.test.grantTlsSecretReads(tenant)
    await stack.admin.request('POST', `/api/v1/namespaces/${tenant}/secrets`, {
      body: {
        metadata: { name: 'home-cert' },
        type: 'kubernetes.io/tls',
        data: tlsData({ crt: own.pem, key: own.key }),
      },
    })
    await stack.test.updateSite(tenant, 'home', { tls: { mode: 'secret', secretName: 'home-cert' } })
    const page = await stack.requestUntil(
      { path: '/', headers: { Host: DOMAIN }, tls: { servername: DOMAIN, ca: own.pem } },
      (r) => r.certificateFingerprint === own.fingerprint,
      30_000,
    )
    assert.equal(page.status, 200)
    assert.match(page.body, /home v2/)
  })

  it('a deleted site is a 404 for its domain and its published files are gone', async () => {
    await stack.test.deleteSite(tenant, 'home')
    // Without its route Traefik no longer has the site's certificate either: its default one answers.
    await stack.requestUntil(
      { path: '/', headers: { Host: DOMAIN }, tls: { servername: DOMAIN } },
      (r) => r.status === 404 && !r.body.includes('home'),
    )
    await stack.requestUntil({ path: '/', headers: { Host: DOMAIN } }, (r) => r.status === 404)
    await waitFor(() => (existsSync(join(stack.sitesRoot, key)) ? undefined : true), {
      timeoutMs: 20_000,
      describe: () => `${key} is still published`,
    })
    const trees = await readdir(join(stack.sitesRoot, '.hostplane', 'trees')).catch((): string[] => [])
    assert.ok(!trees.includes(key), `trees of ${key} are left: ${trees.join(', ')}`)
  })
})
