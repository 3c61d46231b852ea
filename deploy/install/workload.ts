/**
 * What every hostplane pod shares: labels, the restricted security context Pod Security
 * `restricted` admits, HTTP probes and writable emptyDir scratch space on a read-only root.
 */
import type {
  V1Affinity,
  V1Container,
  V1ContainerPort,
  V1ObjectMeta,
  V1PodSpec,
  V1Probe,
  V1SecurityContext,
  V1Volume,
} from '@kubernetes/client-node'
import type { Manifest } from '../../src/kube/object.js'
import { restrictedContainerSecurity, restrictedPodSecurity } from '../../src/kube/pod-security.js'
import type { Component } from './options.js'

/** The container port of every component: health, metrics and (syncer) webhooks, or (nginx) sites. */
export const HTTP_PORT = 8080

/** The port of the syncer's mirror feed, and of the mirror sidecar's health and metrics beside nginx (`mirror` storage). */
export const MIRROR_PORT = 8081

/** Pod labels and selector of a component. */
export const componentLabels = (component: Component) => ({
  'app.kubernetes.io/name': 'hostplane',
  'app.kubernetes.io/component': component,
})

export const CONTAINER_SECURITY: V1SecurityContext = restrictedContainerSecurity()

/** Liveness and readiness on the component's own health endpoints. */
export function httpProbes(
  port: string,
  paths: { readonly live: string; readonly ready: string },
): Pick<V1Container, 'livenessProbe' | 'readinessProbe'> {
  const probe = (path: string, failureThreshold: number): V1Probe => ({
    httpGet: { path, port },
    periodSeconds: 10,
    timeoutSeconds: 3,
    failureThreshold,
  })
  return { livenessProbe: probe(paths.live, 6), readinessProbe: probe(paths.ready, 3) }
}

/** A bounded emptyDir, so a runaway writer is evicted instead of filling the node. */
export const scratch = (name: string, sizeLimit: string): V1Volume => ({ name, emptyDir: { sizeLimit } })

export interface PodProps {
  readonly component: Component
  readonly serviceAccountName: string
  readonly automountServiceAccountToken: boolean
  readonly containers: V1Container[]
  readonly volumes: V1Volume[]
  readonly podAnnotations?: Record<string, string>
  readonly affinity?: V1Affinity
}

/** A pod template that passes Pod Security `restricted`: every container gets the restricted context. */
export function podTemplate(props: PodProps): { metadata: V1ObjectMeta; spec: V1PodSpec } {
  return {
    metadata: { labels: componentLabels(props.component), annotations: props.podAnnotations },
    spec: {
      serviceAccountName: props.serviceAccountName,
      automountServiceAccountToken: props.automountServiceAccountToken,
      enableServiceLinks: false,
      affinity: props.affinity,
      securityContext: restrictedPodSecurity(),
      containers: props.containers.map((container) => ({
        ...container,
        securityContext: CONTAINER_SECURITY,
      })),
      volumes: props.volumes,
    },
  }
}

export interface DeploymentProps extends PodProps {
  readonly name: string
  readonly namespace: string
  readonly replicas: number
  /** Recreate for a single writer that must never overlap with its successor. @default RollingUpdate */
  readonly strategy?: 'RollingUpdate' | 'Recreate'
}

export function deploymentManifest(props: DeploymentProps): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: props.name, namespace: props.namespace, labels: componentLabels(props.component) },
    spec: {
      replicas: props.replicas,
      revisionHistoryLimit: 5,
      strategy: { type: props.strategy ?? 'RollingUpdate' },
      selector: { matchLabels: componentLabels(props.component) },
      template: podTemplate(props),
    },
  }
}

/** A ClusterIP Service in front of a component's pods, one port per named container port. */
export function serviceManifest(
  namespace: string,
  name: string,
  component: Component,
  ports: readonly { readonly name: string; readonly port: number; readonly targetPort: string }[],
): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: componentLabels(component) },
    spec: {
      type: 'ClusterIP',
      selector: componentLabels(component),
      ports: ports.map((p) => ({ ...p, protocol: 'TCP' })),
    },
  }
}

/** A container port the probes, Services and NetworkPolicies name. */
export type NamedPort = Required<Pick<V1ContainerPort, 'name' | 'containerPort'>>

/**
 * A container of the hostplane image running one subcommand: its settings from a ConfigMap of
 * HOSTPLANE_* variables (args win over them), probes on the ops routes of src/ops/ops-routes.ts.
 */
export function hostplaneContainer(props: {
  readonly image: string
  readonly args: readonly string[]
  /** Variables that win over the settings ConfigMap. */
  readonly env?: readonly { readonly name: string; readonly value: string }[]
  readonly settings: string
  readonly resources: NonNullable<V1Container['resources']>
  readonly volumeMounts: NonNullable<V1Container['volumeMounts']>
  /** The port of the ops routes; a sidecar beside nginx needs another than nginx's. @default http, 8080 */
  readonly opsPort?: NamedPort
  /** Ports it serves besides the ops routes'. */
  readonly morePorts?: readonly NamedPort[]
}): V1Container {
  const [command = 'hostplane'] = props.args
  const { opsPort = { name: 'http', containerPort: HTTP_PORT }, morePorts = [] } = props
  return {
    name: command,
    image: props.image,
    args: [...props.args],
    env: props.env?.map((variable) => ({ ...variable })),
    envFrom: [{ configMapRef: { name: props.settings } }],
    ports: [opsPort, ...morePorts].map((port) => ({ ...port })),
    ...httpProbes(opsPort.name, { live: '/healthz', ready: '/readyz' }),
    resources: props.resources,
    volumeMounts: props.volumeMounts,
  }
}
