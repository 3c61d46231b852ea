/**
 * Each committed profile (dist/<profile>/install.yaml, with its push-to-deploy Component's
 * objects: the gitserver and the install's registry) on a real API server, as `kubectl apply
 * --server-side` would send it (./apply-install.ts). Other test files share the cluster and bind
 * deploy/rbac's objects by their real names, so this run renames the system namespace and the cluster-scoped objects
 * (except the CRDs, which are the same as the cluster's) with a suffix of its own (forThisRun).
 * There is no kubelet or scheduler, but the controller-manager's ReplicaSet controller creates
 * the Pods, which Pod Security `restricted` admits or refuses for real. For the k3s profile, the
 * API server's own label selection finds which kube-system pods its NetworkPolicies admit.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { KubeList, Manifest } from '../../src/kube/object.js'
import { KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { waitFor } from '../cluster/process.js'
import { PROFILE_NAMES, profileDir } from '../../deploy/install/profile-files.js'
import { K3S_TRAEFIK_POD_LABELS, PROFILES } from '../../deploy/install/profiles.js'
import { DOMAIN_POLICY_NAME } from '../../src/admission/customer-domains.js'
import { ISSUER_POLICY_NAME } from '../../src/admission/issuer-policy.js'
import { BUILD_POD_POLICY_NAME, BUILDERS_ELSEWHERE_POLICY_NAME } from '../../src/admission/build-pods.js'
import { BUILD_NAMESPACE } from '../../src/build/jobs/settings.js'
import type { ProfileName } from '../../deploy/install/profiles.js'
import type { HostplaneProps } from '../../deploy/install/options.js'
import { applyInstall, applyObject, readInstall } from './apply-install.js'

const env = await clusterForTests()
const FIELD_MANAGER = 'hostplane-install'
const SYSTEM = 'hostplane-system'

type Pod = Manifest & { spec: Record<string, unknown> }
type Deployment = Manifest & {
  spec: { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: Pod['spec'] } }
  status?: { observedGeneration?: number; replicas?: number }
}

/** The install with this run's namespace and cluster-scoped names; CRDs stay as they are. */
function forThisRun(objects: readonly Manifest[], tag: string): Manifest[] {
  const namespace = `t-install-${tag}`
  const renamed = (name: string) => `${name}-${tag}`
  const builds = `t-builds-${tag}`
  const moved: Record<string, string> = { [SYSTEM]: namespace, [BUILD_NAMESPACE]: builds }
  return objects.map((original) => {
    const object = structuredClone(original) as Manifest & {
      roleRef?: { kind: string; name: string }
      subjects?: { namespace?: string }[]
      spec?: { policyName?: string }
    }
    if (object.kind === 'CustomResourceDefinition') return object
    if (object.kind === 'Namespace')
      object.metadata.name = moved[object.metadata.name] ?? object.metadata.name
    else if (object.metadata.namespace) object.metadata.namespace = moved[object.metadata.namespace]
    else object.metadata.name = renamed(object.metadata.name)
    if (object.roleRef?.kind === 'ClusterRole') object.roleRef.name = renamed(object.roleRef.name)
    // Other test files share the cluster: the install's admission policies judge only this run's
    // namespace, not their customers under another pages domain or issuer list.
    if (object.kind === 'ValidatingAdmissionPolicyBinding' && object.spec?.policyName) {
      // The build Pod policy judges this run's build namespace instead.
      const judged = object.spec.policyName === BUILD_POD_POLICY_NAME ? builds : namespace
      object.spec.policyName = renamed(object.spec.policyName)
      Object.assign(object.spec, {
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': judged } } },
      })
    }
    for (const subject of object.subjects ?? [])
      if (subject.namespace === SYSTEM) subject.namespace = namespace
    return object
  })
}

/** Every field of `expected` is in `actual` with the same value (the server adds defaults). */
function assertContains(actual: unknown, expected: unknown, where: string): void {
  if (Array.isArray(expected)) {
    assert.ok(
      Array.isArray(actual) && actual.length === expected.length,
      `${where}: ${JSON.stringify(actual)}`,
    )
    expected.forEach((item, i) => assertContains(actual[i], item, `${where}[${i}]`))
  } else if (expected && typeof expected === 'object') {
    assert.ok(actual && typeof actual === 'object', `${where}: ${JSON.stringify(actual)}`)
    for (const [key, value] of Object.entries(expected))
      assertContains((actual as Record<string, unknown>)[key], value, `${where}.${key}`)
  } else assert.equal(actual, expected, where)
}

/** NetworkPolicies and PodDisruptionBudgets each profile holds, with the gitserver's and the registry's. */
const POLICY_OBJECTS: Record<ProfileName, number> = { generic: 9, k3s: 8, 'k3s-mirror': 9 }

type Peer = {
  ipBlock?: { cidr: string }
  namespaceSelector?: { matchLabels: Record<string, string> }
  podSelector?: { matchLabels: Record<string, string> }
}
type Policy = Manifest & { status?: { typeChecking?: { expressionWarnings?: unknown[] } } }
type NetworkPolicy = Manifest & { spec: { ingress?: { from: Peer[]; ports?: { port: number }[] }[] } }

const selector = (labels: Record<string, string> = {}) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')

for (const profile of PROFILE_NAMES)
  describe(`dist/${profile} applied to a real API server`, { skip: env.skip }, () => {
    let cluster: TestCluster
    let admin: KubeRest
    let objects: Manifest[] = []
    const tag = randomBytes(3).toString('hex')
    const props: HostplaneProps = PROFILES[profile]
    const namespaceOf = () => objects.find((o) => o.kind === 'Namespace')?.metadata.name ?? ''
    const of = <T extends Manifest>(kind: string) => objects.filter((o): o is T => o.kind === kind)
    const apply = (object: Manifest) => applyObject(admin, object, FIELD_MANAGER)
    const get = <T extends Manifest>(object: Manifest) => admin.request<T>('GET', manifestPath(object))

    before(async () => {
      objects = forThisRun(
        [
          ...(await readInstall(join(profileDir(profile), 'install.yaml'))),
          ...(await readInstall(join(profileDir(profile), 'push-to-deploy', 'push-to-deploy.yaml'))),
        ],
        tag,
      )
      cluster = await env.get()
      admin = new KubeRest(cluster.kubeConfig())
    })

    after(async () => {
      // The namespace takes its objects with it; cluster-scoped ones go one by one, CRDs stay.
      for (const object of objects.filter(
        (o) => !o.metadata.namespace && o.kind !== 'CustomResourceDefinition',
      ))
        await admin?.request('DELETE', manifestPath(object)).catch(() => {})
      admin?.close()
      await env.release()
    })

    it('accepts every object by server-side apply, the namespace and the CRDs first', async () => {
      await applyInstall(admin, objects, FIELD_MANAGER)
      for (const object of objects) {
        const stored = await get<Manifest & { metadata: { managedFields?: { manager: string }[] } }>(object)
        assert.ok(
          stored.metadata.managedFields?.some((f) => f.manager === FIELD_MANAGER),
          `${object.kind} ${object.metadata.name} is managed by ${FIELD_MANAGER}`,
        )
      }
    })

    it('lets the controllers create every Deployment’s Pods under Pod Security restricted', async () => {
      const namespace = namespaceOf()
      for (const deployment of of<Deployment>('Deployment')) {
        const labelSelector = selector(deployment.spec.template.metadata.labels)
        await waitFor(
          async () => {
            const pods = await admin.request<KubeList<Pod>>(
              'GET',
              resourcePath({ apiVersion: 'v1', plural: 'pods', namespace }),
              {
                query: { labelSelector },
              },
            )
            return pods.items.length === deployment.spec.replicas || undefined
          },
          {
            timeoutMs: 60_000,
            describe: () =>
              `${deployment.metadata.name}: its ${deployment.spec.replicas} Pods were not created`,
          },
        )
      }
    })

    it('admits each pod template as a Pod, and refuses one that asks for privilege escalation', async () => {
      const namespace = namespaceOf()
      const podsPath = resourcePath({ apiVersion: 'v1', plural: 'pods', namespace })
      const dryRun = (name: string, spec: Pod['spec']) =>
        admin.request<Pod>('POST', podsPath, {
          query: { dryRun: 'All' },
          body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec },
        })
      for (const deployment of of<Deployment>('Deployment'))
        await dryRun(deployment.metadata.name, deployment.spec.template.spec)
      const [first] = of<Deployment>('Deployment')
      assert.ok(first)
      const loosened = structuredClone(first.spec.template.spec) as {
        containers: { securityContext: object }[]
      }
      for (const c of loosened.containers)
        c.securityContext = { ...c.securityContext, allowPrivilegeEscalation: true }
      const refused = await dryRun('loosened', loosened).then(
        () => assert.fail('a Pod with allowPrivilegeEscalation was admitted'),
        (error: unknown) => error,
      )
      assert.ok(refused instanceof KubeApiError && refused.status === 403, String(refused))
      assert.match(refused.message, /violates PodSecurity "restricted/)
    })

    it('changes nothing when applied again: every resourceVersion stays', async () => {
      // Let the Deployment and disruption controllers, and the policies' type checker, finish their
      // own status writes first.
      for (const policy of of('ValidatingAdmissionPolicy'))
        await waitFor(async () => (await get<Policy>(policy)).status?.typeChecking, {
          timeoutMs: 30_000,
          describe: () => `${policy.metadata.name} was not type-checked`,
        })
      for (const object of [...of<Deployment>('Deployment'), ...of('PodDisruptionBudget')])
        await waitFor(
          async () => {
            const current = await get<Manifest & { status?: { observedGeneration?: number } }>(object)
            return current.status?.observedGeneration === current.metadata.generation || undefined
          },
          {
            timeoutMs: 30_000,
            describe: () => `${object.kind} ${object.metadata.name} status did not settle`,
          },
        )
      const reapply = async () => {
        const changed: string[] = []
        for (const object of objects) {
          // The API server's type checker rewrites a policy's status when it likes (seen on the
          // second pass, on Node 24's timing): for policies only a new generation is a change.
          const version = (o: Manifest) =>
            object.kind === 'ValidatingAdmissionPolicy' ? o.metadata.generation : o.metadata.resourceVersion
          const before = version(await get(object))
          const after = version(await apply(object))
          if (before !== after) changed.push(`${object.kind} ${object.metadata.name}`)
        }
        return changed
      }
      // kube-apiserver (v1.35) rewrites a new PersistentVolumeClaim, and a new admission policy
      // whose status its type checker has written, once, on its first update, with no field changed
      // that the API shows but the apply's managed-fields time (the same with kubectl apply
      // --server-side); after that they are as still as every other object.
      const claims = [...of('PersistentVolumeClaim'), ...of('ValidatingAdmissionPolicy')].map(
        (o) => `${o.kind} ${o.metadata.name}`,
      )
      const first = await reapply()
      assert.deepEqual(
        first.filter((c) => !claims.includes(c)),
        [],
      )
      assert.deepEqual(await reapply(), [])
    })

    it('stores the PodDisruptionBudget and the NetworkPolicies as written', async () => {
      const written = [...of('PodDisruptionBudget'), ...of('NetworkPolicy')]
      assert.equal(written.length, POLICY_OBJECTS[profile])
      for (const object of written) {
        const stored = await get<Manifest & { spec: unknown }>(object)
        assertContains(
          stored.spec,
          (object as Manifest & { spec: unknown }).spec,
          `${object.kind} ${object.metadata.name}`,
        )
      }
    })

    it('type-checks the policies that hold the pages domain, the issuers and the build images without a warning', async () => {
      const settings = [
        DOMAIN_POLICY_NAME,
        ISSUER_POLICY_NAME,
        BUILD_POD_POLICY_NAME,
        BUILDERS_ELSEWHERE_POLICY_NAME,
      ].map((name) => `${name}-${tag}`)
      for (const policy of of('ValidatingAdmissionPolicy').filter((p) =>
        settings.includes(p.metadata.name),
      )) {
        const checked = await waitFor(async () => (await get<Policy>(policy)).status?.typeChecking, {
          timeoutMs: 30_000,
          describe: () => `${policy.metadata.name} was not type-checked`,
        })
        assert.deepEqual(checked.expressionWarnings ?? [], [], policy.metadata.name)
      }
    })

    if (props.storage?.mode === 'mirror')
      it('its syncer’s feed port admits exactly the nginx pods the controllers created, no other pod of the install', async () => {
        const namespace = namespaceOf()
        const policy = of<NetworkPolicy>('NetworkPolicy').find((p) => p.metadata.name === 'hostplane-syncer')
        assert.ok(policy)
        const syncer = await get<NetworkPolicy>(policy)
        const feed = (syncer.spec.ingress ?? []).filter((rule) => rule.ports?.some((p) => p.port === 8081))
        const all = await admin.request<KubeList<Pod>>(
          'GET',
          resourcePath({ apiVersion: 'v1', plural: 'pods', namespace }),
        )
        const admitted: string[] = []
        for (const peer of feed.flatMap((rule) => rule.from)) {
          // A peer with a pod selector alone selects pods of the policy's own namespace.
          assert.equal(peer.namespaceSelector, undefined)
          const found = await admin.request<KubeList<Pod>>(
            'GET',
            resourcePath({ apiVersion: 'v1', plural: 'pods', namespace }),
            { query: { labelSelector: selector(peer.podSelector?.matchLabels) } },
          )
          admitted.push(...found.items.map((p) => p.metadata.name))
        }
        const nginx = of<Deployment>('Deployment').find((d) => d.metadata.name === 'hostplane-nginx')
        const isNginx = (p: Pod) =>
          Object.entries(nginx?.spec.template.metadata.labels ?? {}).every(
            ([k, v]) => p.metadata.labels?.[k] === v,
          )
        assert.ok(
          all.items.some((p) => !isNginx(p)),
          'the install has pods other than nginx',
        )
        assert.deepEqual(
          admitted.sort(),
          all.items
            .filter(isNginx)
            .map((p) => p.metadata.name)
            .sort(),
        )
        assert.equal(admitted.length, nginx?.spec.replicas)
      })

    if (props.ingress?.podLabels)
      it('its NetworkPolicies admit k3s’s Traefik pods in kube-system and no other kube-system pod', async () => {
        const pods = resourcePath({ apiVersion: 'v1', plural: 'pods', namespace: 'kube-system' })
        const pod = (name: string, labels: Record<string, string>) =>
          admin.request('POST', pods, {
            body: {
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: { name, labels },
              spec: { containers: [{ name: 'main', image: 'example.invalid/none:1' }] },
            },
          })
        const traefik = `traefik-${tag}`
        const coredns = `coredns-${tag}`
        await pod(traefik, { ...K3S_TRAEFIK_POD_LABELS, 'pod-template-hash': tag })
        await pod(coredns, { 'k8s-app': 'kube-dns' })
        try {
          const policies = of<NetworkPolicy>('NetworkPolicy').filter(
            (p) => p.metadata.name !== 'hostplane-default-deny',
          )
          const fromTraefik = [
            'hostplane-nginx',
            'hostplane-syncer',
            'hostplane-acme-http01-solver',
            // The registry's public host: its blobs, and the gitserver's token realm.
            'hostplane-registry',
            'hostplane-gitserver',
          ]
          for (const policy of policies) {
            const stored = await get<NetworkPolicy>(policy)
            const admitted: string[] = []
            // Addresses (the gitserver's SSH from anywhere) select no pods by label.
            const selecting = (stored.spec.ingress ?? []).flatMap((r) => r.from).filter((p) => !p.ipBlock)
            for (const peer of selecting) {
              // The API server's own label selection: the namespaces the peer names, then their pods.
              const namespaces = await admin.request<KubeList<Manifest>>(
                'GET',
                resourcePath({ apiVersion: 'v1', plural: 'namespaces' }),
                {
                  query: { labelSelector: selector(peer.namespaceSelector?.matchLabels) },
                },
              )
              for (const namespace of namespaces.items) {
                const found = await admin.request<KubeList<Manifest>>(
                  'GET',
                  resourcePath({ apiVersion: 'v1', plural: 'pods', namespace: namespace.metadata.name }),
                  { query: { labelSelector: selector(peer.podSelector?.matchLabels) } },
                )
                admitted.push(
                  ...found.items.map((p) => p.metadata.name).filter((n) => n === traefik || n === coredns),
                )
              }
            }
            assert.deepEqual(
              admitted,
              fromTraefik.includes(policy.metadata.name) ? [traefik] : [],
              policy.metadata.name,
            )
          }
        } finally {
          for (const name of [traefik, coredns])
            await admin
              .request('DELETE', `${pods}/${name}`, { query: { gracePeriodSeconds: '0' } })
              .catch(() => {})
        }
      })
  })
