import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { InformerEvent, InformerEventType } from './informer.js'
import { objectIdentity } from './manifest-path.js'
import type { KubeObject } from './object.js'
import { ObjectIndex } from './object-index.js'

const route = (name: string, owner: string, version = '1'): KubeObject => ({
  apiVersion: 'traefik.io/v1alpha1',
  kind: 'IngressRoute',
  metadata: { name, namespace: 'sys', labels: { owner }, resourceVersion: version },
})
const event = (type: InformerEventType, object: KubeObject): InformerEvent<KubeObject> => ({ type, object })
const index = () => new ObjectIndex(objectIdentity, (o) => o.metadata.labels?.owner)
const names = (objects: readonly KubeObject[]) => objects.map((o) => o.metadata.name).sort()

describe('ObjectIndex', () => {
  it('files an added object under its owner and reports that owner', () => {
    const objects = index()
    assert.deepEqual(objects.update(event('added', route('r', 'a'))), ['a'])
    assert.deepEqual(names(objects.get('a')), ['r'])
    assert.deepEqual(objects.get('b'), [])
  })

  it('keeps the latest version of an object whose owner did not change', () => {
    const objects = index()
    objects.update(event('added', route('r', 'a', '1')))
    assert.deepEqual(objects.update(event('updated', route('r', 'a', '2'))), ['a'])
    assert.equal(objects.get('a')[0]?.metadata.resourceVersion, '2')
  })

  it('moves a relabelled object to its new owner, leaving no stale copy, and reports both owners', () => {
    const objects = index()
    objects.update(event('added', route('r', 'a')))
    objects.update(event('added', route('kept', 'a')))
    assert.deepEqual(objects.update(event('updated', route('r', 'b', '2'))), ['a', 'b'])
    assert.deepEqual(names(objects.get('a')), ['kept'])
    assert.deepEqual(names(objects.get('b')), ['r'])
  })

  it('moves an object back and forth without ever filing it twice', () => {
    const objects = index()
    for (const [version, owner] of [
      ['1', 'a'],
      ['2', 'b'],
      ['3', 'a'],
      ['4', 'b'],
    ] as const)
      objects.update(event(version === '1' ? 'added' : 'updated', route('r', owner, version)))
    assert.deepEqual(objects.get('a'), [])
    assert.deepEqual(names(objects.get('b')), ['r'])
  })

  it('removes a deleted object from the owner it is filed under, whatever label the deleted version carries', () => {
    const objects = index()
    objects.update(event('added', route('r', 'a')))
    assert.deepEqual(objects.update(event('deleted', route('r', 'b', '2'))), ['a'])
    assert.deepEqual(objects.get('a'), [])
    assert.deepEqual(objects.get('b'), [])
  })

  it('follows a relist after a watch restart: a missed relabel arrives as an update, a missed delete as a delete', () => {
    const objects = index()
    objects.update(event('added', route('moved', 'a')))
    objects.update(event('added', route('gone', 'a')))
    // What Informer.relist emits for the differences to its previous cache.
    objects.update({ type: 'updated', object: route('moved', 'b', '5'), previous: route('moved', 'a') })
    objects.update(event('deleted', route('gone', 'a')))
    assert.deepEqual(objects.get('a'), [])
    assert.deepEqual(names(objects.get('b')), ['moved'])
  })

  it('drops an object whose new version names no owner, and reports the former owner', () => {
    const objects = index()
    objects.update(event('added', route('r', 'a')))
    const unowned: KubeObject = { ...route('r', 'a', '2'), metadata: { name: 'r', namespace: 'sys' } }
    assert.deepEqual(objects.update(event('updated', unowned)), ['a'])
    assert.deepEqual(objects.get('a'), [])
  })

  it('treats a resync like an update', () => {
    const objects = index()
    objects.update(event('added', route('r', 'a')))
    assert.deepEqual(objects.update(event('resync', route('r', 'b'))), ['a', 'b'])
    assert.deepEqual(names(objects.get('b')), ['r'])
  })
})
