import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseFlags } from '../../../deploy/install/cli-flags.js'
import { componentLabels } from '../../../deploy/install/workload.js'
import type { Manifest } from '../../kube/object.js'
import { type BackupProxyInput, backupProxyName, renderBackupProxy } from './render-proxy.js'

const input = (overrides: Partial<BackupProxyInput> = {}): BackupProxyInput => ({
  target: 'offsite',
  namespace: 'hostplane-system',
  image: 'registry.test/hostplane@sha256:' + 'a'.repeat(64),
  s3: { endpoint: 'https://s3.example.com', bucket: 'backups', region: 'eu-central-1', prefix: 'hostplane/' },
  credentialsSecret: 'backup-credentials-offsite',
  tokensSecret: 'backup-tokens-offsite',
  ...overrides,
})

interface Container {
  args: string[]
  ports: { name: string; containerPort: number }[]
  securityContext: Record<string, unknown>
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[]
  readinessProbe: { httpGet: { path: string; port: string } }
  livenessProbe: { httpGet: { path: string; port: string } }
  resources: unknown
}
interface PodSpec {
  automountServiceAccountToken: boolean
  securityContext: Record<string, unknown>
  containers: Container[]
  volumes: { name: string; secret?: { secretName: string } }[]
}

const byKind = (objects: Manifest[], kind: string) => {
  const object = objects.find((o) => o.kind === kind)
  assert.ok(object, `no ${kind}`)
  return object as Manifest & { spec: Record<string, unknown> }
}
const podOf = (objects: Manifest[]) =>
  byKind(objects, 'Deployment').spec.template as {
    metadata: { labels: Record<string, string> }
    spec: PodSpec
  }
const containerOf = (objects: Manifest[]) => {
  const [container] = podOf(objects).spec.containers
  assert.ok(container)
  return container
}

describe('backupProxyName', () => {
  it('is backup-proxy-<target> while that fits a DNS label', () => {
    assert.equal(backupProxyName('offsite'), 'backup-proxy-offsite')
    assert.equal(backupProxyName('a'.repeat(50)), `backup-proxy-${'a'.repeat(50)}`)
  })

  it('cuts a longer target and adds its hash after `--`: 63 characters, stable, never another target’s readable name', () => {
    const long = `${'b'.repeat(49)}-x${'c'.repeat(12)}`
    const name = backupProxyName(long)
    assert.equal(name.length, 63)
    assert.match(name, /^backup-proxy-b{40,}--[0-9a-f]{8}$/)
    assert.equal(backupProxyName(long), name)
    assert.notEqual(backupProxyName(`${long}d`), name)
    // A target already shaped like a shortened name is shortened itself, so the two never meet.
    const lookalike = name.slice('backup-proxy-'.length)
    assert.notEqual(backupProxyName(lookalike), name)
    assert.match(backupProxyName(lookalike), /^backup-proxy-.*--[0-9a-f]{8}$/)
  })
})

describe('renderBackupProxy', () => {
  it('renders a Deployment, a Service and a NetworkPolicy of one name in the system namespace, with the target’s labels', () => {
    const objects = renderBackupProxy(input())
    assert.deepEqual(
      objects.map((o) => [o.kind, o.metadata.namespace, o.metadata.name]),
      [
        ['Deployment', 'hostplane-system', 'backup-proxy-offsite'],
        ['Service', 'hostplane-system', 'backup-proxy-offsite'],
        ['NetworkPolicy', 'hostplane-system', 'backup-proxy-offsite'],
      ],
    )
    assert.deepEqual(podOf(objects).metadata.labels, {
      'app.kubernetes.io/managed-by': 'hostplane',
      'app.kubernetes.io/name': 'hostplane-backup-proxy',
      'hostplane.dev/backup-target': 'offsite',
    })
    const selector = {
      'app.kubernetes.io/name': 'hostplane-backup-proxy',
      'hostplane.dev/backup-target': 'offsite',
    }
    assert.deepEqual(byKind(objects, 'Deployment').spec.selector, { matchLabels: selector })
    assert.deepEqual(byKind(objects, 'Service').spec.selector, selector)
    assert.deepEqual(byKind(objects, 'NetworkPolicy').spec.podSelector, { matchLabels: selector })
    assert.equal(objects[0]?.metadata.ownerReferences, undefined)
  })

  it('makes the objects the BackupTarget’s when it is given, so they go with it', () => {
    const owner = {
      apiVersion: 'hostplane.dev/v1alpha1',
      kind: 'BackupTarget',
      metadata: { name: 'offsite', uid: 'u-1' },
    }
    for (const object of renderBackupProxy(input({ owner })))
      assert.deepEqual(object.metadata.ownerReferences, [
        {
          apiVersion: owner.apiVersion,
          kind: 'BackupTarget',
          name: 'offsite',
          uid: 'u-1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ])
  })

  it('runs under Pod Security restricted with no ServiceAccount token and both Secrets mounted read-only', () => {
    const objects = renderBackupProxy(input())
    const pod = podOf(objects).spec
    assert.equal(pod.automountServiceAccountToken, false)
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    })
    const container = containerOf(objects)
    assert.deepEqual(container.securityContext, {
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    })
    assert.deepEqual(
      pod.volumes.map((v) => [v.name, v.secret?.secretName]),
      [
        ['credentials', 'backup-credentials-offsite'],
        ['tokens', 'backup-tokens-offsite'],
      ],
    )
    assert.ok(container.volumeMounts.every((mount) => mount.readOnly === true))
    assert.deepEqual(
      [container.readinessProbe.httpGet, container.livenessProbe.httpGet],
      [
        { path: '/readyz', port: 'ops' },
        { path: '/healthz', port: 'ops' },
      ],
    )
  })

  it('passes the target to hostplane backup-proxy as flags the real command accepts, with the Secrets’ mount paths', async () => {
    const container = containerOf(renderBackupProxy(input()))
    const [command, ...args] = container.args
    assert.equal(command, 'backup-proxy')
    const flags = await parseFlags('backup-proxy', args)
    const mounts = Object.fromEntries(container.volumeMounts.map((m) => [m.name, m.mountPath]))
    assert.deepEqual(flags, {
      listen: { host: '0.0.0.0', port: 8000 },
      opsListen: { host: '0.0.0.0', port: 9090 },
      endpoint: 'https://s3.example.com/',
      bucket: 'backups',
      region: 'eu-central-1',
      prefix: 'hostplane/',
      credentials: mounts.credentials,
      tokens: mounts.tokens,
      maxObjectSize: 128 * 1024 ** 2,
    })
    assert.deepEqual(
      container.ports.map((p) => [p.name, p.containerPort]),
      [
        ['restic', 8000],
        ['ops', 9090],
      ],
    )
  })

  it('serves port 8000 on the Service, and only restic’s port', () => {
    assert.deepEqual(byKind(renderBackupProxy(input()), 'Service').spec.ports, [
      { name: 'restic', port: 8000, targetPort: 'restic', protocol: 'TCP' },
    ])
  })

  it('lets in only backup Jobs’ Pods (any namespace) and the panel’s (its own namespace) on restic’s port, and out only DNS and the bucket’s port', () => {
    const policy = (overrides: Partial<BackupProxyInput>) =>
      byKind(renderBackupProxy(input(overrides)), 'NetworkPolicy').spec
    const spec = policy({})
    assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress'])
    assert.deepEqual(spec.ingress, [
      {
        from: [
          {
            namespaceSelector: {},
            podSelector: { matchLabels: { 'app.kubernetes.io/component': 'backup' } },
          },
          { podSelector: { matchLabels: componentLabels('panel') } },
        ],
        ports: [{ protocol: 'TCP', port: 8000 }],
      },
    ])
    const egress = spec.egress as { to?: unknown; ports: { protocol: string; port: number }[] }[]
    assert.deepEqual(egress[0]?.ports, [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ])
    assert.deepEqual(egress.slice(1), [{ ports: [{ protocol: 'TCP', port: 443 }] }])
    const minio = policy({ s3: { ...input().s3, endpoint: 'http://minio.storage.svc:9000' } })
    assert.deepEqual((minio.egress as unknown[])[1], { ports: [{ protocol: 'TCP', port: 9000 }] })
    const scraped = policy({ monitoringNamespace: 'monitoring' })
    assert.deepEqual((scraped.ingress as unknown[])[1], {
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ protocol: 'TCP', port: 9090 }],
    })
  })

  it('rolls the Pod when the credentials change, and takes the resources it is given', () => {
    const objects = renderBackupProxy(
      input({ credentialsVersion: '4711', resources: { requests: { cpu: '1' }, limits: { memory: '1Gi' } } }),
    )
    const template = byKind(objects, 'Deployment').spec.template as { metadata: { annotations?: object } }
    assert.deepEqual(template.metadata.annotations, { 'hostplane.dev/credentials-version': '4711' })
    assert.deepEqual(containerOf(objects).resources, { requests: { cpu: '1' }, limits: { memory: '1Gi' } })
    assert.deepEqual(containerOf(renderBackupProxy(input())).resources, {
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { memory: '256Mi' },
    })
  })

  it('refuses a target that is no DNS label', () => {
    for (const target of ['Offsite', 'a'.repeat(64), 'off.site', ''])
      assert.throws(() => renderBackupProxy(input({ target })), /is not a DNS label/)
  })
})
