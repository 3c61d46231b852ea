import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Applier, containsDesired, type KubeWriter } from './apply.js'
import type { KubeObject } from './object.js'

const cases: { name: string; live: unknown; desired: unknown; contained: boolean }[] = [
  {
    name: 'fields the server added (defaults, metadata) do not count as a difference',
    live: { a: 1, b: { c: 2, uid: 'x' } },
    desired: { b: { c: 2 } },
    contained: true,
  },
  { name: 'a changed value is a difference', live: { a: 1 }, desired: { a: 2 }, contained: false },
  { name: 'a missing field is a difference', live: {}, desired: { a: { b: 1 } }, contained: false },
  {
    name: 'a list with an extra item is a difference (we own the whole list)',
    live: { l: [1, 2] },
    desired: { l: [1] },
    contained: false,
  },
  { name: 'lists compare in order', live: { l: [2, 1] }, desired: { l: [1, 2] }, contained: false },
  {
    name: 'objects in lists may carry extra fields',
    live: { l: [{ a: 1, z: 0 }] },
    desired: { l: [{ a: 1 }] },
    contained: true,
  },
  { name: 'key order does not matter', live: { b: 1, a: 2 }, desired: { a: 2, b: 1 }, contained: true },
]

describe('containsDesired', () => {
  for (const c of cases) it(c.name, () => assert.equal(containsDesired(c.live, c.desired), c.contained))
})

describe('Applier.converge', () => {
  const object = (name: string, spec: unknown): KubeObject & { spec: unknown } => ({
    apiVersion: 'traefik.io/v1alpha1',
    kind: 'IngressRoute',
    metadata: { name, namespace: 'sys' },
    spec,
  })
  /** Records every request; an apply of a name in `refuse` fails as a quota would. */
  const recorder = (refuse: readonly string[] = []) => {
    const requests: string[] = []
    const writer: KubeWriter = {
      async request<T>(method: string, path: string, params: { contentType?: string } = {}) {
        const verb = params.contentType === 'application/apply-patch+yaml' ? 'APPLY' : method
        requests.push(`${verb} ${path.split('/').at(-1) ?? ''}`)
        if (verb === 'APPLY' && refuse.some((name) => path.endsWith(`/${name}`))) throw new Error('refused')
        return undefined as T
      },
    }
    return { applier: new Applier(writer, () => {}), requests }
  }

  it('applies the new name of a renamed object before it deletes the old one', async () => {
    const { applier, requests } = recorder()
    assert.equal(await applier.converge([object('route.k', 1)], [object('k', 1)]), true)
    assert.deepEqual(requests, ['APPLY route.k', 'DELETE k'])
  })

  it('still deletes what is no longer desired when an apply is refused, then reports the refusal', async () => {
    const { applier, requests } = recorder(['big'])
    await assert.rejects(applier.converge([object('big', 1)], [object('gone', 1)]), /refused/)
    assert.deepEqual(requests, ['APPLY big', 'DELETE gone'])
  })

  it('writes nothing when the live objects are the desired ones', async () => {
    const { applier, requests } = recorder()
    assert.equal(await applier.converge([object('k', 1)], [object('k', 1)]), false)
    assert.deepEqual(requests, [])
  })
})
