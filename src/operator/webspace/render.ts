/**
 * Webspace → the objects that run and route it, all in the webspace's namespace and owned by it
 * (so deleting the Webspace lets the garbage collector remove them): Deployment, Service, Traefik
 * IngressRoute, cert-manager Certificate, a PVC when it has storage, and on the dedicated tier an
 * autoscaler (2–10 replicas) and a PodDisruptionBudget. The app runs the image it is given (the
 * running Release's, pinned by digest). Pure.
 */
import type { Size } from '../../api/customer.js'
import type { Customer, Runtime, Webspace } from '../../api/resources.js'
import { DEFAULT_PROGRESS_DEADLINE_SECONDS, WEBSPACE_LABEL } from '../../api/webspace.js'
import { controllerReference, type Manifest } from '../../kube/object.js'
import type { OperatorConfig } from '../config.js'
import { CUSTOMER_LABEL, MANAGED_BY } from '../customer/names.js'
import { DEDICATED_AUTOSCALING, SIZE_RESOURCES } from '../customer/tiers.js'
import { REGISTRY_PULL_SECRET } from '../registry-pull/pull-secret.js'
import { domainsOf } from '../../domains/site-domains.js'

export type WebspaceConfig = Pick<
  OperatorConfig,
  'entryPoints' | 'defaultIssuer' | 'pagesDomain' | 'previewDomain' | 'registry'
>

const HTTP_PORT = 80
/** Writable scratch space: the root filesystem is read-only. */
const TMP_VOLUME = 'tmp'
const STORAGE_VOLUME = 'data'

/** Per-replica size: the webspace's own, else its customer's. */
export const webspaceSize = (webspace: Webspace, customer: Customer): Size =>
  webspace.spec.size ?? customer.spec.size

/**
 * `routed: false` when the webspace may not serve its domains (another object holds one, or one
 * is refused): it runs, but gets neither IngressRoute nor Certificate.
 */
export function renderWebspace(
  webspace: Webspace,
  runtime: Runtime,
  customer: Customer,
  config: WebspaceConfig,
  {
    routed = true,
    image = webspace.spec.image ?? runtime.spec.image,
  }: {
    readonly routed?: boolean
    /** What the app container runs: the running Release's image. @default spec.image, else the Runtime's */
    readonly image?: string
  } = {},
): Manifest[] {
  const { name, namespace } = webspace.metadata
  const labels = { ...MANAGED_BY, [CUSTOMER_LABEL]: customer.metadata.name, [WEBSPACE_LABEL]: name }
  const selector = { [WEBSPACE_LABEL]: name }
  const meta = (objectName: string) => ({
    name: objectName,
    namespace,
    labels,
    ownerReferences: [controllerReference(webspace)],
  })
  const size = SIZE_RESOURCES[webspaceSize(webspace, customer)]
  const dedicated = customer.spec.tier === 'dedicated'
  const suspended = customer.spec.suspended
  const replicas = suspended ? 0 : (webspace.spec.replicas ?? size.replicas)
  // The autoscaler owns the replica count on the dedicated tier; a stopped app (0) is not autoscaled.
  const autoscaled = dedicated && replicas > 0
  const { port, healthPath } = runtime.spec
  const domains = [...domainsOf(webspace, config.pagesDomain)]
  const tls = webspace.spec.tls
  const tlsSecret = tls.mode === 'secret' ? tls.secretName : tls.mode === 'auto' ? `${name}-tls` : undefined
  const probe = (periodSeconds: number) => ({
    httpGet: { path: healthPath, port: 'http' },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  })
  const env = [...(runtime.spec.env ?? []), ...(webspace.spec.env ?? [])].map((e) =>
    e.secretKeyRef
      ? { name: e.name, valueFrom: { secretKeyRef: { name: e.secretKeyRef.name, key: e.secretKeyRef.key } } }
      : { name: e.name, value: e.value ?? '' },
  )

  const objects: Manifest[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(name),
      spec: {
        ...(autoscaled ? {} : { replicas }),
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        revisionHistoryLimit: 3,
        // The health gate: no progress to Available for this long and the Release is rolled back.
        progressDeadlineSeconds:
          webspace.spec.rollout?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS,
        template: {
          metadata: { labels: { ...labels, ...selector } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            // The tenants' registry lets nodes pull a customer's images with its namespace's ticket.
            ...(config.registry && image.startsWith(`${config.registry}/`)
              ? { imagePullSecrets: [{ name: REGISTRY_PULL_SECRET }] }
              : {}),
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 101,
              runAsGroup: 101,
              fsGroup: 101,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'app',
                image,
                ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
                // The API server drops an empty list, which would then look like drift on every pass.
                ...(env.length > 0 ? { env } : {}),
                resources: { requests: { ...size.requests }, limits: { ...size.limits } },
                readinessProbe: probe(5),
                livenessProbe: { ...probe(10), initialDelaySeconds: 5 },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [
                  { name: TMP_VOLUME, mountPath: '/tmp' },
                  ...(webspace.spec.storage
                    ? [{ name: STORAGE_VOLUME, mountPath: webspace.spec.storage.mountPath }]
                    : []),
                ],
              },
            ],
            volumes: [
              { name: TMP_VOLUME, emptyDir: { sizeLimit: '64Mi' } },
              ...(webspace.spec.storage
                ? [{ name: STORAGE_VOLUME, persistentVolumeClaim: { claimName: name } }]
                : []),
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(name),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: 'http', port: HTTP_PORT, targetPort: 'http', protocol: 'TCP' }],
      },
    },
  ]

  if (routed && !suspended) {
    objects.push({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: meta(name),
      spec: {
        entryPoints: [...config.entryPoints],
        routes: [
          {
            kind: 'Rule',
            match: domains.map((d) => `Host(\`${d}\`)`).join(' || '),
            services: [{ name, port: HTTP_PORT }],
          },
        ],
        ...(tlsSecret ? { tls: { secretName: tlsSecret } } : {}),
      },
    })
  }
  if (routed && tls.mode === 'auto') {
    objects.push({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: meta(`${name}-tls`),
      spec: {
        secretName: `${name}-tls`,
        dnsNames: domains,
        issuerRef: {
          group: 'cert-manager.io',
          kind: 'ClusterIssuer',
          name: tls.clusterIssuer ?? config.defaultIssuer,
        },
      },
    })
  }
  if (webspace.spec.storage) {
    objects.push({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta(name),
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: webspace.spec.storage.size } },
      },
    })
  }
  if (autoscaled) {
    objects.push(
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: meta(name),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: Math.max(DEDICATED_AUTOSCALING.minReplicas, size.replicas),
          maxReplicas: DEDICATED_AUTOSCALING.maxReplicas,
          metrics: [
            {
              type: 'Resource',
              resource: {
                name: 'cpu',
                target: {
                  type: 'Utilization',
                  averageUtilization: DEDICATED_AUTOSCALING.targetCpuUtilization,
                },
              },
            },
          ],
        },
      },
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: meta(name),
        spec: { minAvailable: 1, selector: { matchLabels: selector } },
      },
    )
  }
  return objects
}
