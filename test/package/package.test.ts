/**
 * `hostplane package` and `hostplane verify` as a tenant would run them: the real processes, the
 * tenant's own kubeconfig (its RBAC reads Webspaces and Releases), a real API server. The package
 * passes `verify` and coreutils' `sha256sum -c` alike; a tampered one fails `verify` with the
 * file named; an existing directory is never overwritten; and the package, applied by a platform
 * admin after the Release and the Webspace are gone, brings back the same Release with the
 * Webspace pinned to it.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { API_VERSION } from '../../src/api/kind.js'
import { releaseLabels, releaseName } from '../../src/api/release.js'
import type { Customer, Release, Webspace } from '../../src/api/resources.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { Manifest } from '../../src/kube/object.js'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerGroup, customerNamespace } from '../../src/operator/customer/names.js'
import { renderCustomer } from '../../src/operator/customer/render.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { applyTenancyObjects, sharedCustomer, TEST_TENANCY, type TenancyObjects } from '../cluster/tenancy.js'
import { runHostplane, runProcess } from '../e2e/cli-process.js'

const env = await clusterForTests()
const hostplane = (args: readonly string[], cwd?: string) =>
  runHostplane(args, cwd, { KUBECONFIG: '' }, 60_000)

describe('hostplane package and verify, as a tenant', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest
  let tenancy: TenancyObjects
  let dir: string
  let kubeconfig: string
  const id = randomBytes(3).toString('hex')
  const customer = sharedCustomer(`pkg-${id}`)
  const namespace = customerNamespace(customer)
  const commit = randomBytes(20).toString('hex')
  const image = `registry.test/hostplane/${customer.metadata.name}@sha256:${randomBytes(32).toString('hex')}`
  const spec = { webspace: 'shop', branch: 'main', commit }
  const name = releaseName(spec)
  const release: Release = {
    apiVersion: API_VERSION,
    kind: 'Release',
    metadata: { name, namespace, labels: releaseLabels(spec) },
    spec: {
      ...spec,
      image,
      strategy: 'layer',
      pushedBy: { customer: customer.metadata.name, fingerprint: `SHA256:${'Q'.repeat(43)}`, key: 'laptop' },
      buildLog: { digest: `sha256:${'0'.repeat(64)}`, lines: ['built'] },
    },
  }
  const path = (plural: string, object?: string) =>
    resourcePath({ apiVersion: API_VERSION, plural, namespace, name: object })

  before(async () => {
    cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    dir = await mkdtemp(join(tmpdir(), 'hostplane-package-'))
    tenancy = await applyTenancyObjects(admin, TEST_TENANCY, id)
    const created = await admin.request<Customer>(
      'POST',
      resourcePath({ apiVersion: API_VERSION, plural: 'customers' }),
      {
        body: customer,
      },
    )
    customer.metadata.uid = created.metadata.uid
    // Plays the operator: the customer's namespace and tenant RBAC.
    for (const object of renderCustomer(customer, TEST_TENANCY) as Manifest[])
      await admin.apply(manifestPath(object), object, { fieldManager: 'hostplane' })
    const user = await cluster.userKubeConfig(`pat-${id}`, [customerGroup(customer.metadata.name)])
    const exported = JSON.parse(user.exportConfig()) as { contexts: { context: { namespace?: string } }[] }
    for (const context of exported.contexts) context.context.namespace = namespace
    kubeconfig = join(dir, 'tenant.kubeconfig')
    await writeFile(kubeconfig, JSON.stringify(exported), { mode: 0o600 })
    // The tenant writes its Webspace; the build gate (here: the admin) writes the Release.
    const tenant = new KubeRest(user)
    await tenant.request('POST', path('webspaces'), {
      body: {
        apiVersion: API_VERSION,
        kind: 'Webspace',
        metadata: { name: 'shop', namespace },
        spec: {
          runtime: 'php-8.3',
          env: [{ name: 'DB_PASSWORD', secretKeyRef: { name: 'db', key: 'password' } }],
        },
      },
    })
    tenant.close()
    await admin.request('POST', path('releases'), { body: release })
  })

  after(async () => {
    await admin
      ?.request(
        'DELETE',
        resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: customer.metadata.name }),
      )
      .catch(() => {})
    await admin?.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => {})
    await tenancy?.remove()
    admin?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
    await env.release()
  })

  it('packages a Release that verify and sha256sum -c both accept', async () => {
    const out = join(dir, 'v1')
    const made = await hostplane(['package', 'shop', name, '--kubeconfig', kubeconfig, '--out', out])
    assert.equal(made.code, 0, made.stderr)
    assert.match(
      made.stdout,
      new RegExp(`Release ${name} of ${namespace}/shop \\(${image.replace(/[.@]/g, '\\$&')}\\)`),
    )
    const verified = await hostplane(['verify', out])
    assert.equal(verified.code, 0, verified.stdout + verified.stderr)
    assert.match(
      verified.stdout,
      new RegExp(`intact: Release ${name} of ${namespace}/shop, commit ${commit}`),
    )
    const sums = await runProcess(['sha256sum', '-c', 'checksum.sha256'], { cwd: out, env: process.env })
    assert.equal(sums.code, 0, sums.stdout + sums.stderr)
    assert.match(await readFile(join(out, 'secrets-ref.txt'), 'utf8'), /^db password$/m)

    const again = await hostplane(['package', 'shop', name, '--kubeconfig', kubeconfig, '--out', out])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /already exists; a package is never overwritten/)
  })

  it('names what was tampered with', async () => {
    const out = join(dir, 'tampered')
    assert.equal(
      (await hostplane(['package', 'shop', name, '--kubeconfig', kubeconfig, '--out', out])).code,
      0,
    )
    await appendFile(join(out, 'images.txt'), 'registry.test/evil:latest\n')
    const verified = await hostplane(['verify', out, '-o', 'json'])
    assert.equal(verified.code, 1)
    const verdict = JSON.parse(verified.stdout) as { ok: boolean; problems: string[] }
    assert.equal(verdict.ok, false)
    assert.ok(verdict.problems.includes('images.txt does not match its checksum: it changed after packaging'))
  })

  it('says what is missing: a Webspace without a running Release, another Webspace, no access', async () => {
    const none = await hostplane(['package', 'shop', '--kubeconfig', kubeconfig, '--out', join(dir, 'x')])
    assert.equal(none.code, 1)
    assert.match(none.stderr, new RegExp(`Webspace ${namespace}/shop runs no Release yet; name one`))
    const foreign = await hostplane([
      'package',
      'shop',
      name,
      '-n',
      'default',
      '--kubeconfig',
      kubeconfig,
      '--out',
      join(dir, 'y'),
    ])
    assert.equal(foreign.code, 1)
    assert.match(foreign.stderr, /Webspace default\/shop: forbidden/)
    const missing = await hostplane(['verify', join(dir, 'nowhere')])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^hostplane verify: package .*nowhere: does not exist\n$/)
  })

  it('brings the same Release back when applied after it was deleted', async () => {
    const out = join(dir, 'restore')
    assert.equal(
      (await hostplane(['package', 'shop', name, '--kubeconfig', kubeconfig, '--out', out])).code,
      0,
    )
    await admin.request('DELETE', path('releases', name))
    await admin.request('DELETE', path('webspaces', 'shop'))
    const objects = parseAllDocuments(await readFile(join(out, 'manifests', 'all.yaml'), 'utf8')).map(
      (document) => document.toJS() as Manifest,
    )
    for (const object of objects)
      await admin.apply(manifestPath(object), object, { fieldManager: 'hostplane-package' })
    const back = await admin.request<Release>('GET', path('releases', name))
    assert.deepEqual(back.spec, release.spec)
    const webspace = await admin.request<Webspace>('GET', path('webspaces', 'shop'))
    assert.equal(webspace.spec.release, name)
  })
})
