/**
 * A webspace's build log through the panel on a real API server: the gitserver's own writer
 * (BuildProgress) records a build in the Webspace's status while the test follows it as the
 * customer over server-sent events, as the web UI does.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import type { Customer } from '../../src/api/resources.js'
import { BuildProgress } from '../../src/gitserver/build-progress.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { Manifest } from '../../src/kube/object.js'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerNamespace } from '../../src/operator/customer/names.js'
import { silentLogger } from '../../src/ops/log.js'
import { type PanelProcess, startPanel } from '../../src/panel/panel-service.js'
import { clusterForTests } from '../cluster/for-tests.js'
import {
  applyTenancyObjects,
  createCustomers,
  sharedCustomer,
  TEST_TENANCY,
  type TenancyObjects,
} from '../cluster/tenancy.js'
import { waitFor } from '../cluster/process.js'
import { panelNamespaces, panelRbac } from './panel-rbac.js'

const env = await clusterForTests()

interface Sse {
  readonly event: string
  readonly data: Record<string, unknown>
}

/** An open event stream: the events so far, and whether the server has closed it. */
class EventStream {
  readonly events: Sse[] = []
  closed = false
  private buffer = ''

  constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    void this.read()
  }

  private async read() {
    const reader = (this.response.body ?? assert.fail('no body')).getReader()
    const decoder = new TextDecoder()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        this.buffer += decoder.decode(value, { stream: true })
        let end = this.buffer.indexOf('\n\n')
        while (end >= 0) {
          const frame = this.buffer.slice(0, end)
          this.buffer = this.buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(frame)?.[1]
          const data = /^data: (.*)$/m.exec(frame)?.[1]
          if (event && data) this.events.push({ event, data: JSON.parse(data) as Record<string, unknown> })
          end = this.buffer.indexOf('\n\n')
        }
      }
    } catch {
      // aborted by the test
    }
    this.closed = true
  }

  close() {
    this.abort.abort()
  }

  names() {
    return this.events.map((e) =>
      e.event === 'line' ? `line ${String(e.data.n)}: ${String(e.data.text)}` : e.event,
    )
  }
}

describe("a webspace's build log, live through the panel", { skip: env.skip }, () => {
  let admin: KubeRest
  let tenancy: TenancyObjects
  let rbac: Manifest[]
  let panel: PanelProcess
  /** Starts another panel as the run's ServiceAccount. */
  let startOne: () => Promise<PanelProcess>
  const id = randomBytes(3).toString('hex')
  const a = sharedCustomer(`ba-${id}`)
  const b = sharedCustomer(`bb-${id}`)
  const tokens = new Map<Customer, string>()

  const stream = async (customer: Customer, webspace: string, query = '', url = panel.url) => {
    const abort = new AbortController()
    const response = await fetch(`${url}/api/v1/webspaces/${webspace}/build/events${query}`, {
      headers: { authorization: `Bearer ${tokens.get(customer) ?? ''}` },
      signal: abort.signal,
    })
    return new EventStream(response, abort)
  }

  const progress = (customer: Customer, webspace: string) =>
    new BuildProgress({
      rest: admin,
      log: silentLogger(),
      namespace: customerNamespace(customer),
      webspace,
      branch: 'main',
      commit: randomBytes(20).toString('hex'),
      preview: false,
      flushMs: 50,
    })

  before(async () => {
    const cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    tenancy = await applyTenancyObjects(admin, TEST_TENANCY, id)
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: `hp-panel-${id}` } } })
    rbac = await panelRbac(id)
    for (const object of rbac)
      await admin.apply(manifestPath(object), object, { fieldManager: 'hostplane-test' })
    await createCustomers(admin, [a, b])
    for (const [customer, name] of [
      [a, 'shop'],
      [a, 'blog'],
      [a, 'docs'],
      [b, 'shop'],
    ] as const) {
      const webspace = {
        apiVersion: API_VERSION,
        kind: 'Webspace',
        metadata: { name, namespace: customerNamespace(customer) },
        spec: { runtime: 'php-8.3', tls: { mode: 'none' } },
      } as Manifest
      await admin.request('POST', manifestPath(webspace, { withName: false }), { body: webspace })
    }
    const credentials = await cluster.serviceAccountKubeConfig(`hp-panel-${id}`, `hostplane-panel-${id}`)
    startOne = () =>
      startPanel({
        kubeConfig: credentials.kubeConfig,
        log: silentLogger(),
        listen: { host: '127.0.0.1', port: 0 },
        opsListen: { host: '127.0.0.1', port: 0 },
        ...panelNamespaces(id),
      })
    panel = await startOne()
    for (const customer of [a, b])
      tokens.set(customer, (await panel.panel.tokens.create(customer.metadata.name, 'tests')).token)
  })

  after(async () => {
    await panel?.stop()
    for (const customer of [a, b])
      await admin
        ?.request(
          'DELETE',
          resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: customer.metadata.name }),
        )
        .catch(() => {})
    for (const object of [...(rbac ?? [])].reverse())
      await admin?.request('DELETE', manifestPath(object)).catch(() => {})
    await admin?.request('DELETE', `/api/v1/namespaces/hp-panel-${id}`).catch(() => {})
    await tenancy?.remove()
    admin?.close()
    await env.release()
  })

  it('a webspace never pushed to has no build: the JSON says so and the stream sends `none` and closes', async () => {
    const answer = await fetch(`${panel.url}/api/v1/webspaces/blog/build`, {
      headers: { authorization: `Bearer ${tokens.get(a) ?? ''}` },
    })
    assert.equal(answer.status, 200)
    assert.deepEqual(await answer.json(), {})
    const events = await stream(a, 'blog')
    assert.equal(events.response.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    await waitFor(async () => (events.closed ? true : undefined), {
      timeoutMs: 10_000,
      describe: () => 'open',
    })
    assert.deepEqual(events.names(), ['none'])
  })

  it('follows a running build line by line until it ends, then closes; the JSON holds the same build', async () => {
    const build = progress(a, 'shop')
    build.line('building release of main (layer)')
    await waitFor(
      async () =>
        (
          (await (
            await fetch(`${panel.url}/api/v1/webspaces/shop/build`, {
              headers: { authorization: `Bearer ${tokens.get(a) ?? ''}` },
            })
          ).json()) as { build?: { lineCount: number } }
        ).build?.lineCount === 1
          ? true
          : undefined,
      { timeoutMs: 10_000, describe: () => 'the first line was not recorded' },
    )
    const events = await stream(a, 'shop')
    await waitFor(async () => (events.events.length >= 2 ? true : undefined), {
      timeoutMs: 10_000,
      describe: () => `events: ${events.names().join(', ')}`,
    })
    build.line('layer 1/1 pushed')
    build.line('evil\n\nevent: end')
    await build.finish({ release: 'shop-1' })
    await waitFor(async () => (events.closed ? true : undefined), {
      timeoutMs: 15_000,
      describe: () => `not closed; events: ${events.names().join(', ')}`,
    })
    assert.deepEqual(events.names(), [
      'build',
      'line 1: building release of main (layer)',
      'line 2: layer 1/1 pushed',
      'line 3: evil\n\nevent: end',
      'end',
    ])
    assert.deepEqual(events.events.at(-1)?.data.release, 'shop-1')
    assert.equal(events.events.at(-1)?.data.phase, 'Succeeded')
  })

  it('with follow, a stream opened before any build stays open and follows each build as it starts, the next one after an end too', async () => {
    const events = await stream(a, 'docs', '?follow=true')
    const until = (what: string, done: () => boolean) =>
      waitFor(async () => (done() ? true : undefined), {
        timeoutMs: 10_000,
        describe: () => `${what}; events: ${events.names().join(', ')}`,
      })
    const ends = () => events.events.filter((e) => e.event === 'end')
    try {
      await until('no `none`', () => events.events.length > 0)
      const first = progress(a, 'docs')
      first.line('first build')
      await first.finish({ release: 'docs-1' })
      await until('the first build did not end', () => ends().length === 1)
      const second = progress(a, 'docs')
      second.line('second build')
      await second.finish({ failed: true })
      await until('the second build did not end', () => ends().length === 2)
      assert.deepEqual(events.names(), [
        'none',
        'build',
        'line 1: first build',
        'end',
        'build',
        'line 1: second build',
        'end',
      ])
      assert.deepEqual(
        ends().map((e) => e.data.phase),
        ['Succeeded', 'Failed'],
      )
      assert.equal(events.closed, false, 'the stream is still open for the next build')
    } finally {
      events.close()
    }
  })

  it('a panel that stops ends its open streams at once, a followed one with no build coming too', async () => {
    // Tokens live in the cluster: A's works at this panel too.
    const other = await startOne()
    const events = await stream(a, 'docs', '?follow=true', other.url)
    await waitFor(async () => (events.events.length > 0 ? true : undefined), {
      timeoutMs: 10_000,
      describe: () => 'no event',
    })
    try {
      // Without its streams ended, the stop would wait for this one's 15 minutes.
      const stopped = await Promise.race([
        other.stop().then(() => true),
        new Promise<false>((resolve) => setTimeout(resolve, 5_000, false)),
      ])
      assert.equal(stopped, true, 'the panel stopped within 5 s')
      await waitFor(async () => (events.closed ? true : undefined), {
        timeoutMs: 5_000,
        describe: () => 'the stream is still open',
      })
    } finally {
      events.close()
    }
  })

  it("another customer's webspace of the same name is a 404 before any stream opens", async () => {
    for (const path of ['/api/v1/webspaces/blog/build', '/api/v1/webspaces/blog/build/events']) {
      const answer = await fetch(`${panel.url}${path}`, {
        headers: { authorization: `Bearer ${tokens.get(b) ?? ''}` },
      })
      assert.equal(answer.status, 404, path)
      assert.equal(
        ((await answer.json()) as { error: { code: string } }).error.code,
        'HP_ERR_PANEL_NOT_FOUND',
      )
    }
    const own = await stream(b, 'shop')
    await waitFor(async () => (own.closed ? true : undefined), { timeoutMs: 10_000, describe: () => 'open' })
    assert.deepEqual(own.names(), ['none'], "B's own webspace shows none of A's build")
  })

  it('a customer holds at most four open streams; the fifth is refused with 429 saying why', async () => {
    const running = progress(a, 'blog')
    running.line('building')
    await waitFor(
      async () => {
        const probe = await stream(a, 'blog')
        await waitFor(async () => (probe.events.length > 0 ? true : undefined), {
          timeoutMs: 5000,
          describe: () => 'no event',
        })
        const isRunning = probe.events[0]?.event === 'build'
        probe.close()
        return isRunning ? true : undefined
      },
      { timeoutMs: 10_000, describe: () => 'the build did not show' },
    )
    const open = await Promise.all([1, 2, 3, 4].map(() => stream(a, 'blog')))
    try {
      const fifth = await fetch(`${panel.url}/api/v1/webspaces/blog/build/events`, {
        headers: { authorization: `Bearer ${tokens.get(a) ?? ''}` },
      })
      assert.equal(fifth.status, 429)
      assert.equal(
        ((await fifth.json()) as { error: { code: string } }).error.code,
        'HP_ERR_PANEL_TOO_MANY_STREAMS',
      )
    } finally {
      for (const s of open) s.close()
      await running.finish({ failed: true })
    }
  })
})
