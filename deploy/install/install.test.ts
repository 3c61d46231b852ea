import { renderBuildRunnerRbac } from '../../src/build/jobs/namespace.js'
import { BUILD_NAMESPACE } from '../../src/build/jobs/settings.js'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { OPERATOR_GUARD_NAME } from '../../src/admission/operator-guard.js'
import { renderAdmissionPolicies } from '../../src/admission/policies.js'
import { operatorConfig } from '../../src/cli/operator.js'
import type { Manifest } from '../../src/kube/object.js'
import { App, Chart } from 'cdk8s'
import { commandOptions, parseFlags } from './cli-flags.js'
import { GITSERVER_NAME } from './gitserver.js'
import { PANEL_NAME, PANEL_SETTINGS } from './panel.js'
import { Hostplane } from './hostplane.js'
import { readManifestDir, readManifestFile } from './manifest-files.js'
import { NGINX_SERVICE } from './nginx.js'
import { DEFAULT_RESOURCES, type HostplaneProps } from './options.js'
import {
  PROFILE_NAMES,
  profileDir,
  profileFiles,
  componentDifference,
  synthProfile,
} from './profile-files.js'
import { K3S_TRAEFIK_POD_LABELS, PROFILES, PUSH_TO_DEPLOY } from './profiles.js'
import {
  REGISTRY_FILES,
  REGISTRY_NAME,
  REGISTRY_SETTINGS,
  REGISTRY_TOKEN_SECRET,
  registryConfig,
} from './registry.js'
import { pinnedRegistryImageDigest } from './image-pin.js'
import {
  GITSERVER_RBAC_FILE,
  PANEL_RBAC_FILE,
  RBAC_FILES,
  RBAC_FILES_NAMESPACE,
  TENANT_RBAC_FILE,
} from './rbac.js'
import { REPO_ROOT } from '../../test/cluster/paths.js'

interface Container {
  name: string
  image: string
  args?: string[]
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]
  envFrom?: { configMapRef: { name: string; optional?: boolean } }[]
  ports?: { name: string; containerPort: number }[]
  securityContext: Record<string, unknown>
  resources: { requests: Record<string, string>; limits: Record<string, string> }
  livenessProbe?: { httpGet: { path: string; port: string } }
  readinessProbe?: { httpGet: { path: string; port: string } }
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[]
}
interface SecretProjection {
  name?: string
  secretName?: string
  optional?: boolean
  items?: { key: string; path: string }[]
}
interface Volume {
  name: string
  persistentVolumeClaim?: { claimName: string }
  emptyDir?: { sizeLimit: string }
  ephemeral?: { volumeClaimTemplate: { spec: Record<string, unknown> } }
  secret?: SecretProjection
  projected?: { sources: { secret: SecretProjection }[] }
}
interface PodSpec {
  securityContext: Record<string, unknown>
  affinity?: { podAffinity: Record<string, unknown> }
  automountServiceAccountToken?: boolean
  containers: Container[]
  volumes: Volume[]
}
type Deployment = Manifest & {
  spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { spec: PodSpec } }
}

const SYSTEM_NAMESPACE = RBAC_FILES_NAMESPACE
const parse = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Manifest)
/** The objects of the construct with these options, as a user's cdk8s app would synthesize them. */
const render = (props: HostplaneProps) => {
  const app = new App()
  new Hostplane(new Chart(app, 'test'), 'hostplane', props)
  return parse(app.synthYaml())
}
const objects = parse(synthProfile('generic'))
const k3s = parse(synthProfile('k3s'))
const k3sMirror = parse(synthProfile('k3s-mirror'))
const find = <T extends Manifest = Manifest>(kind: string, name: string, from = objects) => {
  const found = from.find((o) => o.kind === kind && o.metadata.name === name)
  assert.ok(found, `${kind} ${name} is in the install`)
  return found as T
}
const deployment = (name: string, from = objects) => find<Deployment>('Deployment', name, from)
/** A container's env with a plain value (the downward API's are left out). */
const valuesOf = (env: Container['env']): Record<string, string> =>
  Object.fromEntries((env ?? []).flatMap((v) => (v.value === undefined ? [] : [[v.name, v.value]])))
const container = (name: string, from = objects) => {
  const [first] = deployment(name, from).spec.template.spec.containers
  assert.ok(first)
  return first
}
/** An object less the label the chart puts on every install object. */
const withoutPartOf = (object: Manifest): Manifest => {
  const labels = { ...object.metadata.labels }
  delete labels['app.kubernetes.io/part-of']
  const metadata = { ...object.metadata, labels: Object.keys(labels).length ? labels : undefined }
  return JSON.parse(JSON.stringify({ ...object, metadata })) as Manifest
}
describe('the committed profiles', () => {
  for (const profile of PROFILE_NAMES)
    it(`dist/${profile} holds exactly what \`npm run synth\` writes today`, async () => {
      for (const [file, content] of profileFiles(profile)) {
        const path = join(profileDir(profile), file)
        const committed = await readFile(join(REPO_ROOT, path), 'utf8').catch(() => '')
        assert.ok(
          committed === content,
          `${path} is stale: run \`npm run synth\` (or \`npm run gen\`, which also runs it) and commit it`,
        )
      }
    })

  it('each file says at its top that it is generated and by which command', () => {
    for (const profile of PROFILE_NAMES)
      for (const [file, content] of profileFiles(profile))
        assert.match(content, /^# Generated by `npm run synth`/, `${profile}/${file}`)
  })

  it('synthesize the same text twice (stable order, no timestamps)', () => {
    for (const profile of PROFILE_NAMES) assert.equal(synthProfile(profile), synthProfile(profile))
  })

  it('put the namespace and the CRDs before every object that needs them', () => {
    for (const install of [objects, k3s, k3sMirror]) {
      const position = (kind: string) => install.findIndex((o) => o.kind === kind)
      const lastCrd = install.map((o) => o.kind).lastIndexOf('CustomResourceDefinition')
      assert.equal(position('Namespace'), 0)
      assert.ok(lastCrd < position('Runtime'))
    }
  })

  it('each is a kustomize base of its install.yaml, and ships a ClusterIssuer example outside it', () => {
    for (const profile of PROFILE_NAMES) {
      const files = profileFiles(profile)
      const [kustomization] = parse(files.get('kustomization.yaml') ?? '') as unknown as {
        kind: string
        resources: string[]
      }[]
      assert.deepEqual([kustomization?.kind, kustomization?.resources], ['Kustomization', ['install.yaml']])
      const [issuer] = parse(files.get('cluster-issuer.yaml') ?? '')
      assert.equal(issuer?.kind, 'ClusterIssuer')
      assert.equal(issuer?.metadata.name, 'letsencrypt')
      assert.match(JSON.stringify(issuer), /"ingressClassName":"traefik"/)
    }
  })

  it('every object is labelled part-of hostplane', () => {
    for (const object of [...objects, ...k3s, ...k3sMirror])
      assert.equal(object.metadata.labels?.['app.kubernetes.io/part-of'], 'hostplane', object.metadata.name)
  })
})

describe('the install holds the repository objects as they are', () => {
  const same = (source: Manifest) =>
    assert.deepEqual(
      withoutPartOf(find(source.kind, source.metadata.name)),
      withoutPartOf(source),
      `${source.kind} ${source.metadata.name}`,
    )

  it('every CRD exactly as generated in deploy/crds', () => readManifestDir('deploy/crds').forEach(same))
  it('the built-in Runtimes of deploy/runtimes', () => readManifestDir('deploy/runtimes').forEach(same))
  // The least-privilege tests bind these same files to the operator's and syncer's own
  // ServiceAccounts, so the install grants what those tests exercised and nothing more.
  it('the RBAC of deploy/rbac/operator.yaml, deploy/rbac/syncer.yaml and deploy/rbac/tenant.yaml, the build runner’s Role, and no other rights', () => {
    const rbac = [
      ...[...Object.values(RBAC_FILES), TENANT_RBAC_FILE].flatMap(readManifestFile),
      // What test/build/build-jobs.test.ts binds to its runner, for the gitserver's ServiceAccount.
      ...renderBuildRunnerRbac(BUILD_NAMESPACE, { namespace: SYSTEM_NAMESPACE, name: 'hostplane-gitserver' }),
    ]
    rbac.forEach(same)
    const isRbac = (o: Manifest) => o.apiVersion.startsWith('rbac.authorization.k8s.io/')
    assert.equal(objects.filter(isRbac).length, rbac.filter(isRbac).length)
  })

  it('the operator and the syncer run as the ServiceAccounts those files bind', () => {
    for (const [name, path] of Object.entries(RBAC_FILES)) {
      const account = readManifestFile(path).find((o) => o.kind === 'ServiceAccount')
      const spec = deployment(`hostplane-${name}`).spec.template.spec as PodSpec & {
        serviceAccountName: string
      }
      assert.equal(spec.serviceAccountName, account?.metadata.name)
    }
  })
})

describe('admission policies', () => {
  const policies = objects.filter((o) => o.apiVersion.startsWith('admissionregistration.k8s.io/'))

  it('are every policy of src/admission with its binding, for the install’s pages domain and operator', () => {
    const expected = renderAdmissionPolicies({
      pagesDomain: PROFILES.generic.pagesDomain,
      defaultIssuer: 'letsencrypt',
      tenantClusterIssuers: [],
      systemNamespace: SYSTEM_NAMESPACE,
      serviceAccounts: { operator: 'hostplane-operator', syncer: 'hostplane-syncer' },
    })
    assert.deepEqual(policies.map(withoutPartOf), expected.map(withoutPartOf))
    assert.ok(
      JSON.stringify(find('ValidatingAdmissionPolicy', OPERATOR_GUARD_NAME)).includes(
        `system:serviceaccount:${SYSTEM_NAMESPACE}:hostplane-operator`,
      ),
    )
  })

  it('the operator holds no rights on them', () => {
    const operatorRules = readManifestFile(RBAC_FILES.operator).flatMap(
      (o) => (o as Manifest & { rules?: { apiGroups: string[] }[] }).rules ?? [],
    )
    assert.ok(!operatorRules.some((r) => r.apiGroups.includes('admissionregistration.k8s.io')))
  })
})

describe('container args are real flags of the real commands', () => {
  it('the operator args and env alone give a valid operator configuration, with the pages domain and ServiceAccounts of the install', async () => {
    const operator = container('hostplane-operator')
    const [command, ...args] = operator.args ?? []
    assert.equal(command, 'operator')
    const env = valuesOf(operator.env)
    const flags = await parseFlags('operator', args, env)
    const config = operatorConfig(flags as unknown as Parameters<typeof operatorConfig>[0])
    assert.equal(config.systemNamespace, SYSTEM_NAMESPACE)
    assert.equal(config.pagesDomain, PROFILES.generic.pagesDomain)
    const accounts = Object.values(RBAC_FILES).map(
      (path) => readManifestFile(path).find((o) => o.kind === 'ServiceAccount')?.metadata.name,
    )
    assert.deepEqual([config.serviceAccounts.operator, config.serviceAccounts.syncer], accounts)
    assert.equal(config.nginx.service, NGINX_SERVICE)
    const service = find<Manifest & { spec: { ports: { port: number }[] } }>('Service', NGINX_SERVICE)
    assert.equal(config.nginx.port, service.spec.ports[0]?.port)
    assert.equal(flags.ingressNamespace, 'traefik')
    assert.equal(flags.leaderElect, true)
  })

  it('the syncer args with the settings ConfigMap parse, and --sites-root is where the volume is mounted', async () => {
    const syncer = container('hostplane-syncer')
    const [command, ...args] = syncer.args ?? []
    assert.equal(command, 'syncer')
    const flags = await parseFlags('syncer', args, { HOSTPLANE_ALLOWED_HOSTS: 'github.com,*.example.com' })
    assert.deepEqual(flags.allowedHosts, ['github.com', '*.example.com'])
    const sites = syncer.volumeMounts.find((m) => m.name === 'sites')
    assert.equal(flags.sitesRoot, sites?.mountPath)
    assert.ok(syncer.volumeMounts.some((m) => m.mountPath === flags.workDir))
    assert.ok(syncer.volumeMounts.some((m) => m.mountPath === flags.secretsDir))
  })

  it('a flag the command does not know is refused, so a renamed flag fails this test', async () => {
    await assert.rejects(parseFlags('operator', ['--system-namespaces=x']), /unknown option/)
  })

  it('the syncer refuses to start without allowed hosts, so the settings ConfigMap is required', async () => {
    await assert.rejects(
      parseFlags('syncer', container('hostplane-syncer').args?.slice(1) ?? []),
      /allowed-hosts/,
    )
  })
})

describe('workloads', () => {
  const names = ['hostplane-operator', 'hostplane-syncer', NGINX_SERVICE]

  it('every container runs restricted: non-root fixed UID, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    for (const name of names) {
      const { securityContext } = container(name)
      assert.equal(securityContext.runAsNonRoot, true, name)
      assert.ok(Number(securityContext.runAsUser) > 0, name)
      assert.equal(securityContext.readOnlyRootFilesystem, true, name)
      assert.equal(securityContext.allowPrivilegeEscalation, false, name)
      assert.deepEqual(securityContext.capabilities, { drop: ['ALL'] }, name)
      assert.deepEqual(securityContext.seccompProfile, { type: 'RuntimeDefault' }, name)
    }
  })

  it('every container has requests, limits and probes on its health endpoints', () => {
    const health: Record<string, [string, string]> = {
      'hostplane-operator': ['/healthz', '/readyz'],
      'hostplane-syncer': ['/healthz', '/readyz'],
      [NGINX_SERVICE]: ['/healthz', '/healthz'],
    }
    for (const name of names) {
      const c = container(name)
      assert.ok(c.resources.requests.cpu && c.resources.requests.memory, name)
      assert.ok(c.resources.limits.cpu && c.resources.limits.memory, name)
      assert.deepEqual([c.livenessProbe?.httpGet.path, c.readinessProbe?.httpGet.path], health[name], name)
    }
  })

  it('nginx has two replicas, a PodDisruptionBudget and the rendered configuration serving the sites volume read-only', () => {
    assert.equal(deployment(NGINX_SERVICE).spec.replicas, 2)
    const pdb = find<Manifest & { spec: { minAvailable: number } }>('PodDisruptionBudget', NGINX_SERVICE)
    assert.equal(pdb.spec.minAvailable, 1)
    const config = find<Manifest & { data: Record<string, string> }>('ConfigMap', NGINX_SERVICE)
    assert.match(config.data['nginx.conf'] ?? '', /root \/sites;/)
    assert.match(config.data['nginx.conf'] ?? '', /location = \/healthz/)
    assert.equal(container(NGINX_SERVICE).volumeMounts.find((m) => m.name === 'sites')?.readOnly, true)
  })
})

describe('the construct’s options', () => {
  const DIGEST = `sha256:${'a'.repeat(64)}`
  const operatorEnv = (from: Manifest[]) => valuesOf(container('hostplane-operator', from).env)

  it('image by digest (or tag and digest) reaches the operator and the syncer', () => {
    const custom = render({
      pagesDomain: 'pages.test',
      image: { repository: 'registry.example.com/hostplane', digest: DIGEST },
      nginxImage: { repository: 'registry.example.com/nginx', tag: '1.28', digest: DIGEST },
    })
    for (const name of ['hostplane-operator', 'hostplane-syncer'])
      assert.equal(container(name, custom).image, `registry.example.com/hostplane@${DIGEST}`)
    assert.equal(container(NGINX_SERVICE, custom).image, `registry.example.com/nginx:1.28@${DIGEST}`)
  })

  it('namespace moves every namespaced object but the build namespace’s, the RBAC subjects, the operator flag and the operator guard', () => {
    const custom = render({ pagesDomain: 'pages.test', namespace: 'web-platform' })
    assert.equal(custom[0]?.metadata.name, 'web-platform')
    for (const object of custom)
      assert.ok(
        [undefined, 'web-platform', BUILD_NAMESPACE].includes(object.metadata.namespace),
        `${object.kind} ${object.metadata.name}`,
      )
    const subjects = custom.flatMap(
      (o) => (o as Manifest & { subjects?: { namespace?: string }[] }).subjects ?? [],
    )
    assert.ok(subjects.length > 0)
    assert.deepEqual([...new Set(subjects.map((subject) => subject.namespace))], ['web-platform'])
    assert.ok(container('hostplane-operator', custom).args?.includes('--system-namespace=web-platform'))
    assert.match(
      JSON.stringify(find('ValidatingAdmissionPolicy', OPERATOR_GUARD_NAME, custom)),
      /system:serviceaccount:web-platform:hostplane-operator/,
    )
  })

  it('pages domain and issuers reach the operator env and the admission policies’ leading variables', () => {
    const custom = render({
      pagesDomain: 'sites.example.net',
      issuers: { default: 'letsencrypt-prod', tenant: ['letsencrypt-staging', 'internal-ca'] },
    })
    assert.deepEqual(operatorEnv(custom), {
      HOSTPLANE_PAGES_DOMAIN: 'sites.example.net',
      HOSTPLANE_DEFAULT_ISSUER: 'letsencrypt-prod',
      HOSTPLANE_TENANT_CLUSTER_ISSUERS: 'letsencrypt-staging,internal-ca',
    })
    const variables = (name: string) =>
      find<Manifest & { spec: { variables: unknown[] } }>('ValidatingAdmissionPolicy', name, custom).spec
        .variables
    assert.deepEqual(variables('hostplane.dev-customer-domains')[0], {
      name: 'pagesDomain',
      expression: "'sites.example.net'",
    })
    assert.deepEqual(variables('hostplane.dev-tenant-cluster-issuers').slice(0, 2), [
      { name: 'defaultIssuer', expression: "'letsencrypt-prod'" },
      { name: 'tenantClusterIssuers', expression: "['letsencrypt-staging', 'internal-ca']" },
    ])
  })

  it('the operator learns its own Pod from the downward API, to run backup Jobs with its own image', () => {
    const env = container('hostplane-operator', render({ pagesDomain: 'pages.test' })).env ?? []
    assert.deepEqual(
      env.filter((v) => v.value === undefined).map((v) => [v.name, v.valueFrom?.fieldRef?.fieldPath]),
      [
        ['HOSTPLANE_POD_NAME', 'metadata.name'],
        ['HOSTPLANE_POD_NAMESPACE', 'metadata.namespace'],
      ],
    )
  })

  it('replicas and resources reach their Deployments; the syncer stays one', () => {
    const nginx = { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: '128Mi' } }
    const custom = render({
      pagesDomain: 'pages.test',
      replicas: { operator: 1, nginx: 4 },
      resources: { nginx },
    })
    assert.equal(deployment('hostplane-operator', custom).spec.replicas, 1)
    assert.equal(deployment(NGINX_SERVICE, custom).spec.replicas, 4)
    assert.equal(deployment('hostplane-syncer', custom).spec.replicas, 1)
    assert.deepEqual(container(NGINX_SERVICE, custom).resources, nginx)
    assert.deepEqual(container('hostplane-syncer', custom).resources, container('hostplane-syncer').resources)
  })

  it('ingress pod labels narrow every ingress rule from the ingress namespace to those pods', () => {
    const custom = render({
      pagesDomain: 'pages.test',
      ingress: { namespace: 'edge', podLabels: { app: 'proxy' } },
    })
    const peers = custom
      .filter((o) => o.kind === 'NetworkPolicy')
      .flatMap(
        (o) =>
          (o as Manifest & { spec: { ingress?: { from: Record<string, unknown>[] }[] } }).spec.ingress ?? [],
      )
      .flatMap((rule) => rule.from)
      .filter((peer) => JSON.stringify(peer).includes('"edge"'))
    assert.equal(peers.length, 3, 'nginx, syncer webhooks and the HTTP-01 solver')
    for (const peer of peers)
      assert.deepEqual(peer, {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'edge' } },
        podSelector: { matchLabels: { app: 'proxy' } },
      })
    assert.ok(container('hostplane-operator', custom).args?.includes('--ingress-namespace=edge'))
  })

  it('every bad value is refused at once, each with its option named', () => {
    assert.throws(
      () =>
        render({
          pagesDomain: 'not a domain',
          image: { repository: 'Registry/Upper' },
          storage: { size: 'lots', storageClass: 'Bad_Class' },
          replicas: { nginx: 0 },
          ingress: { podLabels: { app: 'has space' } },
          builds: {
            images: { buildkit: 'moby/buildkit:rootless' },
            egress: [{ cidr: 'anywhere', ports: [0] }],
          },
        }),
      (error: Error) => {
        for (const problem of [
          /pagesDomain must be a domain name/,
          /image\.repository must be a repository/,
          /image needs a tag or a digest/,
          /storage\.size must be a size/,
          /storage\.storageClass must be a StorageClass name/,
          /replicas\.nginx must be a whole number/,
          /ingress\.podLabels\[app\] must be a label value/,
          /builds\.images\.buildkit must be pinned by digest/,
          /builds\.egress cidr must be an address block/,
          /builds\.egress port must be a whole number/,
        ])
          assert.match(error.message, problem)
        return true
      },
    )
  })
})

describe('storage modes', () => {
  const claim = (from: Manifest[]) =>
    find<Manifest & { spec: { accessModes: string[]; storageClassName?: string } }>(
      'PersistentVolumeClaim',
      'hostplane-sites',
      from,
    ).spec
  const mountsClaim = (name: string, from: Manifest[]) =>
    deployment(name, from).spec.template.spec.volumes.some(
      (v) => v.persistentVolumeClaim?.claimName === 'hostplane-sites',
    )

  it('shared (generic): one ReadWriteMany claim of the default class, nginx anywhere, a PodDisruptionBudget', () => {
    assert.deepEqual(claim(objects), {
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '10Gi' } },
    })
    assert.ok(mountsClaim('hostplane-syncer', objects) && mountsClaim(NGINX_SERVICE, objects))
    assert.equal(deployment(NGINX_SERVICE).spec.template.spec.affinity, undefined)
    find('PodDisruptionBudget', NGINX_SERVICE)
  })

  it('single-node (k3s): one ReadWriteOnce local-path claim, every nginx replica required on the syncer’s node, no PodDisruptionBudget', () => {
    assert.deepEqual(claim(k3s).accessModes, ['ReadWriteOnce'])
    assert.equal(claim(k3s).storageClassName, 'local-path')
    assert.ok(mountsClaim('hostplane-syncer', k3s) && mountsClaim(NGINX_SERVICE, k3s))
    assert.deepEqual(deployment(NGINX_SERVICE, k3s).spec.template.spec.affinity, {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: {
              matchLabels: { 'app.kubernetes.io/name': 'hostplane', 'app.kubernetes.io/component': 'syncer' },
            },
            topologyKey: 'kubernetes.io/hostname',
          },
        ],
      },
    })
    assert.match(
      JSON.stringify(deployment('hostplane-syncer', k3s).spec.template.spec.affinity),
      /preferredDuringScheduling.*"app.kubernetes.io\/component":"nginx"/,
    )
    assert.ok(!k3s.some((o) => o.kind === 'PodDisruptionBudget'))
    assert.equal(deployment(NGINX_SERVICE, k3s).spec.replicas, 2)
  })

  it('a storage class and size given as options reach the claim', () => {
    const custom = render({
      pagesDomain: 'pages.test',
      storage: { mode: 'shared', storageClass: 'longhorn', size: '50Gi' },
    })
    assert.deepEqual(claim(custom), {
      accessModes: ['ReadWriteMany'],
      storageClassName: 'longhorn',
      resources: { requests: { storage: '50Gi' } },
    })
  })
})

describe('mirror storage (k3s-mirror): nginx replicas with their own copy, no shared volume', () => {
  const pod = (name: string, from = k3sMirror) => deployment(name, from).spec.template.spec
  const nginxPod = pod(NGINX_SERVICE)
  const named = (name: string) => {
    const found = nginxPod.containers.find((c) => c.name === name)
    assert.ok(found, `the nginx pod has a container ${name}`)
    return found
  }
  const volume = (spec: PodSpec, name: string) => {
    const found = spec.volumes.find((v) => v.name === name)
    assert.ok(found, `volume ${name}`)
    return found
  }
  const mountOf = (c: Container, volumeName: string) => c.volumeMounts.find((m) => m.name === volumeName)
  const mirrorFlags = () => parseFlags('mirror', named('mirror').args?.slice(1) ?? [])
  const syncerFlags = () =>
    parseFlags('syncer', container('hostplane-syncer', k3sMirror).args?.slice(1) ?? [], {
      HOSTPLANE_ALLOWED_HOSTS: 'github.com',
    })

  it('the syncer alone mounts the sites claim, ReadWriteOnce of local-path; no pod waits for another’s node', () => {
    const claim = find<Manifest & { spec: { accessModes: string[]; storageClassName?: string } }>(
      'PersistentVolumeClaim',
      'hostplane-sites',
      k3sMirror,
    ).spec
    assert.deepEqual([claim.accessModes, claim.storageClassName], [['ReadWriteOnce'], 'local-path'])
    const claimants = k3sMirror
      .filter((o) => o.kind === 'Deployment')
      .filter((d) =>
        (d as Deployment).spec.template.spec.volumes.some(
          (v) => v.persistentVolumeClaim?.claimName === 'hostplane-sites',
        ),
      )
      .map((d) => d.metadata.name)
    assert.deepEqual(claimants, ['hostplane-syncer'])
    assert.equal(pod(NGINX_SERVICE).affinity, undefined)
    assert.equal(pod('hostplane-syncer').affinity, undefined)
  })

  it('each nginx pod serves its own bounded volume read-only, which its mirror writes at the --sites-root it follows into', async () => {
    assert.deepEqual(volume(nginxPod, 'sites'), { name: 'sites', emptyDir: { sizeLimit: '10Gi' } })
    assert.deepEqual(mountOf(named('nginx'), 'sites'), { name: 'sites', mountPath: '/sites', readOnly: true })
    const mirrorMount = mountOf(named('mirror'), 'sites')
    assert.ok(mirrorMount && !mirrorMount.readOnly)
    assert.equal((await mirrorFlags()).sitesRoot, mirrorMount.mountPath)
    assert.equal(nginxPod.automountServiceAccountToken, false, 'the mirror needs no Kubernetes access')
  })

  it('the mirror and the syncer read the same key of the Secret hostplane-mirror-token, required by both pods, as mirror-token in their --secrets-dir', async () => {
    const required = {
      name: 'hostplane-mirror-token',
      items: [{ key: 'mirror-token', path: 'mirror-token' }],
    }
    const token = volume(nginxPod, 'mirror-token').secret
    assert.deepEqual({ name: token?.secretName, items: token?.items }, required)
    assert.equal(token?.optional, undefined, 'required: the kubelet starts the pod only with it')
    assert.equal(mountOf(named('mirror'), 'mirror-token')?.mountPath, (await mirrorFlags()).secretsDir)
    assert.equal(mountOf(named('nginx'), 'mirror-token'), undefined, 'nginx never sees the token')

    const syncer = container('hostplane-syncer', k3sMirror)
    const sources = volume(pod('hostplane-syncer'), 'tokens').projected?.sources.map((s) => s.secret)
    assert.deepEqual(sources, [{ name: 'hostplane-syncer-tokens', optional: true }, required])
    assert.equal(mountOf(syncer, 'tokens')?.mountPath, (await syncerFlags()).secretsDir)
  })

  it('the mirror follows the syncer’s Service on the port where the syncer serves the feed alone', async () => {
    const url = new URL(String((await mirrorFlags()).syncerUrl))
    const service = find<
      Manifest & { spec: { ports: { name: string; port: number; targetPort: string }[] } }
    >('Service', url.hostname, k3sMirror)
    const port = service.spec.ports.find((p) => p.port === Number(url.port))
    assert.ok(port, `${url.hostname} has port ${url.port}`)
    const syncer = container('hostplane-syncer', k3sMirror)
    const target = syncer.ports?.find((p) => p.name === port.targetPort)
    const flags = await syncerFlags()
    assert.deepEqual(flags.mirrorListen, { host: '0.0.0.0', port: target?.containerPort })
    assert.notEqual((flags.listen as { port: number }).port, target?.containerPort)
  })

  it('the mirror runs restricted with the syncer’s settings (its limits) and resources, probed on its own port, and the pod is Ready only when the mirror’s /readyz is', async () => {
    const mirror = named('mirror')
    assert.equal(mirror.image, container('hostplane-syncer', k3sMirror).image)
    assert.deepEqual(mirror.securityContext, container('hostplane-syncer', k3sMirror).securityContext)
    assert.deepEqual(mirror.envFrom, [{ configMapRef: { name: 'hostplane-syncer-settings' } }])
    assert.deepEqual(mirror.resources, DEFAULT_RESOURCES.mirror)
    assert.deepEqual(
      [mirror.livenessProbe?.httpGet, mirror.readinessProbe?.httpGet],
      [
        { path: '/healthz', port: 'mirror' },
        { path: '/readyz', port: 'mirror' },
      ],
    )
    const opsPort = mirror.ports?.find((p) => p.name === 'mirror')?.containerPort
    assert.equal(((await mirrorFlags()).listen as { port: number }).port, opsPort)
    assert.ok(!named('nginx').ports?.some((p) => p.containerPort === opsPort), 'nginx’s port is another')
  })

  it('the syncer’s settings give the mirror the syncer’s limits, and the install’s args win over the rest', async () => {
    const settings = {
      HOSTPLANE_ALLOWED_HOSTS: 'github.com',
      HOSTPLANE_MAX_SITE_SIZE: '2GiB',
      HOSTPLANE_KEEP_REVISIONS: '5',
      HOSTPLANE_LISTEN: '0.0.0.0:9000',
      HOSTPLANE_SITES_ROOT: '/elsewhere',
    }
    const flags = await parseFlags('mirror', named('mirror').args?.slice(1) ?? [], settings)
    assert.deepEqual(
      [flags.maxSiteSize, flags.keepRevisions, flags.listen, flags.sitesRoot],
      [2 * 1024 ** 3, 5, { host: '0.0.0.0', port: 8081 }, '/sites'],
    )
  })

  it('admits the syncer’s feed port from nginx pods only, and lets nginx reach only DNS and that port', () => {
    type Rule = { from?: unknown[]; to?: unknown[]; ports: { port: number }[] }
    const policy = (name: string) =>
      find<Manifest & { spec: { ingress: Rule[]; egress?: Rule[] } }>('NetworkPolicy', name, k3sMirror).spec
    const nginxPods = {
      podSelector: { matchLabels: deployment(NGINX_SERVICE, k3sMirror).spec.selector.matchLabels },
    }
    const syncerPods = {
      podSelector: { matchLabels: deployment('hostplane-syncer', k3sMirror).spec.selector.matchLabels },
    }
    const feedRules = policy('hostplane-syncer').ingress.filter((r) => r.ports.some((p) => p.port === 8081))
    assert.deepEqual(feedRules, [{ from: [nginxPods], ports: [{ protocol: 'TCP', port: 8081 }] }])
    assert.deepEqual(
      policy(NGINX_SERVICE).egress?.map((r) => [r.to, r.ports.map((p) => p.port)]),
      [
        [
          [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
          [53, 53],
        ],
        [[syncerPods], [8081]],
      ],
    )
    // The other profiles keep nginx without any way out and the syncer without a feed port.
    for (const install of [objects, k3s]) {
      const spec = (name: string) =>
        find<Manifest & { spec: { ingress: Rule[]; egress?: Rule[] } }>('NetworkPolicy', name, install).spec
      assert.equal(spec(NGINX_SERVICE).egress, undefined)
      assert.ok(!JSON.stringify(spec('hostplane-syncer').ingress).includes('8081'))
    }
  })

  it('keeps a PodDisruptionBudget: replicas may move, and a moved one is Ready only with its copy', () => {
    const pdb = find<Manifest & { spec: { minAvailable: number } }>(
      'PodDisruptionBudget',
      NGINX_SERVICE,
      k3sMirror,
    )
    assert.equal(pdb.spec.minAvailable, 1)
  })

  it('the other storage modes run no mirror, need no token Secret and serve no feed', async () => {
    for (const install of [objects, k3s]) {
      const text = JSON.stringify(install)
      assert.ok(!text.includes('hostplane-mirror-token') && !text.includes('"mirror"'))
      const syncer = container('hostplane-syncer', install)
      const flags = await parseFlags('syncer', syncer.args?.slice(1) ?? [], {
        HOSTPLANE_ALLOWED_HOSTS: 'a.test',
      })
      assert.equal(flags.mirrorListen, undefined)
    }
  })

  it('storage.replica with a storage class gives each nginx pod a generic ephemeral claim of that class and size', () => {
    const custom = render({
      pagesDomain: 'pages.test',
      storage: { mode: 'mirror', size: '20Gi', replica: { storageClass: 'longhorn', size: '5Gi' } },
    })
    assert.deepEqual(volume(pod(NGINX_SERVICE, custom), 'sites'), {
      name: 'sites',
      ephemeral: {
        volumeClaimTemplate: {
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: 'longhorn',
            resources: { requests: { storage: '5Gi' } },
          },
        },
      },
    })
    const sized = render({ pagesDomain: 'pages.test', storage: { mode: 'mirror', size: '20Gi' } })
    assert.deepEqual(volume(pod(NGINX_SERVICE, sized), 'sites').emptyDir, { sizeLimit: '20Gi' })
  })

  it('refuses an unknown mode, a replica volume outside mirror mode and bad replica values, naming each option', () => {
    const refused = (storage: HostplaneProps['storage'], problem: RegExp) =>
      assert.throws(() => render({ pagesDomain: 'pages.test', storage }), problem)
    refused(
      { mode: 'nfs' as 'shared' },
      /^Error: hostplane install options:\nstorage\.mode must be shared, single-node or mirror, got nfs$/m,
    )
    refused(
      { mode: 'single-node', replica: { size: '1Gi' } },
      /storage\.replica is each nginx pod's own copy in storage\.mode mirror; the mode is single-node/,
    )
    refused({ replica: {} }, /storage\.replica .* the mode is shared/)
    refused(
      { mode: 'mirror', replica: { size: 'big' } },
      /storage\.replica\.size must be a size such as 10Gi, got big/,
    )
    refused(
      { mode: 'mirror', replica: { storageClass: 'Fast_SSD' } },
      /storage\.replica\.storageClass must be a StorageClass name, got Fast_SSD/,
    )
  })
})

describe('the k3s profiles', () => {
  it('admit site and webhook traffic only from k3s’s Traefik pods in kube-system', () => {
    for (const install of [k3s, k3sMirror]) {
      const from = (name: string) =>
        find<Manifest & { spec: { ingress: { from: unknown[] }[] } }>('NetworkPolicy', name, install).spec
          .ingress[0]?.from[0]
      for (const name of ['hostplane-nginx', 'hostplane-syncer', 'hostplane-acme-http01-solver'])
        assert.deepEqual(
          from(name),
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: K3S_TRAEFIK_POD_LABELS },
          },
          name,
        )
      assert.ok(container('hostplane-operator', install).args?.includes('--ingress-namespace=kube-system'))
    }
  })

  it('tells the operator Traefik’s pod labels, so tenant namespaces too admit only Traefik of kube-system', async () => {
    const operator = container('hostplane-operator', k3s)
    const env = valuesOf(operator.env)
    const flags = await parseFlags('operator', operator.args?.slice(1) ?? [], env)
    const config = operatorConfig(flags as unknown as Parameters<typeof operatorConfig>[0])
    assert.equal(config.ingressNamespace, 'kube-system')
    assert.deepEqual(config.ingressPodLabels, K3S_TRAEFIK_POD_LABELS)
    assert.ok(!container('hostplane-operator').args?.some((arg) => arg.startsWith('--ingress-pod-labels')))
  })
})

describe('the build namespace', () => {
  const custom = render({
    pagesDomain: 'pages.test',
    builds: { egress: [{ cidr: '10.20.0.0/16', ports: [3128] }], runnerServiceAccount: 'builder' },
  })

  it('enforces no Pod Security level (its admission policy is the gate) but audits and warns at restricted', () =>
    assert.deepEqual(find('Namespace', BUILD_NAMESPACE, custom).metadata.labels, {
      'app.kubernetes.io/managed-by': 'hostplane',
      'app.kubernetes.io/part-of': 'hostplane',
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    }))

  it('lets builds reach DNS, the system namespace and the egress option’s addresses, and nothing reach them', () => {
    const policy = find<
      Manifest & { spec: { policyTypes: string[]; ingress?: unknown; egress: { to: unknown[] }[] } }
    >('NetworkPolicy', 'hostplane-builds', custom)
    assert.equal(policy.metadata.namespace, BUILD_NAMESPACE)
    assert.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress'])
    assert.equal(policy.spec.ingress, undefined)
    assert.deepEqual(policy.spec.egress.slice(1), [
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'hostplane-system' } } }] },
      { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 3128 }] },
    ])
  })

  it('binds the runner’s Role to the runner ServiceAccount of the system namespace', () =>
    assert.deepEqual(
      (find('RoleBinding', 'hostplane-build-runner', custom) as Manifest & { subjects: unknown }).subjects,
      [{ kind: 'ServiceAccount', namespace: 'hostplane-system', name: 'builder' }],
    ))
})

describe('network policies', () => {
  const policy = (name: string) =>
    find<Manifest & { spec: Record<string, unknown> }>('NetworkPolicy', name).spec

  it('deny everything in the system namespace by default', () => {
    assert.deepEqual(policy('hostplane-default-deny'), {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    })
  })

  it('admit nginx traffic only from the ingress namespace, and let nginx reach nothing', () => {
    const nginx = policy('hostplane-nginx') as { ingress: { from: unknown[] }[]; egress?: unknown[] }
    assert.deepEqual(
      nginx.ingress.flatMap((r) => r.from),
      [
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': 'traefik' },
          },
        },
      ],
    )
    assert.equal(nginx.egress, undefined, 'Egress is in policyTypes with no rule: nothing out')
  })

  it('let the syncer reach Git hosts on 443, 22 and 9418, and the operator only DNS and the API server', () => {
    const ports = (name: string) =>
      (policy(name) as { egress: { ports: { port: number }[] }[] }).egress.flatMap((r) =>
        r.ports.map((p) => p.port),
      )
    assert.deepEqual(ports('hostplane-syncer'), [53, 53, 443, 6443, 443, 22, 9418])
    assert.deepEqual(ports('hostplane-operator'), [53, 53, 443, 6443])
  })

  it('admit cert-manager’s HTTP-01 solver pods on 8089 from the ingress namespace only, and let them reach nothing', () => {
    const solver = policy('hostplane-acme-http01-solver') as {
      podSelector: unknown
      ingress: { from: unknown[]; ports: { port: number }[] }[]
      egress?: unknown[]
    }
    assert.deepEqual(solver.podSelector, { matchLabels: { 'acme.cert-manager.io/http01-solver': 'true' } })
    assert.deepEqual(
      solver.ingress.flatMap((r) => r.ports.map((p) => p.port)),
      [8089],
    )
    assert.equal(solver.egress, undefined)
  })
})

describe('docs/install.md', () => {
  it('quotes the overlays of examples/kustomize-k3s, kustomize-k3s-push and kustomize-k3s-panel as they are, but for the profile’s URL and a placeholder digest', async () => {
    const docs = await readFile(join(REPO_ROOT, 'docs', 'install.md'), 'utf8')
    const quotes: [string, string, number][] = [
      ['kustomize-k3s', 'kustomization.yaml', 0],
      ['kustomize-k3s', 'operator-settings.yaml', 0],
      ['kustomize-k3s-push', 'kustomization.yaml', docs.indexOf('## Push to deploy')],
      ['kustomize-k3s-panel', 'kustomization.yaml', docs.indexOf('## The control panel')],
    ]
    for (const [example, file, from] of quotes) {
      const start = docs.indexOf('```yaml\n# ' + file + '\n', from)
      const quoted =
        start < 0 ? undefined : docs.slice(start + '```yaml\n'.length, docs.indexOf('\n```', start))
      assert.ok(quoted, `docs/install.md quotes ${file}`)
      const text = await readFile(join(REPO_ROOT, 'examples', example, file), 'utf8')
      const [docsObject, exampleObject] = [quoted, text].map((yaml) => {
        const object = parse(yaml)[0] as Manifest & {
          resources?: string[]
          components?: string[]
          images?: { digest?: string }[]
        }
        if (object.resources) object.resources = ['<the k3s profile>']
        if (object.components) object.components = ['<the k3s profile>/push-to-deploy']
        for (const image of object.images ?? []) image.digest = '<digest>'
        return object
      })
      assert.deepEqual(docsObject, exampleObject, file)
    }
  })

  for (const name of ['operator', 'syncer', 'mirror'] as const)
    it(`lists every flag of hostplane ${name} with its variable in its table`, async () => {
      const docs = await readFile(join(REPO_ROOT, 'docs', 'install.md'), 'utf8')
      const table = docs.slice(docs.indexOf(`### \`hostplane ${name}\``)).split('\n\n')[1] ?? ''
      for (const option of commandOptions(name)) {
        const row = table.split('\n').find((line) => line.startsWith(`| \`${option.flags}\``))
        assert.ok(row, `docs/install.md: no row for ${option.flags}`)
        if (option.envVar)
          assert.ok(
            row.includes(`\`${option.envVar}\``),
            `docs/install.md: ${option.flags} without ${option.envVar}`,
          )
      }
    })
})

describe('the gitserver (off in the profiles’ install.yaml, on with the gitserver option or their push-to-deploy Component)', () => {
  const enabled = render({
    pagesDomain: 'pages.test',
    gitserver: { enabled: true, storageClass: 'fast', size: '50Gi', serviceType: 'NodePort' },
  })
  const gitserver = () => container(GITSERVER_NAME, enabled)

  it('is not in the committed profiles, nor its RBAC', () => {
    for (const profile of [objects, k3s, k3sMirror])
      assert.ok(!profile.some((o) => o.metadata.name === GITSERVER_NAME))
  })

  it('runs as the ServiceAccount of deploy/rbac/gitserver.yaml, whose objects the install holds as they are', () => {
    const rbac = readManifestFile(GITSERVER_RBAC_FILE)
    for (const source of rbac)
      assert.deepEqual(withoutPartOf(find(source.kind, source.metadata.name, enabled)), withoutPartOf(source))
    const spec = deployment(GITSERVER_NAME, enabled).spec.template.spec as PodSpec & {
      serviceAccountName: string
    }
    assert.equal(spec.serviceAccountName, rbac.find((o) => o.kind === 'ServiceAccount')?.metadata.name)
  })

  it('its args parse as hostplane gitserver flags; the repositories and the host key are on its own claim', async () => {
    const [command, ...args] = gitserver().args ?? []
    assert.equal(command, 'gitserver')
    const flags = await parseFlags('gitserver', args)
    const data = gitserver().volumeMounts.find((m) => m.name === 'data')?.mountPath ?? '/nowhere'
    assert.ok(String(flags.reposDir).startsWith(`${data}/`))
    assert.ok(String(flags.hostKey).startsWith(`${data}/`))
    assert.equal(flags.generateHostKey, true)
    assert.ok(gitserver().volumeMounts.some((m) => m.mountPath === flags.runDir))
    const claim = find<Manifest & { spec: Record<string, unknown> }>(
      'PersistentVolumeClaim',
      GITSERVER_NAME,
      enabled,
    )
    assert.deepEqual(claim.spec, {
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'fast',
      resources: { requests: { storage: '50Gi' } },
    })
    assert.equal(deployment(GITSERVER_NAME, enabled).spec.replicas, 1)
  })

  it('runs restricted, probed on its health endpoints, with its optional settings ConfigMap', () => {
    const c = gitserver()
    assert.equal(c.securityContext.readOnlyRootFilesystem, true)
    assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] })
    assert.deepEqual([c.livenessProbe?.httpGet.path, c.readinessProbe?.httpGet.path], ['/healthz', '/readyz'])
    assert.deepEqual(c.resources, DEFAULT_RESOURCES.gitserver)
    assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'hostplane-gitserver-settings', optional: true } }])
  })

  it('serves SSH on port 22 of its Service, of the type asked for, and admits SSH from anywhere and metrics from monitoring', () => {
    const service = find<
      Manifest & { spec: { type: string; ports: { name: string; port: number; targetPort: string }[] } }
    >('Service', GITSERVER_NAME, enabled)
    assert.equal(service.spec.type, 'NodePort')
    assert.deepEqual(
      service.spec.ports.find((p) => p.name === 'ssh'),
      { name: 'ssh', port: 22, targetPort: 'ssh', protocol: 'TCP' },
    )
    const policy = find<Manifest & { spec: { ingress: { from: unknown[]; ports: { port: number }[] }[] } }>(
      'NetworkPolicy',
      GITSERVER_NAME,
      enabled,
    )
    assert.deepEqual(
      policy.spec.ingress.map((rule) => rule.ports.map((p) => p.port)),
      [[2222], [8080]],
    )
  })

  it('with a registry: builds into it (layer in-process, Jobs fetching sources from its Service), signing tokens with the key of its Secret', async () => {
    const withRegistry = render({
      pagesDomain: 'pages.test',
      gitserver: {
        enabled: true,
        registry: {
          host: 'registry.hostplane-system.svc:5000',
          tokenKeySecret: 'registry-token',
          plainHttp: true,
          egress: [{ cidr: '10.43.0.0/16', ports: [5000] }],
        },
      },
    })
    const c = container(GITSERVER_NAME, withRegistry)
    const [, ...args] = c.args ?? []
    const flags = await parseFlags('gitserver', args)
    assert.equal(flags.registry, 'registry.hostplane-system.svc:5000')
    assert.equal(flags.registryService, 'registry.hostplane-system.svc:5000')
    assert.equal(flags.registryPlainHttp, true)
    assert.equal(flags.buildSourceUrl, `http://${GITSERVER_NAME}.${SYSTEM_NAMESPACE}.svc/`)
    const keyDir = c.volumeMounts.find((m) => m.name === 'registry-token')?.mountPath
    assert.equal(flags.registryTokenKey, `${keyDir}/tls.key`)
    const volumes = (deployment(GITSERVER_NAME, withRegistry).spec.template.spec as PodSpec).volumes ?? []
    assert.deepEqual(volumes.find((v) => v.name === 'registry-token')?.secret, {
      secretName: 'registry-token',
      items: [{ key: 'tls.key', path: 'tls.key' }],
      defaultMode: 0o400,
    })
    const policy = find<
      Manifest & {
        spec: { ingress: { from: unknown[] }[]; egress: { to?: unknown[]; ports?: { port: number }[] }[] }
      }
    >('NetworkPolicy', GITSERVER_NAME, withRegistry)
    assert.ok(
      policy.spec.ingress.some((rule) =>
        JSON.stringify(rule.from).includes(`"kubernetes.io/metadata.name":"${BUILD_NAMESPACE}"`),
      ),
      'build Pods reach its HTTP port',
    )
    assert.ok(
      policy.spec.egress.some(
        (rule) =>
          JSON.stringify(rule.to) === '[{"ipBlock":{"cidr":"10.43.0.0/16"}}]' &&
          rule.ports?.[0]?.port === 5000,
      ),
      'it reaches the registry',
    )
  })

  it('refuses a bad claim size and Service type, naming the option', () => {
    assert.throws(
      () =>
        render({
          pagesDomain: 'pages.test',
          gitserver: { enabled: true, size: 'big', serviceType: 'Public' as 'NodePort' },
        }),
      /gitserver\.size must be a size such as 20Gi, got big\ngitserver\.serviceType must be LoadBalancer, NodePort or ClusterIP, got Public/,
    )
  })
})

describe('the install’s registry (the registry option; each profile’s push-to-deploy Component)', () => {
  const HOST = 'registry.acme.test'
  const bundled = render({
    pagesDomain: 'pages.test',
    gitserver: { enabled: true },
    registry: { host: HOST },
  })
  const registry = () => container(REGISTRY_NAME, bundled)
  const podSpec = (name: string) => deployment(name, bundled).spec.template.spec
  type Policy = Manifest & {
    spec: {
      ingress: { from: unknown[]; ports: { port: number }[] }[]
      egress?: { to?: unknown[]; ports?: { port: number }[] }[]
    }
  }

  it('runs Debian’s distribution from the hostplane-registry image pinned by digest, restricted, one replica on its own claim', () => {
    const c = registry()
    assert.equal(c.image, `ghcr.io/hostplane/hostplane-registry:0.1.0@${pinnedRegistryImageDigest()}`)
    assert.equal(c.securityContext.readOnlyRootFilesystem, true)
    assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] })
    assert.equal(deployment(REGISTRY_NAME, bundled).spec.replicas, 1)
    assert.equal(podSpec(REGISTRY_NAME).automountServiceAccountToken, false)
    assert.equal(c.volumeMounts.find((m) => m.name === 'data')?.mountPath, REGISTRY_FILES.storage)
    assert.deepEqual(
      find<Manifest & { spec: Record<string, unknown> }>('PersistentVolumeClaim', REGISTRY_NAME, bundled)
        .spec,
      { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
    )
    assert.deepEqual(
      [c.livenessProbe?.httpGet.path, c.readinessProbe?.httpGet.path],
      ['/debug/health', '/debug/health'],
    )
  })

  it('trusts only tokens of the self-signed key cert-manager keeps for it; the gitserver alone gets the key', () => {
    const config = parse(
      find<Manifest & { data: Record<string, string> }>('ConfigMap', 'hostplane-registry-config', bundled)
        .data['config.yml'] ?? '',
    )[0] as unknown as { auth: { token: { rootcertbundle: string; issuer: string } } }
    assert.equal(config.auth.token.issuer, 'hostplane')
    const certDir = registry().volumeMounts.find((m) => m.name === 'token-cert')?.mountPath
    assert.equal(config.auth.token.rootcertbundle, `${certDir}/tls.crt`)
    assert.deepEqual(podSpec(REGISTRY_NAME).volumes.find((v) => v.name === 'token-cert')?.secret, {
      secretName: REGISTRY_TOKEN_SECRET,
      items: [{ key: 'tls.crt', path: 'tls.crt' }],
    })
    assert.deepEqual(
      podSpec(GITSERVER_NAME).volumes.find((v) => v.name === 'registry-token')?.secret?.items,
      [{ key: 'tls.key', path: 'tls.key' }],
    )
    const certificate = find<Manifest & { spec: Record<string, unknown> }>(
      'Certificate',
      REGISTRY_TOKEN_SECRET,
      bundled,
    )
    assert.deepEqual(certificate.spec.issuerRef, { kind: 'Issuer', name: REGISTRY_TOKEN_SECRET })
    assert.deepEqual(find<Manifest & { spec: object }>('Issuer', REGISTRY_TOKEN_SECRET, bundled).spec, {
      selfSigned: {},
    })
  })

  it('names its public host in one setting the registry and the gitserver read, the route and the certificate', async () => {
    assert.deepEqual(find<Manifest & { data: object }>('ConfigMap', REGISTRY_SETTINGS, bundled).data, {
      HOSTPLANE_REGISTRY: HOST,
    })
    const env = registry().env as unknown as { name: string; value?: string }[]
    assert.deepEqual(
      env.filter((e) => e.value).map((e) => [e.name, e.value]),
      [
        ['REGISTRY_AUTH_TOKEN_SERVICE', '$(HOSTPLANE_REGISTRY)'],
        ['REGISTRY_AUTH_TOKEN_REALM', 'https://$(HOSTPLANE_REGISTRY)/registry/token'],
      ],
    )
    const gitserver = container(GITSERVER_NAME, bundled)
    assert.ok(gitserver.envFrom?.some((e) => e.configMapRef.name === REGISTRY_SETTINGS))
    const [, ...args] = gitserver.args ?? []
    const flags = await parseFlags('gitserver', args, { HOSTPLANE_REGISTRY: HOST })
    assert.equal(flags.registry, HOST)
    assert.equal(flags.registryService, undefined, 'the token service is the host')
    assert.equal(flags.registryEndpoint, `http://${REGISTRY_NAME}.${SYSTEM_NAMESPACE}.svc:5000/`)
    const route = find<
      Manifest & { spec: { routes: { match: string; services: { name: string; port: number }[] }[] } }
    >('IngressRoute', REGISTRY_NAME, bundled)
    assert.deepEqual(
      route.spec.routes.map((r) => [r.match, r.services[0]?.name, r.services[0]?.port]),
      [
        [`Host(\`${HOST}\`) && PathPrefix(\`/v2/\`)`, REGISTRY_NAME, 5000],
        [`Host(\`${HOST}\`) && Path(\`/registry/token\`)`, GITSERVER_NAME, 80],
      ],
    )
    assert.deepEqual(
      find<Manifest & { spec: { dnsNames: string[] } }>('Certificate', 'hostplane-registry-tls', bundled).spec
        .dnsNames,
      [HOST],
    )
    assert.ok(!registryConfig().includes(HOST), 'the config file holds no host: it comes from the setting')
  })

  it('lets nodes pull: the operator signs each customer’s pull Secret with the pull key, whose certificate alone the gitserver’s realm holds', async () => {
    const operator = container('hostplane-operator', bundled)
    assert.ok(operator.envFrom?.some((e) => e.configMapRef.name === REGISTRY_SETTINGS))
    const [, ...operatorArgs] = operator.args ?? []
    const operatorFlags = await parseFlags('operator', operatorArgs, { HOSTPLANE_REGISTRY: HOST })
    assert.equal(operatorFlags.registry, HOST)
    const keyDir = operator.volumeMounts.find((m) => m.name === 'registry-pull')?.mountPath
    assert.equal(operatorFlags.registryPullKey, `${keyDir}/tls.key`)
    assert.deepEqual(podSpec('hostplane-operator').volumes.find((v) => v.name === 'registry-pull')?.secret, {
      secretName: 'hostplane-registry-pull',
      items: [{ key: 'tls.key', path: 'tls.key' }],
      defaultMode: 0o400,
    })
    const [, ...gitserverArgs] = container(GITSERVER_NAME, bundled).args ?? []
    const gitserverFlags = await parseFlags('gitserver', gitserverArgs, { HOSTPLANE_REGISTRY: HOST })
    const certDir = container(GITSERVER_NAME, bundled).volumeMounts.find(
      (m) => m.name === 'registry-pull',
    )?.mountPath
    assert.equal(gitserverFlags.registryPullCert, `${certDir}/tls.crt`)
    assert.deepEqual(podSpec(GITSERVER_NAME).volumes.find((v) => v.name === 'registry-pull')?.secret?.items, [
      { key: 'tls.crt', path: 'tls.crt' },
    ])
    const pull = find<Manifest & { spec: Record<string, unknown> }>(
      'Certificate',
      'hostplane-registry-pull',
      bundled,
    )
    assert.deepEqual(pull.spec.issuerRef, { kind: 'Issuer', name: REGISTRY_TOKEN_SECRET })
    const plain = render({ pagesDomain: 'pages.test', gitserver: { enabled: true } })
    const [, ...plainArgs] = container('hostplane-operator', plain).args ?? []
    assert.equal(
      (await parseFlags('operator', plainArgs)).registry,
      undefined,
      'without the registry, no pull Secrets',
    )
  })

  it('is reached only from the ingress controller and the gitserver, reaches nothing, and the gitserver reaches it', () => {
    const policy = find<Policy>('NetworkPolicy', REGISTRY_NAME, bundled)
    assert.deepEqual(
      policy.spec.ingress.map((rule) => rule.ports.map((p) => p.port)),
      [[5000], [5001]],
    )
    assert.equal(JSON.stringify(policy.spec.ingress[0]?.from).includes('hostplane-registry'), false)
    assert.ok(
      JSON.stringify(policy.spec.ingress[0]?.from).includes('"app.kubernetes.io/component":"gitserver"'),
    )
    assert.deepEqual(policy.spec.egress ?? [], [])
    const gitserver = find<Policy>('NetworkPolicy', GITSERVER_NAME, bundled)
    assert.ok(
      gitserver.spec.egress?.some(
        (rule) =>
          JSON.stringify(rule.to).includes('"app.kubernetes.io/component":"registry"') &&
          rule.ports?.[0]?.port === 5000,
      ),
    )
    assert.ok(
      gitserver.spec.ingress.some((rule) =>
        JSON.stringify(rule.from).includes('"kubernetes.io/metadata.name":"traefik"'),
      ),
      'the token realm is reached through the ingress',
    )
  })

  it('each profile’s push-to-deploy Component holds what the install with PUSH_TO_DEPLOY adds, and nothing of the base', () => {
    for (const profile of PROFILE_NAMES) {
      const { added } = componentDifference(profile, 'push-to-deploy')
      const files = profileFiles(profile)
      const resources = parse(files.get('push-to-deploy/push-to-deploy.yaml') ?? '')
      assert.deepEqual(resources, added)
      const names = new Set(resources.map((o) => `${o.kind}/${o.metadata.name}`))
      for (const name of [
        `Deployment/${GITSERVER_NAME}`,
        `Deployment/${REGISTRY_NAME}`,
        `IngressRoute/${REGISTRY_NAME}`,
      ])
        assert.ok(names.has(name), `${profile}: ${name}`)
      const settings = resources.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === REGISTRY_SETTINGS,
      ) as (Manifest & { data: Record<string, string> }) | undefined
      assert.equal(settings?.data.HOSTPLANE_REGISTRY, PUSH_TO_DEPLOY.registry.host)
    }
  })

  it('refuses a registry without the gitserver, beside a registry of the user’s own, or with a bad host', () => {
    assert.throws(
      () => render({ pagesDomain: 'pages.test', registry: { host: 'Registry_1' } }),
      /registry\.host must be a host name such as registry\.example\.com, got Registry_1\nregistry needs gitserver\.enabled/,
    )
    assert.throws(
      () =>
        render({
          pagesDomain: 'pages.test',
          gitserver: {
            enabled: true,
            registry: { host: 'own.example.com', tokenKeySecret: 'own', egress: [] },
          },
          registry: { host: HOST },
        }),
      /registry and gitserver\.registry exclude each other/,
    )
  })
})

describe('the panel (off in the profiles’ install.yaml, on with the panel option or their panel Component)', () => {
  const given = render({
    pagesDomain: 'pages.test',
    panel: {
      host: 'panel.acme.test',
      oidc: { issuer: 'https://id.acme.test/realms/x', clientId: 'panel', adminGroup: 'ops' },
    },
  })
  const panel = () => container(PANEL_NAME, given)

  it('is not in the committed profiles, nor its RBAC', () => {
    for (const profile of [objects, k3s, k3sMirror])
      assert.ok(
        !profile.some((o) => o.metadata.name === PANEL_NAME || o.metadata.name === 'hostplane-panel-tokens'),
      )
  })

  it('runs as the ServiceAccount of deploy/rbac/panel.yaml, whose objects the install holds as they are, token namespace included', () => {
    const rbac = readManifestFile(PANEL_RBAC_FILE)
    for (const source of rbac)
      assert.deepEqual(withoutPartOf(find(source.kind, source.metadata.name, given)), withoutPartOf(source))
    const spec = deployment(PANEL_NAME, given).spec.template.spec as PodSpec & { serviceAccountName: string }
    assert.equal(spec.serviceAccountName, rbac.find((o) => o.kind === 'ServiceAccount')?.metadata.name)
    assert.equal(deployment(PANEL_NAME, given).spec.replicas, 1, 'sessions live in the process')
  })

  it('its args and settings parse as hostplane panel flags: the provider, the public URL, the secret from its file, the ingress trusted', async () => {
    const [command, ...args] = panel().args ?? []
    assert.equal(command, 'panel')
    const settings = find<Manifest & { data: Record<string, string> }>(
      'ConfigMap',
      PANEL_SETTINGS,
      given,
    ).data
    const flags = await parseFlags('panel', args, settings)
    assert.equal(flags.publicUrl, 'https://panel.acme.test')
    assert.equal(flags.oidcIssuer, 'https://id.acme.test/realms/x')
    assert.equal(flags.oidcClientId, 'panel')
    assert.equal(flags.oidcAdminGroup, 'ops')
    assert.deepEqual(flags.trustedProxies, ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'])
    const secretDir = panel().volumeMounts.find((m) => m.name === 'oidc')?.mountPath
    assert.equal(flags.oidcClientSecretFile, `${secretDir}/client-secret`)
    const volumes = (deployment(PANEL_NAME, given).spec.template.spec as PodSpec).volumes ?? []
    assert.deepEqual(volumes.find((v) => v.name === 'oidc')?.secret, {
      secretName: 'hostplane-panel-oidc',
      items: [{ key: 'client-secret', path: 'client-secret' }],
      defaultMode: 0o400,
    })
  })

  it('runs restricted, probed on its ops port, and is routed at its host with a certificate of the default issuer', () => {
    const c = panel()
    assert.equal(c.securityContext.readOnlyRootFilesystem, true)
    assert.deepEqual([c.livenessProbe?.httpGet.path, c.readinessProbe?.httpGet.path], ['/healthz', '/readyz'])
    assert.deepEqual(c.resources, DEFAULT_RESOURCES.panel)
    const route = find<Manifest & { spec: { routes: { match: string }[]; tls: { secretName: string } } }>(
      'IngressRoute',
      PANEL_NAME,
      given,
    )
    assert.deepEqual(
      route.spec.routes.map((r) => r.match),
      ['Host(`panel.acme.test`)'],
    )
    const certificate = find<Manifest & { spec: { dnsNames: string[]; secretName: string } }>(
      'Certificate',
      route.spec.tls.secretName,
      given,
    )
    assert.deepEqual(certificate.spec.dnsNames, ['panel.acme.test'])
  })

  it('admits the ingress controller to the API and monitoring to the ops port, and reaches DNS, the API server and https', () => {
    const policy = find<
      Manifest & {
        spec: { ingress: { ports: { port: number }[] }[]; egress: { ports?: { port: number }[] }[] }
      }
    >('NetworkPolicy', PANEL_NAME, given)
    assert.deepEqual(
      policy.spec.ingress.map((rule) => rule.ports.map((p) => p.port)),
      [[8080], [9090]],
    )
    assert.ok(policy.spec.egress.some((rule) => rule.ports?.length === 1 && rule.ports[0]?.port === 443))
  })

  it('refuses a bad host, an http issuer and a bad proxy block, naming each option', () => {
    assert.throws(
      () =>
        render({
          pagesDomain: 'pages.test',
          panel: {
            host: 'Panel_1',
            oidc: { issuer: 'http://id.acme.test', clientId: 'panel' },
            trustedProxies: ['everyone'],
          },
        }),
      /panel\.host must be a DNS name such as panel\.example\.com, got Panel_1\npanel\.oidc\.issuer must be an https URL without query or fragment, got http:\/\/id\.acme\.test\npanel\.trustedProxies must be address blocks such as 10\.42\.0\.0\/16, got everyone/,
    )
  })

  it('each profile’s panel Component holds what the install with PANEL adds, and nothing of the base', () => {
    for (const profile of PROFILE_NAMES) {
      const { added } = componentDifference(profile, 'panel')
      const resources = parse(profileFiles(profile).get('panel/panel.yaml') ?? '')
      assert.deepEqual(resources, added)
      const names = new Set(resources.map((o) => `${o.kind}/${o.metadata.name}`))
      for (const name of [
        `Deployment/${PANEL_NAME}`,
        `IngressRoute/${PANEL_NAME}`,
        `ConfigMap/${PANEL_SETTINGS}`,
      ])
        assert.ok(names.has(name), `${profile}: ${name}`)
    }
  })
})
