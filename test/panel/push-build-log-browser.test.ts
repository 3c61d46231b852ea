/**
 * A push's build, live on the webspace's page in Chromium, from a real `git push`: the OpenSSH
 * client and git push to `hostplane gitserver` (its own process and ServiceAccount,
 * test/gitserver/harness.ts), which builds the commit as a Job in the build namespace while the
 * push waits; the Job controller makes the build Pod, and the test plays the kubelet for it (the
 * fetch container's download of the commit from the gitserver, then each container's end and
 * termination message). The customer has signed in through the real OpenID Provider and keeps the
 * webspace's page open from before the first push: its lines appear there while the build runs
 * (the push has not returned, the page was never reloaded), then the outcome in words; a failed
 * build shows the build container's own output, the next push's build replaces it on the same
 * page, the Releases are listed, and the page's rollback form pins the first one. Nothing here
 * writes a Webspace's status: the gitserver does.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { API_VERSION } from '../../src/api/kind.js'
import type { Customer, Release, Webspace } from '../../src/api/resources.js'
import { CONTAINER } from '../../src/build/jobs/names.js'
import type { KubeList } from '../../src/kube/object.js'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerNamespace } from '../../src/operator/customer/names.js'
import { registrySkipReason, startRegistry, type TestRegistry } from '../build/registry.js'
import { clusterForTests } from '../cluster/for-tests.js'
import type { ContainerEnd } from '../cluster/job-pod.js'
import type { RunResult } from '../cluster/process.js'
import { sharedCustomer } from '../cluster/tenancy.js'
import { GitServerRun, type KeyPair, keyPair, registryArgs } from '../gitserver/harness.js'
import { type BrowserPanel, startBrowserPanel } from './browser-panel.js'
import { chromiumUnavailable } from './chromium-for-tests.js'
import { type PanelCluster, panelCluster } from './panel-cluster.js'

const env = await clusterForTests()
const skip = env.skip || (await registrySkipReason()) || (await chromiumUnavailable())
const WEBSPACE = 'shop'
/** How long the page may take to show what the gitserver recorded (it writes at most once a second). */
const SHOWN_MS = 20_000

const short = (commit: string) => commit.slice(0, 12)
const digest = (byte: string) => `sha256:${byte.repeat(32)}`

describe("a real push's build, live on the webspace's page in Chromium", { skip }, () => {
  let admin: KubeRest
  let gs: GitServerRun
  let registry: TestRegistry
  let setup: PanelCluster
  let ui: BrowserPanel
  let runtime: string
  let key: KeyPair
  let customer: Customer
  const id = randomBytes(3).toString('hex')

  const name = () => customer.metadata.name
  const webspacePath = () =>
    resourcePath({
      apiVersion: API_VERSION,
      plural: 'webspaces',
      namespace: customerNamespace(customer),
      name: WEBSPACE,
    })
  const releases = async () =>
    (
      await admin.request<KubeList<Release>>(
        'GET',
        resourcePath({ apiVersion: API_VERSION, plural: 'releases', namespace: customerNamespace(customer) }),
      )
    ).items

  before(async () => {
    const cluster = await env.get()
    // Its own client: the panel's setup closes its admin when it is removed.
    admin = new KubeRest(cluster.kubeConfig())
    gs = await GitServerRun.create(cluster, admin)
    await mkdir(join(gs.dir, 'keys'))
    key = await keyPair(join(gs.dir, 'keys'), 'alice')
    // The Customer carries the gitserver run's label (an install labels nothing: it sees all) and
    // alice's key, with which she pushes.
    const shared = sharedCustomer(`pb-${id}`)
    customer = {
      ...shared,
      metadata: { ...shared.metadata, labels: gs.labels },
      spec: { ...shared.spec, sshKeys: [key.publicKey] },
    }
    setup = await panelCluster(cluster, id, [customer])
    registry = await startRegistry()
    // A dockerfile build starts from the pushed Dockerfile, not from the Runtime's image.
    runtime = await gs.runtime('docker', `${registry.address}/hostplane-runtimes/docker:1`, {
      strategy: 'dockerfile',
    })
    await gs.start([...registryArgs(registry), ...(await gs.jobBuilds())])
    ui = await startBrowserPanel(setup, {
      alice: { email: 'alice@push.test', hostplane_customer: name(), groups: ['staff'] },
    })
  })

  after(async () => {
    await ui?.stop()
    if (gs) {
      if (process.env.HOSTPLANE_TEST_KEEP_LOG) console.error(await gs.log())
      await gs.stop()
      await rm(gs.dir, { recursive: true, force: true })
    }
    await registry?.stop()
    await setup?.remove()
    admin?.close()
    await env.release()
  })

  const text = async (page: Page, selector: string) =>
    ((await page.textContent(selector)) ?? '').replace(/[ \t]+/g, ' ').trim()

  /** Waits until `selector`'s text matches, as the page changes it by itself. */
  const shows = (page: Page, selector: string, pattern: RegExp) =>
    page.locator(selector, { hasText: pattern }).waitFor({ timeout: SHOWN_MS })

  /** The build log's lines on the page as they are now. */
  const logLines = async (page: Page) =>
    ((await page.textContent('#build-log')) ?? '').split('\n').filter((line) => line !== '')

  /**
   * `git push` of one commit of `files` to main, with the page open since before it: the Job
   * controller makes the build Pod, the page shows the build running — its commit, its first
   * lines, the Job's among them — while the push still waits and without a reload; then the test
   * plays the kubelet (the fetch container's download, the containers' ends as `ends` says).
   * Returns the commit and the push's result, once the build ended.
   */
  async function pushWatched(
    page: Page,
    work: string,
    files: Record<string, string>,
    ends: Readonly<Record<string, ContainerEnd>>,
  ): Promise<{ commit: string; pushed: RunResult }> {
    const { dir, commit } = await gs.workTree(work, files)
    let pushed: RunResult | undefined
    const pushing = gs.git(dir, [key.file], ['push', '--force', gs.url(name(), WEBSPACE), 'main'])
    void pushing.then((result) => (pushed = result))
    const pod = await gs.buildPod(name())
    await shows(page, '#build-of', new RegExp(`of main at ${short(commit)}`))
    await shows(page, '#build-state', /^building$/)
    await shows(page, '#build-log', /build \S+ started \(dockerfile, /)
    const lines = await logLines(page)
    assert.match(
      lines[0] ?? '',
      new RegExp(`^building release of main at ${short(commit)} \\(dockerfile\\)$`),
    )
    assert.equal(pushed, undefined, 'the lines are on the page before the build ended')
    assert.equal(await page.evaluate('window.openBeforeThePush'), true, 'the page was never reloaded')
    await gs.fetchSource(pod)
    await gs.finishBuild(pod, ends)
    return { commit, pushed: await pushing }
  }

  /** What the build ended with, in the page's words, once it says succeeded; the Release's name. */
  async function succeeded(page: Page): Promise<string> {
    await shows(page, '#build-state', /^succeeded: release shop-[0-9a-f]{12}-[0-9a-f]{6}$/)
    return (await text(page, '#build-state')).replace('succeeded: release ', '')
  }

  const site = (content: string) => ({
    Dockerfile: 'FROM scratch\nCOPY index.html /srv/\n',
    'index.html': content,
  })
  const pushedImage = (byte: string) => ({ [CONTAINER.push]: { exitCode: 0, message: `${digest(byte)}\n` } })

  it('shows each build of a real push live while it runs, then its outcome, lists the Releases, and rolls back to the first', async () => {
    const context = await ui.browser.newContext({ viewport: { width: 1200, height: 900 } })
    const page = await context.newPage()
    const violations: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text())
    })
    await ui.signIn(page, '/webspaces/new', 'alice')
    await page.fill('#field-name', WEBSPACE)
    await page.fill('#field-runtime', runtime)
    await page.selectOption('#field-tls', 'none')
    await page.click('button:has-text("Create webspace")')
    await page.waitForURL(`${ui.panelUrl}/webspaces/${WEBSPACE}?done=created`)
    // Likewise the Webspace, for this run's gitserver: its label is the one thing the test adds.
    await admin.request('PATCH', webspacePath(), {
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: gs.labels } },
    })
    await gs.waitForRepository(name(), WEBSPACE)
    assert.equal(await text(page, '#build-state'), 'never built')
    await page.evaluate('window.openBeforeThePush = true')

    // The first push builds while the page is open, and its build succeeds.
    const first = await pushWatched(page, 'first', site('first\n'), pushedImage('d1'))
    const firstRelease = await succeeded(page)
    assert.equal(first.pushed.code, 0, first.pushed.stderr)
    await shows(page, '#build-log', new RegExp(`Release ${firstRelease} created; the Webspace deploys it`))
    assert.ok(
      (await logLines(page)).includes(`built ${registry.address}/hostplane/${name()}@${digest('d1')}`),
    )
    for (const line of await logLines(page))
      assert.ok(first.pushed.stderr.includes(`remote: ${line}`), `the pusher saw "${line}" too`)
    const created = (await releases()).find((r) => r.metadata.name === firstRelease)
    assert.equal(created?.spec.commit, first.commit, 'the page names the Release of the pushed commit')

    // The second push's build takes the first's place on the page, and fails in the build's own words.
    const second = await pushWatched(
      page,
      'second',
      { Dockerfile: 'FROM scratch\nRUN make\n', 'index.html': 'second\n' },
      {
        [CONTAINER.build]: {
          exitCode: 1,
          message: 'step 2/2 RUN make\nmake: *** No targets specified. Stop.\n',
        },
      },
    )
    await shows(page, '#build-state', /^failed$/)
    await shows(page, '#build-log', /build failed: the build failed: build exited with code 1/)
    const lines = await logLines(page)
    assert.ok(lines.includes('make: *** No targets specified. Stop.'), lines.join('\n'))
    assert.ok(!lines.some((line) => line.includes(firstRelease)), "the first build's lines made way")
    assert.notEqual(second.pushed.code, 0)
    assert.match(
      second.pushed.stderr,
      /remote: push refused: the release of main at [0-9a-f]{12} did not build/,
    )

    // A third push builds again, on the same page still.
    const third = await pushWatched(page, 'third', site('third\n'), pushedImage('d3'))
    const thirdRelease = await succeeded(page)
    assert.equal(third.pushed.code, 0, third.pushed.stderr)

    // The Releases are listed once the page is loaded again, the failed push made none.
    await page.reload()
    const rows = page.locator('table[aria-labelledby="releases"] tbody tr')
    assert.deepEqual(
      (await rows.allTextContents()).map((row) => /shop-[0-9a-f]{12}-[0-9a-f]{6}/.exec(row)?.[0]),
      [thirdRelease, firstRelease],
      'newest first',
    )
    assert.match(await text(page, '#build-state'), new RegExp(`^succeeded: release ${thirdRelease}$`))
    await page.getByRole('button', { name: `Roll back to ${firstRelease}` }).click()
    await page.waitForURL(`${ui.panelUrl}/webspaces/${WEBSPACE}?done=webspace-rolled-back`)
    assert.match((await page.getByRole('status').textContent()) ?? '', /Rolled back/)
    assert.match(await text(page, 'main'), /pinned by a rollback/)
    assert.equal((await admin.request<Webspace>('GET', webspacePath())).spec.release, firstRelease)
    assert.deepEqual(violations, [], 'no page breaks its Content-Security-Policy')
    await context.close()
  })
})
