import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { Informer, type InformerEvent } from '../../src/kube/informer.js'
import type { KubeObject } from '../../src/kube/object.js'
import { KubeRest } from '../../src/kube/rest.js'
import { silentLogger } from '../../src/ops/log.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { waitFor } from '../cluster/process.js'

const env = await clusterForTests()

interface ConfigMap extends KubeObject {
  data?: Record<string, string>
}

describe('Informer on a real API server', { skip: env.skip }, () => {
  let cluster: TestCluster
  let rest: KubeRest
  const namespace = `t-informer-${randomBytes(3).toString('hex')}`
  const configMaps = `/api/v1/namespaces/${namespace}/configmaps`

  const informer = (options: Partial<ConstructorParameters<typeof Informer>[0]> = {}) => {
    const events: InformerEvent<ConfigMap>[] = []
    const instance = new Informer<ConfigMap>({
      rest,
      apiVersion: 'v1',
      plural: 'configmaps',
      namespace,
      log: silentLogger(),
      ...options,
    })
    instance.onChange((event) => events.push(event))
    return { instance, events }
  }
  const eventually = (condition: () => boolean, what: string) =>
    waitFor(() => (condition() ? true : undefined), { timeoutMs: 15_000, describe: () => what })

  before(async () => {
    cluster = await env.get()
    rest = new KubeRest(cluster.kubeConfig())
    await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: namespace } } })
    for (let i = 0; i < 7; i++) {
      await rest.request('POST', configMaps, {
        body: { metadata: { name: `existing-${i}` }, data: { i: String(i) } },
      })
    }
  })
  after(async () => {
    await rest?.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => {})
    rest?.close()
    await env.release()
  })

  it('lists every page before start() resolves, with kind and apiVersion filled in', async () => {
    const { instance, events } = informer({ pageSize: 3 })
    await instance.start()
    try {
      assert.equal(instance.synced, true)
      const names = instance
        .list()
        .map((c) => c.metadata.name)
        .filter((n) => n.startsWith('existing-'))
      assert.equal(names.length, 7)
      assert.ok(
        events.every(
          (e) => e.type === 'added' && e.object.kind === 'ConfigMap' && e.object.apiVersion === 'v1',
        ),
      )
    } finally {
      await instance.stop()
    }
  })

  it('reports adds, updates with the previous object, and deletes, across watch renewals', async () => {
    const { instance, events } = informer({ watchTimeoutSeconds: 1 })
    await instance.start()
    try {
      await rest.request('POST', configMaps, { body: { metadata: { name: 'watched' }, data: { v: '1' } } })
      await eventually(
        () => events.some((e) => e.type === 'added' && e.object.metadata.name === 'watched'),
        'no add',
      )
      // Outlive two server-side watch timeouts: events must keep arriving after renewals.
      await new Promise((resolve) => setTimeout(resolve, 2500))
      await rest.request('PUT', `${configMaps}/watched`, {
        body: { metadata: { name: 'watched' }, data: { v: '2' } },
      })
      await eventually(
        () => events.some((e) => e.type === 'updated' && e.object.data?.v === '2'),
        'no update',
      )
      const update = events.find((e) => e.type === 'updated' && e.object.data?.v === '2')
      assert.equal(update?.previous?.data?.v, '1')
      assert.equal(instance.get(`${namespace}/watched`)?.data?.v, '2')
      await rest.request('DELETE', `${configMaps}/watched`)
      await eventually(
        () => events.some((e) => e.type === 'deleted' && e.object.metadata.name === 'watched'),
        'no delete',
      )
      assert.equal(instance.get(`${namespace}/watched`), undefined)
    } finally {
      await instance.stop()
    }
  })

  it('emits a resync event for every cached object periodically', async () => {
    const { instance, events } = informer({ resyncMs: 300, labelSelector: 'resync=yes' })
    await rest.request('POST', configMaps, {
      body: { metadata: { name: 'resynced', labels: { resync: 'yes' } } },
    })
    await instance.start()
    try {
      await eventually(() => events.filter((e) => e.type === 'resync').length >= 2, 'no resync events')
      assert.ok(events.filter((e) => e.type === 'resync').every((e) => e.object.metadata.name === 'resynced'))
    } finally {
      await instance.stop()
    }
  })

  it('keeps retrying an initial list the caller may not read, and stops cleanly', async () => {
    const { kubeConfig } = await cluster.serviceAccountKubeConfig(namespace, 'nobody')
    const denied = new KubeRest(kubeConfig)
    const { instance } = informer({ rest: denied, backoff: { initialMs: 50, maxMs: 100 } })
    const started = instance.start()
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(instance.synced, false)
    await instance.stop()
    await started
    denied.close()
  })
})
