/**
 * The syncer on a test cluster as it runs in an install: the RBAC of deploy/rbac/syncer.yaml (with
 * the test's system namespace), the per-namespace Secret grant the platform operator gives
 * (docs/syncer.md), and the service in-process with its ServiceAccount's token.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { type KubeRest, resourcePath } from '../../src/kube/rest.js'
import { silentLogger } from '../../src/ops/log.js'
import {
  startSyncerService,
  type SyncerService,
  type SyncerServiceConfig,
} from '../../src/syncer/syncer-service.js'
import type { TestCluster } from '../cluster/cluster.js'
import { REPO_ROOT } from '../cluster/paths.js'
import type { GitFixture } from './git-fixture.js'

/** The label that gives a test's sites to its own syncer: test files share a cluster, and two
 * syncers writing one site's status would answer each other's tests. */
export const TEST_SYNCER_LABEL = 'hostplane.dev/test-syncer'

/**
 * The syncer with the token of `system`'s hostplane-syncer ServiceAccount, on a free port,
 * syncing only the sites labelled `TEST_SYNCER_LABEL=<system>`.
 */
export async function startClusterSyncer(
  cluster: TestCluster,
  system: string,
  fx: GitFixture,
  settings: Pick<
    SyncerServiceConfig,
    'webhookSecrets' | 'syncToken' | 'publicUrl' | 'concurrency' | 'timeouts'
  >,
): Promise<{ service: SyncerService; root: string }> {
  const { kubeConfig } = await cluster.serviceAccountKubeConfig(system, 'hostplane-syncer')
  const config = fx.config('cluster')
  const service = await startSyncerService({
    ...config,
    ...settings,
    kubeConfig,
    log: silentLogger(),
    listen: { host: '127.0.0.1', port: 0 },
    siteSelector: `${TEST_SYNCER_LABEL}=${system}`,
  })
  return { service, root: config.sitesRoot }
}

const syncerBindingName = (system: string) => `hostplane-syncer-${system}`

/** Removes what applySyncerRbac created cluster-wide for this test (the ClusterRoles stay, shared). */
export async function removeSyncerRbac(admin: KubeRest, system: string): Promise<void> {
  await admin
    .request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${syncerBindingName(system)}`)
    .catch(() => {})
}

export async function applySyncerRbac(admin: KubeRest, system: string): Promise<void> {
  const manifest = await readFile(join(REPO_ROOT, 'deploy', 'rbac', 'syncer.yaml'), 'utf8')
  for (const doc of parseAllDocuments(manifest)) {
    const object = JSON.parse(JSON.stringify(doc.toJS()).replaceAll('hostplane-system', system)) as {
      apiVersion: string
      kind: string
      metadata: { name: string; namespace?: string }
    }
    // Test files share a cluster: each binds its own ServiceAccount under its own name.
    if (object.kind === 'ClusterRoleBinding') object.metadata.name = syncerBindingName(system)
    const plural = `${object.kind.toLowerCase()}s`
    await admin.apply(
      resourcePath({
        apiVersion: object.apiVersion,
        plural,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
      }),
      object,
      { fieldManager: 'hostplane-test' },
    )
  }
}

/** Lets the syncer of `system` read Secrets in `namespace` (git credentials, webhook secrets). */
export async function grantSyncerSecrets(admin: KubeRest, namespace: string, system: string): Promise<void> {
  await admin.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
    body: {
      metadata: { name: 'hostplane-syncer-secrets' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'hostplane-syncer-secrets',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'hostplane-syncer', namespace: system }],
    },
  })
}
