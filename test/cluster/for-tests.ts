/**
 * How a test file gets its cluster. Under `npm test` the runner starts one cluster for all files
 * and names it in HOSTPLANE_TEST_CLUSTER; a file run on its own starts a private one. When no
 * cluster can be built (no Go, outside CI) the suites are reported as skipped with the reason; in
 * CI that is a failure, never a skip.
 */
import { cachedKubeBinaries, ensureKubeBinaries, ToolchainMissingError } from './binaries.js'
import { TestCluster } from './cluster.js'
import { isCI } from './paths.js'

export interface ClusterForTests {
  /** Reason the suite cannot run here, for `describe(name, { skip })`; false when it can. */
  readonly skip: string | false
  /** The cluster, started on first use. */
  get(): Promise<TestCluster>
  /** Stops the cluster if this file started it. */
  release(): Promise<void>
}

export const UNAVAILABLE_ENV = 'HOSTPLANE_TEST_CLUSTER_UNAVAILABLE'
export const CLUSTER_ENV = 'HOSTPLANE_TEST_CLUSTER'

async function unavailableReason(): Promise<string | false> {
  const fromRunner = process.env[UNAVAILABLE_ENV]
  if (fromRunner) return fromRunner
  if (process.env[CLUSTER_ENV] || (await cachedKubeBinaries())) return false
  try {
    await ensureKubeBinaries(() => {})
    return false
  } catch (error) {
    if (error instanceof ToolchainMissingError && !isCI()) return `cluster tests not run: ${error.message}`
    throw error
  }
}

export async function clusterForTests(): Promise<ClusterForTests> {
  const skip = await unavailableReason()
  let cluster: Promise<TestCluster> | undefined
  let owned = false
  return {
    skip,
    get() {
      if (!cluster) {
        const shared = process.env[CLUSTER_ENV]
        owned = !shared
        cluster = shared
          ? TestCluster.attach(shared)
          : TestCluster.start({ log: (line) => console.error(line) })
      }
      return cluster
    },
    async release() {
      if (cluster && owned) await (await cluster).stop()
    },
  }
}
