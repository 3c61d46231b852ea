/**
 * A backup target's repository proxy (`hostplane backup-proxy`, docs/backups.md) in the system
 * namespace: a Deployment, a Service on port 8000 and a NetworkPolicy, all named
 * backupProxyName(target). Its Pod has no ServiceAccount token (it needs no Kubernetes API at
 * all), runs under Pod Security `restricted`, and reads the bucket's keys and the customers'
 * token hashes from two Secrets mounted read-only; it answers restic only for Pods labelled
 * `app.kubernetes.io/component: backup` (the backup Jobs, in any namespace) and the panel's Pods
 * (in its own namespace: a backup's download), and reaches only DNS and the bucket's port. Pure.
 *
 * Name rule (pinned by tests): `backup-proxy-<target>` when it has at most 63 characters and the
 * target contains no `--`; else `backup-proxy-<target, cut>--<8 hex of sha256(target)>`, exactly
 * 63 characters and containing `--`, so never a readable name of another target. Both are DNS
 * labels starting with a letter, as a Service's name must be.
 */
import { createHash } from 'node:crypto'
import { dnsEgress, namespaceNamed } from '../../kube/network-policy.js'
import { controllerReference, type KubeObject, type Manifest } from '../../kube/object.js'
import { restrictedContainerSecurity, restrictedPodSecurity } from '../../kube/pod-security.js'
import { MANAGED_BY } from '../customer/names.js'

/** restic's REST protocol: the Service's and the container's port. */
export const BACKUP_PROXY_PORT = 8000
/** /healthz, /readyz and /metrics (`--ops-listen`), not behind the Service. */
export const BACKUP_PROXY_OPS_PORT = 9090
export const BACKUP_TARGET_LABEL = 'hostplane.dev/backup-target'
/** The label, and its value, of the Pods the proxy answers: the backup Jobs'. */
/** Every proxy Pod's label, whatever its target: what backup Jobs may reach. */
export const BACKUP_PROXY_LABELS = { 'app.kubernetes.io/name': 'hostplane-backup-proxy' } as const
export const BACKUP_CLIENT_LABELS = { 'app.kubernetes.io/component': 'backup' } as const
/** The panel's pods (deploy/install's component labels), which stream a customer's backup as a download. */
export const PANEL_CLIENT_LABELS = {
  'app.kubernetes.io/name': 'hostplane',
  'app.kubernetes.io/component': 'panel',
} as const
const MOUNTS = { credentials: '/etc/hostplane/backup-credentials', tokens: '/etc/hostplane/backup-tokens' }
const MAX_NAME = 63
const PREFIX = 'backup-proxy-'
const HASH_LENGTH = 8
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export function backupProxyName(target: string): string {
  const readable = `${PREFIX}${target}`
  if (readable.length <= MAX_NAME && !target.includes('--')) return readable
  const hash = createHash('sha256').update(target).digest('hex').slice(0, HASH_LENGTH)
  const cut = target.slice(0, MAX_NAME - PREFIX.length - HASH_LENGTH - 2).replace(/-+$/, '')
  return `${PREFIX}${cut}--${hash}`
}

export interface BackupProxyInput {
  /** The BackupTarget's name: a DNS label (it is a label value too). */
  readonly target: string
  /** The BackupTarget, when the objects should be its (garbage-collected with it). */
  readonly owner?: KubeObject
  /** The system namespace, where the proxy runs and both Secrets are. */
  readonly namespace: string
  /** The hostplane image. */
  readonly image: string
  readonly s3: {
    /** http(s) URL of the S3 endpoint. */
    readonly endpoint: string
    readonly bucket: string
    readonly region: string
    /** Empty, or ending with `/`. */
    readonly prefix: string
  }
  /** Secret with `access-key-id` and `secret-access-key`. */
  readonly credentialsSecret: string
  /** Secret with one key per customer: the SHA-256 (hex) of its token. */
  readonly tokensSecret: string
  /**
   * The credentials Secret's version (e.g. its resourceVersion): a change rolls the Pod, which
   * reads the keys once at start. The tokens need none: the proxy reads them again by itself.
   */
  readonly credentialsVersion?: string
  /** @default requests 50m CPU and 64Mi, limit 256Mi */
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string>>
    readonly limits?: Readonly<Record<string, string>>
  }
  /** Namespace allowed to scrape /metrics. */
  readonly monitoringNamespace?: string
}

const DEFAULT_RESOURCES = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } }

const tcp = (port: number) => ({ protocol: 'TCP', port })

/** The proxy's Deployment, Service and NetworkPolicy. */
export function renderBackupProxy(input: BackupProxyInput): Manifest[] {
  const { target, namespace, s3 } = input
  if (target.length > MAX_NAME || !DNS_LABEL.test(target))
    throw new Error(`backup target ${JSON.stringify(target)} is not a DNS label of at most ${MAX_NAME}`)
  const name = backupProxyName(target)
  const endpoint = new URL(s3.endpoint)
  const bucketPort = Number(endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80))
  const selector = { ...BACKUP_PROXY_LABELS, [BACKUP_TARGET_LABEL]: target }
  const labels = { ...MANAGED_BY, ...selector }
  const metadata = {
    name,
    namespace,
    labels,
    ...(input.owner ? { ownerReferences: [controllerReference(input.owner)] } : {}),
  }
  const probe = (path: string, failureThreshold: number) => ({
    httpGet: { path, port: 'ops' },
    periodSeconds: 10,
    timeoutSeconds: 3,
    failureThreshold,
  })
  const secretVolume = (volume: string, secretName: string) => ({
    name: volume,
    secret: { secretName, defaultMode: 0o440 },
  })

  const deployment: Manifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: 1,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels,
          ...(input.credentialsVersion
            ? { annotations: { 'hostplane.dev/credentials-version': input.credentialsVersion } }
            : {}),
        },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: restrictedPodSecurity(),
          containers: [
            {
              name: 'backup-proxy',
              image: input.image,
              args: [
                'backup-proxy',
                `--listen=0.0.0.0:${BACKUP_PROXY_PORT}`,
                `--ops-listen=0.0.0.0:${BACKUP_PROXY_OPS_PORT}`,
                `--endpoint=${s3.endpoint}`,
                `--bucket=${s3.bucket}`,
                `--region=${s3.region}`,
                `--prefix=${s3.prefix}`,
                `--credentials=${MOUNTS.credentials}`,
                `--tokens=${MOUNTS.tokens}`,
              ],
              ports: [
                { name: 'restic', containerPort: BACKUP_PROXY_PORT, protocol: 'TCP' },
                { name: 'ops', containerPort: BACKUP_PROXY_OPS_PORT, protocol: 'TCP' },
              ],
              readinessProbe: probe('/readyz', 3),
              livenessProbe: probe('/healthz', 6),
              resources: {
                requests: { ...(input.resources?.requests ?? DEFAULT_RESOURCES.requests) },
                limits: { ...(input.resources?.limits ?? DEFAULT_RESOURCES.limits) },
              },
              securityContext: restrictedContainerSecurity(),
              volumeMounts: [
                { name: 'credentials', mountPath: MOUNTS.credentials, readOnly: true },
                { name: 'tokens', mountPath: MOUNTS.tokens, readOnly: true },
              ],
            },
          ],
          volumes: [
            secretVolume('credentials', input.credentialsSecret),
            secretVolume('tokens', input.tokensSecret),
          ],
        },
      },
    },
  }

  const service: Manifest = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [{ name: 'restic', port: BACKUP_PROXY_PORT, targetPort: 'restic', protocol: 'TCP' }],
    },
  }

  const networkPolicy: Manifest = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata,
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        // The tokens decide which repository; the policy keeps everything but backup Jobs from even asking.
        {
          from: [
            { namespaceSelector: {}, podSelector: { matchLabels: { ...BACKUP_CLIENT_LABELS } } },
            // The panel, beside the proxy in the system namespace, with the customer's own token.
            { podSelector: { matchLabels: { ...PANEL_CLIENT_LABELS } } },
          ],
          ports: [tcp(BACKUP_PROXY_PORT)],
        },
        ...(input.monitoringNamespace
          ? [{ from: [namespaceNamed(input.monitoringNamespace)], ports: [tcp(BACKUP_PROXY_OPS_PORT)] }]
          : []),
      ],
      egress: [
        dnsEgress(),
        // Any address on the bucket's port: the endpoint is a name, which a policy cannot hold,
        // and may be a Service in the cluster (MinIO) as well as outside it.
        { ports: [tcp(bucketPort)] },
      ],
    },
  }
  return [deployment, service, networkPolicy]
}
