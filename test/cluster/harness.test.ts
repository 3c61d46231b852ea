import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, describe, it } from 'node:test'
import { KubeRest } from '../../src/kube/rest.js'
import { cleanupStaleClusters, type TestCluster } from './cluster.js'
import { clusterForTests } from './for-tests.js'
import { REPO_ROOT } from './paths.js'
import { commandLine, isAlive, waitFor } from './process.js'

const env = await clusterForTests()

describe('the test cluster harness', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest

  before(async () => {
    cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
  })
  after(async () => {
    admin?.close()
    await env.release()
  })

  it('starts in under a minute from cached binaries (not a rebuild), and the next start cleans up a crashed run', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'test/cluster/fixtures/start-and-hang.ts')],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const [line] = await Promise.race([
      (async () => {
        for await (const l of createInterface({ input: child.stdout })) return [l]
        return []
      })(),
      new Promise<string[]>((_, reject) =>
        child.once('exit', (code) => reject(new Error(`child exited with ${code}`))),
      ),
    ])
    const { dir, seconds } = JSON.parse(line ?? '{}') as { dir: string; seconds: number }
    // What it tells apart is cached binaries (seconds) from a rebuild (minutes); on two shared cores
    // busy with other suites a cached start has taken 32 s, so the bound leaves room for that.
    assert.ok(seconds < 60, `the cluster took ${seconds} s to start`)

    const { pids } = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as {
      pids: Record<string, number>
    }
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    const orphans = Object.values(pids)
    assert.equal(orphans.length, 3)
    assert.ok(
      orphans.every((pid) => isAlive(pid) && commandLine(pid).includes(dir)),
      'the crashed run left its processes behind',
    )

    await cleanupStaleClusters()
    await waitFor(() => (orphans.some(isAlive) ? undefined : true), {
      timeoutMs: 10_000,
      describe: () => 'stale processes are still running',
    })
    assert.equal(existsSync(dir), false, 'stale data was not removed')
  })

  it('runs the controller-manager: garbage collection and namespace deletion finish', async () => {
    const namespace = `t-gc-${process.pid}`
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: namespace } } })
    const owner = await admin.request<{ metadata: { uid: string } }>(
      'POST',
      `/api/v1/namespaces/${namespace}/configmaps`,
      {
        body: { metadata: { name: 'owner' } },
      },
    )
    await admin.request('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }],
        },
      },
    })
    await admin.request('DELETE', `/api/v1/namespaces/${namespace}/configmaps/owner`)
    await waitFor(
      () =>
        admin.request('GET', `/api/v1/namespaces/${namespace}/configmaps/dependent`).then(
          () => undefined,
          () => true,
        ),
      {
        timeoutMs: 30_000,
        intervalMs: 250,
        describe: () => 'the dependent ConfigMap was not garbage-collected',
      },
    )
    await admin.request('DELETE', `/api/v1/namespaces/${namespace}`)
    await waitFor(
      () =>
        admin.request('GET', `/api/v1/namespaces/${namespace}`).then(
          () => undefined,
          () => true,
        ),
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        describe: () => `namespace ${namespace} never finished deleting`,
      },
    )
  })
})
