/**
 * An upgrade from hostplane 0.1.0's single-file install (test/install/fixtures/install-0.1.0.yaml)
 * to dist/generic, the profile with the same storage mode (a ReadWriteMany claim of the default
 * class), as a platform engineer does it by docs/install.md ("Upgrade"): `kubectl apply
 * --server-side` of the new profile over the old install, under kubectl's own field manager. And
 * the move from 0.1.0 to dist/k3s, whose claim cannot be changed in place, by the documented steps.
 *
 * Each cluster is this file's own, because the upgrade starts from 0.1.0's CRDs, which the shared
 * cluster must not have: 0.1.0 was applied before its controllers started, as on a cluster that has
 * run it for a while. The operator runs as its own process from the sources with what its
 * Deployment's container says (args, env, the settings ConfigMap) and its ServiceAccount's token:
 * first as 0.1.0's Deployment had it, then, after the upgrade, as dist/generic's has it, which is
 * what the Deployment controller's rollout replaces it with. No kubelet runs the other workloads.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { CUSTOMER_LABEL, customerGroup, customerNamespace } from '../../src/operator/customer/names.js'
import { CUSTOMERS } from '../../src/operator/customer/owned.js'
import { GENERATED_SELECTOR, SITE_LABEL } from '../../src/operator/staticsite/generated.js'
import { STATICSITES } from '../../src/operator/staticsite/site.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { KubeList, Manifest } from '../../src/kube/object.js'
import { isNotFound, KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { API_WRITES_METRIC } from '../../src/kube/api-writes.js'
import { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { waitFor } from '../cluster/process.js'
import { startCli, type CliProcess } from '../e2e/cli-process.js'
import { freePort } from '../serving/nginx-for-tests.js'
import { profileDir } from '../../deploy/install/profile-files.js'
import {
  appliedFirst,
  applyInstall,
  applyObject,
  KUBECTL_FIELD_MANAGER,
  readInstall,
} from './apply-install.js'
import {
  changedBeyondVersion,
  type ClusterObjects,
  objectId,
  objectsWritten,
  quietClusterObjects,
} from './cluster-objects.js'

const env = await clusterForTests()

const PREVIOUS = 'test/install/fixtures/install-0.1.0.yaml'
const CURRENT = join(profileDir('generic'), 'install.yaml')
const SYSTEM = 'hostplane-system'
const CUSTOMER = 'acme'
const SITE = 'www'

interface Container {
  name: string
  args?: string[]
  env?: { name: string; value?: string }[]
  envFrom?: { configMapRef?: { name: string } }[]
}
type Deployment = Manifest & {
  spec: {
    template: {
      metadata: { labels: Record<string, string> }
      spec: { containers: Container[]; serviceAccountName: string }
    }
  }
}
type Conditioned = Manifest & {
  status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] }
}

interface RunningOperator {
  readonly process: CliProcess
  metrics(): Promise<string>
}

/** Sum of a metric's samples whose labels pass `keep`, from Prometheus text. */
function metricSum(text: string, name: string, keep: (labels: Record<string, string>) => boolean): number {
  let sum = 0
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    )
    if (keep(labels)) sum += Number(match[3])
  }
  return sum
}

/**
 * A cluster of its own that had 0.1.0 installed as its docs said (`kubectl apply --server-side -f
 * dist/install.yaml`) before its controllers started, with a default StorageClass, which gives
 * 0.1.0's claim (it names no class) its class at creation as on a real cluster.
 */
function clusterWithPrevious(
  previous: readonly Manifest[],
  storageClass: { name: string; provisioner: string },
): Promise<TestCluster> {
  return TestCluster.start({
    installCrds: 'third-party',
    log: (line) => console.error(line),
    beforeControllers: async (started) => {
      const rest = new KubeRest(started.kubeConfig())
      try {
        await rest.request(
          'POST',
          resourcePath({ apiVersion: 'storage.k8s.io/v1', plural: 'storageclasses' }),
          {
            body: {
              metadata: {
                name: storageClass.name,
                annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
              },
              provisioner: storageClass.provisioner,
              volumeBindingMode: 'WaitForFirstConsumer',
            },
          },
        )
        await applyInstall(rest, previous, KUBECTL_FIELD_MANAGER)
      } finally {
        rest.close()
      }
    },
  })
}

/**
 * 0.1.0's operator is played by today's sources, which also watch a kind 0.1.0 did not have:
 * Releases. So that it runs as 0.1.0's did, the cluster gets today's Release CRD (the same object
 * the upgrade applies, so applying it again writes nothing) and a grant to list and watch them
 * (test-only, left alone by the upgrade).
 */
function playedByTodaysOperator(current: readonly Manifest[]): { crd: Manifest; grant: Manifest[] } {
  const crd = current.find(
    (o) => o.kind === 'CustomResourceDefinition' && o.metadata.name === 'releases.hostplane.dev',
  )
  assert.ok(crd, 'the profile holds the Release CRD')
  const name = 'hostplane-test-operator-releases'
  return {
    crd,
    grant: [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name },
        rules: [
          { apiGroups: ['hostplane.dev'], resources: ['releases'], verbs: ['list', 'watch', 'delete'] },
        ],
      } as Manifest,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name: 'hostplane-operator', namespace: SYSTEM }],
      } as Manifest,
    ],
  }
}

describe('upgrading 0.1.0’s install to dist/generic', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest
  let work: string
  let previous: Manifest[]
  let current: Manifest[]
  const operators: CliProcess[] = []
  /** The cluster just before the upgrade's apply, and once it has settled after the new operator ran. */
  let beforeUpgrade: ClusterObjects
  let afterUpgrade: ClusterObjects

  const get = <T extends Manifest>(object: Manifest) => admin.request<T>('GET', manifestPath(object))
  const deploymentOf = (objects: readonly Manifest[]) => {
    const found = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'hostplane-operator')
    assert.ok(found, 'the install has the operator Deployment')
    return found as Deployment
  }

  /**
   * `hostplane operator` as the Deployment's container runs it: its args, the keys of the
   * ConfigMaps of its envFrom overridden by its env (the kubelet's order), its ServiceAccount's
   * token, and /healthz, /readyz and /metrics on loopback instead of :8080.
   */
  async function startOperator(deployment: Deployment, name: string): Promise<RunningOperator> {
    const [container] = deployment.spec.template.spec.containers
    assert.ok(container)
    const variables: Record<string, string> = {}
    for (const from of container.envFrom ?? []) {
      if (!from.configMapRef) continue
      const configMap = await admin.request<Manifest & { data?: Record<string, string> }>(
        'GET',
        resourcePath({
          apiVersion: 'v1',
          plural: 'configmaps',
          namespace: SYSTEM,
          name: from.configMapRef.name,
        }),
      )
      Object.assign(variables, configMap.data)
    }
    for (const variable of container.env ?? []) variables[variable.name] = variable.value ?? ''
    const { path } = await cluster.serviceAccountKubeConfig(
      SYSTEM,
      deployment.spec.template.spec.serviceAccountName,
    )
    const port = await freePort()
    const args = (container.args ?? []).map((arg) =>
      arg.startsWith('--listen=') ? `--listen=127.0.0.1:${port}` : arg,
    )
    assert.ok(args.includes(`--listen=127.0.0.1:${port}`), `${name}: the container listens on a flag`)
    const process = startCli([...args, `--kubeconfig=${path}`], join(work, `${name}.log`), {
      ...variables,
      LOG_FORMAT: 'json',
    })
    operators.push(process)
    const url = `http://127.0.0.1:${port}`
    await waitFor(
      async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 250, describe: () => `${name} was not ready` },
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}:\n${(await process.log()).slice(-3000)}`)
    })
    return { process, metrics: async () => (await fetch(`${url}/metrics`)).text() }
  }

  /** Waits until the operator has handled every key it queued since it started. */
  async function untilIdle(operator: RunningOperator, queues: readonly string[]): Promise<void> {
    await waitFor(
      async () => {
        const text = await operator.metrics()
        const handled = queues.every(
          (queue) => metricSum(text, 'hostplane_queue_handled_total', (l) => l.queue === queue) > 0,
        )
        const waiting = metricSum(text, 'hostplane_queue_depth', () => true)
        return handled && waiting === 0 ? true : undefined
      },
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        describe: () => `the operator did not handle ${queues.join(', ')}`,
      },
    )
  }

  const routed = (site: Conditioned) =>
    site.status?.observedGeneration === site.metadata.generation &&
    site.status?.conditions?.some((c) => c.type === 'Routed' && c.status === 'True')

  /** Objects of dist/generic whose manifest is not 0.1.0's (new ones included). */
  const differing = () => {
    const before = new Map(previous.map((o) => [objectId(o), o]))
    return current.filter((o) => !isDeepStrictEqual(before.get(objectId(o)), o)).map(objectId)
  }

  /**
   * Between two listings, exactly the objects whose manifests differ were written, besides what the
   * Deployment controller does for a changed pod template (ReplicaSets, Pods). The API server
   * rewrites some unchanged objects once on their first apply after create, changing nothing but the
   * managed fields' time (install.test.ts): such a write shows as a new version and nothing else.
   */
  function assertWrittenOnlyWhatDiffers(before: ClusterObjects, after: ClusterObjects): void {
    const rolled = current.filter(
      (o): o is Deployment => o.kind === 'Deployment' && differing().includes(objectId(o)),
    )
    const ofRollout = (object: Manifest | undefined) =>
      object?.metadata.namespace === SYSTEM &&
      (object.kind === 'ReplicaSet' || object.kind === 'Pod') &&
      rolled.some((d) =>
        Object.entries(d.spec.template.metadata.labels).every(([k, v]) => object.metadata.labels?.[k] === v),
      )
    // Kubernetes puts its CA ConfigMap and a default ServiceAccount into every new namespace.
    const ofNewNamespace = (object: Manifest | undefined) =>
      (object?.kind === 'ConfigMap' && object.metadata.name === 'kube-root-ca.crt') ||
      (object?.kind === 'ServiceAccount' && object.metadata.name === 'default')
        ? !before.has(`v1 Namespace ${object.metadata.namespace ?? ''}`)
        : false
    const written = objectsWritten(before, after).filter((id) => {
      const object = after.get(id) ?? before.get(id)
      return !ofRollout(object) && !ofNewNamespace(object)
    })
    const changed = written.filter((id) => changedBeyondVersion(before.get(id), after.get(id)))
    console.error(`written: ${written.join(', ')}\nof which changed: ${changed.join(', ')}`)
    assert.deepEqual(changed, differing().sort())
  }

  const sitePath = (namespace: string, name?: string) => resourcePath({ ...STATICSITES, namespace, name })
  const customerPath = (name?: string) => resourcePath({ ...CUSTOMERS, name })

  before(async () => {
    current = await readInstall(CURRENT)
    const played = playedByTodaysOperator(current)
    previous = [...(await readInstall(PREVIOUS)), played.crd]
    work = await mkdtemp(join(tmpdir(), 'hostplane-upgrade-'))
    cluster = await clusterWithPrevious(previous, { name: 'shared', provisioner: 'nfs.example.com/shared' })
    admin = new KubeRest(cluster.kubeConfig())
    for (const object of played.grant) await applyObject(admin, object, 'hostplane-test')
  })

  after(async () => {
    for (const operator of operators) await operator.stop()
    admin?.close()
    await cluster?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('0.1.0, installed as its docs said, routes a customer’s site', async () => {
    // 0.1.0's docs, step 2: the settings ConfigMaps the Deployments read.
    for (const name of ['hostplane-operator-settings', 'hostplane-syncer-settings'])
      await admin.request(
        'POST',
        resourcePath({ apiVersion: 'v1', plural: 'configmaps', namespace: SYSTEM }),
        {
          body: { metadata: { name, namespace: SYSTEM }, data: {} },
        },
      )
    const operator = await startOperator(deploymentOf(previous), 'operator-0.1.0')
    await admin.request('POST', customerPath(), {
      body: {
        apiVersion: CUSTOMERS.apiVersion,
        kind: CUSTOMERS.kind,
        metadata: { name: CUSTOMER },
        spec: {
          displayName: 'Acme',
          email: 'ops@acme.example',
          tier: 'shared',
          size: 'small',
          domains: ['acme.example'],
        },
      },
    })
    const namespace = customerNamespace({ metadata: { name: CUSTOMER }, spec: { tier: 'shared' } })
    await waitFor(
      async () => {
        const customer = await admin.request<Conditioned>('GET', customerPath(CUSTOMER))
        return (
          customer.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') || undefined
        )
      },
      { timeoutMs: 60_000, describe: () => `customer ${CUSTOMER} was not Ready` },
    )
    // The customer's own people create their site, with the rights 0.1.0 gave their group.
    const tenant = new KubeRest(await cluster.userKubeConfig('alice', [customerGroup(CUSTOMER)]))
    try {
      await waitFor(
        () =>
          tenant
            .request('POST', sitePath(namespace), {
              body: {
                apiVersion: STATICSITES.apiVersion,
                kind: STATICSITES.kind,
                metadata: { name: SITE, namespace },
                spec: { repo: 'https://git.acme.example/site.git', domains: ['www.acme.example'] },
              },
            })
            .then(
              () => true,
              // The customer's RoleBinding may trail its Ready by a moment.
              (error: unknown) =>
                error instanceof KubeApiError && error.status === 403 ? undefined : Promise.reject(error),
            ),
        { timeoutMs: 30_000, describe: () => 'the tenant could not create its StaticSite' },
      )
    } finally {
      tenant.close()
    }
    await waitFor(
      async () => routed(await admin.request<Conditioned>('GET', sitePath(namespace, SITE))) || undefined,
      {
        timeoutMs: 60_000,
        describe: () => `StaticSite ${namespace}/${SITE} was not Routed`,
      },
    )
    const generated = await admin.request<KubeList<Manifest>>(
      'GET',
      resourcePath({ apiVersion: 'traefik.io/v1alpha1', plural: 'ingressroutes', namespace: SYSTEM }),
      { query: { labelSelector: GENERATED_SELECTOR } },
    )
    assert.ok(generated.items.length > 0, 'the site has its IngressRoutes')
    await untilIdle(operator, ['customer', 'staticsite'])
  })

  it('applies dist/generic over it by server-side apply, writing only the objects whose manifests differ', async () => {
    beforeUpgrade = await quietClusterObjects(admin)
    await applyInstall(admin, current, KUBECTL_FIELD_MANAGER)
    const applied = await quietClusterObjects(admin)
    assert.deepEqual(
      previous.map(objectId).filter((id) => !current.some((o) => objectId(o) === id)),
      [],
      'dist/generic keeps every object of 0.1.0 (docs/install.md says what dist/k3s leaves out)',
    )
    assert.ok(differing().includes(objectId(deploymentOf(current))), 'the operator Deployment differs')
    assertWrittenOnlyWhatDiffers(beforeUpgrade, applied)

    // CRDs of kinds 0.1.0 did not have are created; the others are updated where they are.
    const kept = current.filter(
      (o) => o.kind === 'CustomResourceDefinition' && previous.some((p) => objectId(p) === objectId(o)),
    )
    for (const crd of kept) {
      const id = objectId(crd)
      assert.equal(
        applied.get(id)?.metadata.uid,
        beforeUpgrade.get(id)?.metadata.uid,
        `${id} is updated in place`,
      )
      const { managedFields } = applied.get(id)?.metadata as { managedFields?: { manager: string }[] }
      assert.deepEqual(
        [...new Set(managedFields?.map((m) => m.manager))].sort(),
        ['kube-apiserver', KUBECTL_FIELD_MANAGER],
        `${id}: kubectl alone owns its spec, so a field a release drops is dropped`,
      )
    }
  })

  it('rolls the operator Deployment: a new ReplicaSet with the new pod template, and its Pods', async () => {
    const deployment = deploymentOf(current)
    const stored = await get<Deployment & { metadata: { uid: string } }>(deployment)
    const replicaSets = await admin.request<
      KubeList<Deployment & { metadata: { ownerReferences?: { uid: string }[] } }>
    >('GET', resourcePath({ apiVersion: 'apps/v1', plural: 'replicasets', namespace: SYSTEM }))
    const owned = replicaSets.items.filter((rs) =>
      rs.metadata.ownerReferences?.some((o) => o.uid === stored.metadata.uid),
    )
    assert.equal(owned.length, 2, 'the 0.1.0 ReplicaSet and a new one')
    const newest = owned.find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '2')
    assert.ok(newest, 'revision 2')
    const [container] = newest.spec.template.spec.containers
    assert.deepEqual(container?.env, deploymentOf(current).spec.template.spec.containers[0]?.env)
    const pods = await admin.request<KubeList<Manifest>>(
      'GET',
      resourcePath({ apiVersion: 'v1', plural: 'pods', namespace: SYSTEM }),
      {
        query: { labelSelector: `pod-template-hash=${newest.metadata.labels?.['pod-template-hash'] ?? ''}` },
      },
    )
    assert.ok(pods.items.length > 0, 'the new ReplicaSet has Pods')
  })

  it('the new operator takes over the site without writing to it or to anything of its customer', async () => {
    // The rollout replaces the 0.1.0 process by one started as dist/generic's Deployment says.
    const old = operators.pop()
    await old?.stop()
    const operator = await startOperator(deploymentOf(current), 'operator-generic')
    await untilIdle(operator, ['customer', 'staticsite'])
    const text = await operator.metrics()
    assert.equal(
      metricSum(text, API_WRITES_METRIC, (l) => l.resource !== 'leases'),
      0,
      `the new operator wrote: ${text
        .split('\n')
        .filter((l) => l.startsWith(API_WRITES_METRIC))
        .join('\n')}`,
    )
    afterUpgrade = await quietClusterObjects(admin)
    assertWrittenOnlyWhatDiffers(beforeUpgrade, afterUpgrade)
    const namespace = customerNamespace({ metadata: { name: CUSTOMER }, spec: { tier: 'shared' } })
    // Cluster-scoped objects of the customer (its namespace, ClusterRole, binding) carry its label.
    const ofTheCustomer = [...afterUpgrade.values()].filter(
      (o) =>
        o.metadata.namespace === namespace ||
        o.metadata.labels?.[CUSTOMER_LABEL] === CUSTOMER ||
        o.metadata.labels?.[SITE_LABEL] !== undefined ||
        o.kind === 'StaticSite' ||
        o.kind === 'Customer',
    )
    const kinds = new Set(ofTheCustomer.map((o) => o.kind))
    for (const kind of [
      'IngressRoute',
      'Middleware',
      'Certificate',
      'Namespace',
      'ResourceQuota',
      'RoleBinding',
    ])
      assert.ok(kinds.has(kind), `the site and its customer have a ${kind}: ${[...kinds].join(', ')}`)
    const written = objectsWritten(beforeUpgrade, afterUpgrade)
    assert.deepEqual(
      ofTheCustomer.map(objectId).filter((id) => written.includes(id)),
      [],
      `nothing of the site or its customer was written (${ofTheCustomer.length} objects)`,
    )
    assert.ok(
      routed(await admin.request<Conditioned>('GET', sitePath(namespace, SITE))),
      'the site is still Routed',
    )
  })

  it('keeps every stored Customer and StaticSite, valid under the new CRDs', async () => {
    const namespace = customerNamespace({ metadata: { name: CUSTOMER }, spec: { tier: 'shared' } })
    for (const [path, id] of [
      [customerPath(CUSTOMER), `${CUSTOMERS.apiVersion} Customer ${CUSTOMER}`],
      [sitePath(namespace, SITE), `${STATICSITES.apiVersion} StaticSite ${namespace}/${SITE}`],
    ] as const) {
      const stored = await admin.request<Manifest>('GET', path)
      assert.equal(stored.metadata.uid, beforeUpgrade.get(id)?.metadata.uid, id)
      // The new schema's validation (and its CEL rules) of the object as stored.
      await admin.request('PUT', path, { query: { dryRun: 'All' }, body: stored })
    }
  })
})

describe('moving 0.1.0’s install to dist/k3s', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest
  let previous: Manifest[]
  let k3s: Manifest[]
  const claim = (objects: readonly Manifest[]) => {
    const found = objects.find((o) => o.kind === 'PersistentVolumeClaim')
    assert.ok(found, 'a sites claim')
    return found
  }

  before(async () => {
    previous = await readInstall(PREVIOUS)
    k3s = await readInstall(join(profileDir('k3s'), 'install.yaml'))
    // k3s's own default class.
    cluster = await clusterWithPrevious(previous, {
      name: 'local-path',
      provisioner: 'rancher.io/local-path',
    })
    admin = new KubeRest(cluster.kubeConfig())
  })

  after(async () => {
    admin?.close()
    await cluster?.stop()
  })

  it('refuses only the sites claim, whose access mode cannot change', async () => {
    const refused: string[] = []
    for (const object of [...k3s.filter(appliedFirst), ...k3s.filter((o) => !appliedFirst(o))])
      await applyObject(admin, object, KUBECTL_FIELD_MANAGER).catch((error: unknown) => {
        assert.match(String(error), /spec is immutable after creation/)
        refused.push(objectId(object))
      })
    assert.deepEqual(refused, [objectId(claim(k3s))])
  })

  it('applies after the deletes docs/install.md lists, leaving nothing of 0.1.0 that dist/k3s has not', async () => {
    const dropped = previous.filter((o) => !k3s.some((k) => objectId(k) === objectId(o)))
    assert.deepEqual(dropped.map(objectId), [
      'policy/v1 PodDisruptionBudget hostplane-system/hostplane-nginx',
    ])
    // kubectl -n hostplane-system delete poddisruptionbudget/hostplane-nginx persistentvolumeclaim/hostplane-sites
    for (const object of [...dropped, claim(previous)]) await admin.request('DELETE', manifestPath(object))
    await waitFor(
      () =>
        admin.request('GET', manifestPath(claim(previous))).then(
          () => undefined,
          (error: unknown) => (isNotFound(error) ? true : Promise.reject(error)),
        ),
      { timeoutMs: 30_000, describe: () => 'the 0.1.0 claim was not deleted' },
    )
    await applyInstall(admin, k3s, KUBECTL_FIELD_MANAGER)
    const stored = await admin.request<
      Manifest & { spec: { accessModes: string[]; storageClassName: string } }
    >('GET', manifestPath(claim(k3s)))
    assert.deepEqual(
      [stored.spec.accessModes, stored.spec.storageClassName],
      [['ReadWriteOnce'], 'local-path'],
    )
    for (const object of dropped)
      await admin.request('GET', manifestPath(object)).then(
        () => assert.fail(`${objectId(object)} is still there`),
        (error: unknown) => assert.ok(isNotFound(error), String(error)),
      )
  })
})
