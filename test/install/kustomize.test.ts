/**
 * The profiles as kustomize bases, built by a real kustomize (test/install/kustomize.ts): each
 * profile directory builds to exactly its install.yaml, and the documented overlay
 * (examples/kustomize-k3s, quoted in docs/install.md) builds to exactly what the Hostplane
 * construct synthesizes with the same options, so its patches reach every object that holds a
 * setting and nothing else.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { App, Chart } from 'cdk8s'
import { parseAllDocuments } from 'yaml'
import { Hostplane } from '../../deploy/install/hostplane.js'
import { PROFILE_NAMES, profileDir } from '../../deploy/install/profile-files.js'
import { PANEL, PROFILES, PUSH_TO_DEPLOY } from '../../deploy/install/profiles.js'
import type { Manifest } from '../../src/kube/object.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { kustomizeBuild } from './kustomize.js'

const parse = (text: string) => parseAllDocuments(text).map((document) => document.toJS() as Manifest)

/** Objects by kind, namespace and name: kustomize orders them its own way. */
const byIdentity = (objects: readonly Manifest[]) =>
  new Map(objects.map((o) => [`${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]))

function assertSameObjects(actual: readonly Manifest[], expected: readonly Manifest[]): void {
  const built = byIdentity(actual)
  const wanted = byIdentity(expected)
  assert.deepEqual([...built.keys()].sort(), [...wanted.keys()].sort())
  for (const [identity, object] of wanted) assert.deepEqual(built.get(identity), object, identity)
}

describe('the profiles as kustomize bases', () => {
  for (const profile of PROFILE_NAMES)
    it(`kustomize build ${profileDir(profile)} gives exactly its install.yaml`, async () => {
      const install = parse(await readFile(join(REPO_ROOT, profileDir(profile), 'install.yaml'), 'utf8'))
      assertSameObjects(await kustomizeBuild(profileDir(profile)), install)
    })

  it('the documented k3s overlay gives what the construct synthesizes with its image digest, replicas, pages domain, issuers and storage', async () => {
    const app = new App()
    new Hostplane(new Chart(app, 'overlay'), 'hostplane', {
      ...PROFILES.k3s,
      image: {
        repository: 'registry.example.com/platform/hostplane',
        digest: 'sha256:0f4a6b2c1d3e5f7a9b8c0d2e4f6a8b0c1d3e5f7a9b8c0d2e4f6a8b0c1d3e5f7a',
      },
      replicas: { nginx: 3 },
      pagesDomain: 'pages.acme.example',
      issuers: { default: 'letsencrypt-production', tenant: ['letsencrypt-staging'] },
      storage: { ...PROFILES.k3s.storage, storageClass: 'longhorn', size: '20Gi' },
    })
    assertSameObjects(await kustomizeBuild('examples/kustomize-k3s'), parse(app.synthYaml()))
  })

  it('the documented push-to-deploy overlay (each profile’s Component) gives what the construct synthesizes with the gitserver and a registry host of its own', async () => {
    const app = new App()
    new Hostplane(new Chart(app, 'overlay'), 'hostplane', {
      ...PROFILES.k3s,
      ...PUSH_TO_DEPLOY,
      registry: { host: 'registry.acme.example' },
    })
    assertSameObjects(await kustomizeBuild('examples/kustomize-k3s-push'), parse(app.synthYaml()))
  })

  it('the documented panel overlay (each profile’s Component) gives what the construct synthesizes with its own host and identity provider', async () => {
    const app = new App()
    new Hostplane(new Chart(app, 'overlay'), 'hostplane', {
      ...PROFILES.k3s,
      panel: {
        ...PANEL.panel,
        host: 'panel.acme.example',
        oidc: {
          issuer: 'https://login.acme.example/realms/hosting',
          clientId: 'acme-panel',
          adminGroup: 'hosting-admins',
        },
      },
    })
    assertSameObjects(await kustomizeBuild('examples/kustomize-k3s-panel'), parse(app.synthYaml()))
  })
})
