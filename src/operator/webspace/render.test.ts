import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { API_VERSION } from '../../api/kind.js'
import type { Runtime, Webspace } from '../../api/resources.js'
import type { Manifest } from '../../kube/object.js'
import { customer } from '../customer/fixtures.js'
import { renderWebspace } from './render.js'

const config = { entryPoints: ['websecure'], defaultIssuer: 'letsencrypt', pagesDomain: 'pages.test' }

const runtime: Runtime = {
  apiVersion: API_VERSION,
  kind: 'Runtime',
  metadata: { name: 'php-8.3' },
  spec: {
    image: 'docker.io/trafex/php-nginx:3.6.0',
    port: 8080,
    healthPath: '/fpm-ping',
    env: [{ name: 'A', value: '1' }],
  },
}
const webspace = (spec: Partial<Webspace['spec']> = {}): Webspace => ({
  apiVersion: API_VERSION,
  kind: 'Webspace',
  metadata: { name: 'shop', namespace: 'sh-acme', uid: 'w-uid' },
  spec: { runtime: 'php-8.3', tls: { mode: 'auto' }, git: { branch: 'main' }, ...spec },
})

const byKind = (objects: Manifest[], kind: string) =>
  objects.find((o) => o.kind === kind) as Manifest & Record<string, never>
const at = (object: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], object)

describe('renderWebspace', () => {
  it('renders a shared webspace as Deployment, Service, IngressRoute and Certificate, all owned by it', () => {
    const objects = renderWebspace(webspace(), runtime, customer(), config)
    assert.deepEqual(
      objects.map((o) => o.kind),
      ['Deployment', 'Service', 'IngressRoute', 'Certificate'],
    )
    for (const object of objects) {
      assert.equal(object.metadata.namespace, 'sh-acme')
      assert.equal(object.metadata.ownerReferences?.[0]?.uid, 'w-uid')
    }
  })

  it('runs the Runtime image with the size’s resources, probes on the health path and a restricted security context', () => {
    const deployment = byKind(renderWebspace(webspace(), runtime, customer(), config), 'Deployment')
    const container = at(deployment, 'spec', 'template', 'spec', 'containers', 0) as Record<string, unknown>
    assert.equal(container.image, 'docker.io/trafex/php-nginx:3.6.0')
    assert.deepEqual(container.resources, {
      requests: { cpu: '10m', memory: '32Mi' },
      limits: { cpu: '100m', memory: '128Mi' },
    })
    assert.equal(at(container, 'readinessProbe', 'httpGet', 'path'), '/fpm-ping')
    assert.deepEqual(at(container, 'securityContext'), {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    })
    assert.equal(at(deployment, 'spec', 'template', 'spec', 'securityContext', 'runAsNonRoot'), true)
    assert.equal(at(deployment, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable'), 0)
    assert.equal(at(deployment, 'spec', 'replicas'), 1)
  })

  it('prefers a digest-pinned spec.image and merges runtime and webspace env, secrets by reference', () => {
    const image = `registry.example.com/shop@sha256:${'a'.repeat(64)}`
    const deployment = byKind(
      renderWebspace(
        webspace({ image, env: [{ name: 'DB', secretKeyRef: { name: 'db', key: 'password' } }] }),
        runtime,
        customer(),
        config,
      ),
      'Deployment',
    )
    const container = at(deployment, 'spec', 'template', 'spec', 'containers', 0) as Record<string, unknown>
    assert.equal(container.image, image)
    assert.deepEqual(container.env, [
      { name: 'A', value: '1' },
      { name: 'DB', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
    ])
  })

  it('names the registry pull Secret for images of the tenants’ registry only', () => {
    const pullSecrets = (image: string, registry?: string) =>
      at(
        byKind(
          renderWebspace(webspace(), runtime, customer(), { ...config, registry }, { image }),
          'Deployment',
        ),
        'spec',
        'template',
        'spec',
        'imagePullSecrets',
      )
    const built = `registry.test:5000/hostplane/acme@sha256:${'a'.repeat(64)}`
    assert.deepEqual(pullSecrets(built, 'registry.test:5000'), [{ name: 'hostplane-registry-pull' }])
    assert.equal(pullSecrets(built), undefined, 'no registry configured')
    assert.equal(pullSecrets('docker.io/trafex/php-nginx:3.6.0', 'registry.test:5000'), undefined)
    assert.equal(pullSecrets('registry.test:50001/x/y:1', 'registry.test:5000'), undefined, 'another port')
  })

  it('adds an autoscaler (2–10) and a PodDisruptionBudget on the dedicated tier, leaving replicas to the autoscaler', () => {
    const objects = renderWebspace(
      webspace(),
      runtime,
      customer({ tier: 'dedicated', size: 'xlarge' }),
      config,
    )
    const hpa = byKind(objects, 'HorizontalPodAutoscaler')
    assert.equal(at(hpa, 'spec', 'minReplicas'), 3)
    assert.equal(at(hpa, 'spec', 'maxReplicas'), 10)
    assert.equal(at(byKind(objects, 'PodDisruptionBudget'), 'spec', 'minAvailable'), 1)
    assert.equal(at(byKind(objects, 'Deployment'), 'spec', 'replicas'), undefined)
  })

  it('takes a suspended customer’s webspace offline: no route, zero replicas, no autoscaler', () => {
    const objects = renderWebspace(
      webspace(),
      runtime,
      customer({ tier: 'dedicated', size: 'large', suspended: true }),
      config,
    )
    assert.deepEqual(
      objects.map((o) => o.kind),
      ['Deployment', 'Service', 'Certificate'],
    )
    assert.equal(at(byKind(objects, 'Deployment'), 'spec', 'replicas'), 0)
  })

  it('routes the default pages domain and mounts storage when asked', () => {
    const objects = renderWebspace(
      webspace({ storage: { size: '5Gi', mountPath: '/data' }, tls: { mode: 'none' } }),
      runtime,
      customer(),
      config,
    )
    assert.equal(
      at(byKind(objects, 'IngressRoute'), 'spec', 'routes', 0, 'match'),
      'Host(`shop-sh-acme.pages.test`)',
    )
    assert.equal(at(byKind(objects, 'IngressRoute'), 'spec', 'tls'), undefined)
    assert.equal(
      at(byKind(objects, 'PersistentVolumeClaim'), 'spec', 'resources', 'requests', 'storage'),
      '5Gi',
    )
    assert.ok(!objects.some((o) => o.kind === 'Certificate'))
  })
})
