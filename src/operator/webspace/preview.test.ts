import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { branchHash } from '../../api/release.js'
import type { Webspace } from '../../api/resources.js'
import type { Manifest } from '../../kube/object.js'
import { customer } from '../customer/fixtures.js'
import { config, release, runtime, webspace } from './fixtures.js'
import { webspaceOf } from './owned.js'
import { planWebspace } from './plan.js'
import { durationMs, PREVIEW_LABEL, previewLabel, previewsOf, renderPreview } from './preview.js'

type RenderedDeployment = Manifest & {
  spec: {
    replicas: number
    selector: unknown
    template: { spec: { containers: { image: string; env?: unknown; volumeMounts?: unknown }[] } }
  }
}
type RenderedRoute = Manifest & { spec: { routes: { match: string }[]; tls?: unknown } }

const withPreviews = (spec: Partial<Webspace['spec']> = {}) =>
  webspace({ git: { branch: 'main', previews: { enabled: true, ttl: '2h' } }, ...spec })
const noon = new Date('2026-03-01T12:30:00Z')
const feature = release('7', 0, { branch: 'login' })
const hash = branchHash('login').slice(0, 8)

describe('branch previews', () => {
  it('reads the ttl as the schema allows it', () => {
    assert.equal(durationMs('168h'), 168 * 3_600_000)
    assert.equal(durationMs('1h30m'), 90 * 60_000)
  })

  it('names the host after the branch when it is a DNS label, else after its hash, and gives up past 63 characters', () => {
    assert.equal(previewLabel('login', 'shop', 'sh-acme'), 'login--shop-sh-acme')
    assert.equal(
      previewLabel('feature/Login', 'shop', 'sh-acme'),
      `b${branchHash('feature/Login').slice(0, 8)}--shop-sh-acme`,
    )
    assert.equal(previewLabel('a--b', 'shop', 'sh-acme'), `b${branchHash('a--b').slice(0, 8)}--shop-sh-acme`)
    assert.equal(
      previewLabel('x'.repeat(60), 'shop', 'sh-acme'),
      `b${branchHash('x'.repeat(60)).slice(0, 8)}--shop-sh-acme`,
    )
    assert.equal(previewLabel('login', 'w'.repeat(50), 'sh-acme'), undefined)
  })

  it('previews the newest Release of each other branch pushed within the ttl, only when enabled and the operator has a preview domain', () => {
    const releases = [
      release('1', 1),
      feature,
      release('8', 5, { branch: 'login' }),
      release('9', 0, { branch: 'old' }),
    ]
    const late = new Date('2026-03-01T14:02:00Z')
    const previews = previewsOf(withPreviews(), releases, 'preview.test', noon)
    assert.deepEqual(
      previews.map((p) => [p.branch, p.release.metadata.name, p.name, p.host, p.expires.toISOString()]),
      [
        ['login', 'shop-8', `shop-p-${hash}`, 'login--shop-sh-acme.preview.test', '2026-03-01T14:05:00.000Z'],
        [
          'old',
          'shop-9',
          `shop-p-${branchHash('old').slice(0, 8)}`,
          'old--shop-sh-acme.preview.test',
          '2026-03-01T14:00:00.000Z',
        ],
      ],
    )
    assert.deepEqual(
      previewsOf(withPreviews(), releases, 'preview.test', late).map((p) => p.branch),
      ['login'],
    )
    assert.deepEqual(previewsOf(webspace(), releases, 'preview.test', noon), [])
    assert.deepEqual(previewsOf(withPreviews(), releases, undefined, noon), [])
  })

  it('renders a Deployment, a Service and an IngressRoute owned by the webspace, without productionOnly env, storage or Certificate, on its own pod selector', () => {
    const ws = withPreviews({
      env: [
        { name: 'APP_ENV', value: 'production' },
        { name: 'DB_PASSWORD', secretKeyRef: { name: 'db', key: 'password' }, productionOnly: true },
      ],
      storage: { size: '1Gi', mountPath: '/data' },
      replicas: 3,
    })
    const [preview] = previewsOf(ws, [feature], 'preview.test', noon)
    assert.ok(preview)
    const objects = renderPreview(ws, runtime, customer({ tier: 'dedicated' }), config, preview)
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      [`Deployment/shop-p-${hash}`, `Service/shop-p-${hash}`, `IngressRoute/shop-p-${hash}`],
    )
    for (const object of objects) {
      assert.equal(object.metadata.labels?.['hostplane.dev/webspace'], 'shop')
      assert.equal(object.metadata.labels?.[PREVIEW_LABEL], hash)
      assert.deepEqual(
        object.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid]),
        [['Webspace', 'shop', 'w-uid']],
      )
      assert.equal(webspaceOf(object), 'sh-acme/shop')
    }
    const [deployment, service, route] = objects as [
      RenderedDeployment,
      Manifest & { spec: { selector: unknown } },
      RenderedRoute,
    ]
    assert.equal(deployment.spec.replicas, 1)
    assert.deepEqual(deployment.spec.selector, {
      matchLabels: { 'hostplane.dev/webspace': `shop-p-${hash}` },
    })
    assert.deepEqual(service.spec.selector, { 'hostplane.dev/webspace': `shop-p-${hash}` })
    const [container] = deployment.spec.template.spec.containers
    assert.equal(container?.image, feature.spec.image)
    assert.deepEqual(container?.env, [{ name: 'APP_ENV', value: 'production' }])
    assert.deepEqual(container?.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }])
    assert.equal(route.spec.routes[0]?.match, 'Host(`login--shop-sh-acme.preview.test`)')
    assert.deepEqual(route.spec.tls, {})
  })

  it('the plan adds the previews to the objects, is due again when the first expires, and drops them after', () => {
    const plan = (now: Date) =>
      planWebspace({
        // No Certificate: its first order would be recorded before anything else.
        webspace: withPreviews({ tls: { mode: 'none' } }),
        runtime,
        customer: customer(),
        deployment: undefined,
        releases: [release('1', 1), feature],
        rivals: [],
        config: { ...config, previewDomain: 'preview.test' },
        now,
      })
    const before = plan(noon)
    assert.ok(before.objects?.some((o) => o.metadata.name === `shop-p-${hash}`))
    assert.deepEqual(before.retryAt, new Date('2026-03-01T14:00:00Z'))
    assert.equal(before.rollout.release, 'shop-1', 'production runs main')
    const after = plan(new Date('2026-03-01T14:00:00Z'))
    assert.ok(!after.objects?.some((o) => o.metadata.name === `shop-p-${hash}`))
    assert.equal(after.retryAt, undefined)
  })
})
