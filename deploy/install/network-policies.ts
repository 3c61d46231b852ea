/**
 * NetworkPolicies of the system namespace: everything is denied unless listed here.
 * - nginx: in from the ingress controller only (its namespace, and its pods' labels when the
 *   options give them, as the k3s profile does for Traefik in kube-system); nothing out. In
 *   `mirror` storage its pods' mirror sidecar also answers the monitoring namespace (metrics) and
 *   reaches DNS and the syncer's feed port, nothing else.
 * - syncer: in from the ingress controller (webhooks) and the monitoring namespace (metrics), and
 *   in `mirror` storage from the nginx pods on the feed port only; out to DNS, the API server and
 *   Git hosts (https 443, ssh 22, git 9418). The syncer itself refuses private addresses and hosts
 *   outside --allowed-hosts; the policy is the second fence.
 * - operator: in from the monitoring namespace (metrics); out to DNS and the API server.
 * - gitserver (when enabled): SSH in from anywhere (customers push from outside; it limits
 *   connections per address itself), metrics from the monitoring namespace, and with a registry
 *   its HTTP port from the build namespace (sources, registry tokens) and, with the install's
 *   registry, from the ingress controller (the token realm on the registry's public host); out to
 *   DNS, the API server and the registry (the install's pods, or a user's registry's addresses).
 * - registry (the install's own): in from the ingress controller and the gitserver on the
 *   registry port, metrics from the monitoring namespace; nothing out (it checks tokens itself).
 * - panel (when given): in from the ingress controller on its HTTP port and from the monitoring
 *   namespace on its ops port; out to DNS, the API server, https anywhere (the provider's
 *   OpenID Connect issuer, wherever it runs) and the backup targets' repository proxies (a
 *   customer's backup as a download).
 * - cert-manager's HTTP-01 solver pods, which it starts beside the sites' Certificates in this
 *   namespace: in from the ingress controller on the solver's port; nothing out.
 * The API server is reached at the `kubernetes` Service (443) or, after the node's NAT, at its
 * own port (6443 on k3s); policies cannot name it, so those ports are open to any address.
 * Kubelet probes come from the node, which NetworkPolicy implementations admit.
 */
import type {
  V1NetworkPolicyEgressRule,
  V1NetworkPolicyPort,
  V1NetworkPolicyPeer,
} from '@kubernetes/client-node'
import { Construct } from 'constructs'
import { emit } from './manifest-files.js'
import type { Component, InstallOptions } from './options.js'
import { MIRROR_OPS_PORT } from './mirror-sidecar.js'
import { gitserverRegistry, SSH_PORT } from './gitserver.js'
import { PANEL_HTTP_PORT, PANEL_OPS_PORT } from './panel.js'
import { REGISTRY_DEBUG_PORT, REGISTRY_PORT } from './registry.js'
import { BUILD_NAMESPACE } from '../../src/build/jobs/settings.js'
import { BACKUP_PROXY_LABELS, BACKUP_PROXY_PORT } from '../../src/operator/backup-target/render-proxy.js'
import { FEED_PORT } from './syncer.js'
import { componentLabels, HTTP_PORT } from './workload.js'

/** client-node spells the JSON field `from` as `_from`, so this one shape is declared here. */
interface IngressRule {
  readonly from: V1NetworkPolicyPeer[]
  readonly ports: V1NetworkPolicyPort[]
}

const fromNamespace = (name: string): V1NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
})
/** A component's pods in the policy's own namespace. */
const podsOf = (component: Component): V1NetworkPolicyPeer => ({
  podSelector: { matchLabels: componentLabels(component) },
})
/** The ingress controller's pods: its namespace, narrowed to its pods' labels when they are known. */
const fromIngress = ({ namespace, podLabels }: InstallOptions['ingress']): V1NetworkPolicyPeer => ({
  ...fromNamespace(namespace),
  ...(podLabels ? { podSelector: { matchLabels: { ...podLabels } } } : {}),
})
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }))
const anywhere: V1NetworkPolicyPeer[] = [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }]

/** The label and port of the pods cert-manager starts to answer HTTP-01 challenges. */
export const HTTP01_SOLVER = { labels: { 'acme.cert-manager.io/http01-solver': 'true' }, port: 8089 } as const

const DNS: V1NetworkPolicyEgressRule = {
  to: [fromNamespace('kube-system')],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
}
const API_SERVER: V1NetworkPolicyEgressRule = { to: anywhere, ports: tcp(443, 6443) }
const GIT: V1NetworkPolicyEgressRule = { to: anywhere, ports: tcp(443, 22, 9418) }

export class SystemNetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: { options: InstallOptions }) {
    super(scope, id)
    const { ingress, monitoringNamespace, namespace, storage } = props.options
    const mirror = storage.mode === 'mirror'
    emit(this, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'hostplane-default-deny', namespace },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    })
    const allow = (
      name: string,
      pods: Readonly<Record<string, string>>,
      ingress: IngressRule[],
      egress: V1NetworkPolicyEgressRule[],
    ) =>
      emit(this, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name, namespace },
        spec: {
          podSelector: { matchLabels: { ...pods } },
          policyTypes: ['Ingress', 'Egress'],
          ingress,
          // No rules at all, not an empty list: the API server drops `egress: []`, so applying it
          // again would write every time (an object that never stops changing under GitOps).
          egress: egress.length ? egress : undefined,
        },
      })
    const component = (name: Component) => [`hostplane-${name}`, componentLabels(name)] as const
    const feed = tcp(FEED_PORT.containerPort)
    allow(
      ...component('nginx'),
      [
        { from: [fromIngress(ingress)], ports: tcp(HTTP_PORT) },
        ...(mirror
          ? [{ from: [fromNamespace(monitoringNamespace)], ports: tcp(MIRROR_OPS_PORT.containerPort) }]
          : []),
      ],
      mirror ? [DNS, { to: [podsOf('syncer')], ports: feed }] : [],
    )
    allow(
      ...component('syncer'),
      [
        {
          from: [fromIngress(ingress), fromNamespace(monitoringNamespace)],
          ports: tcp(HTTP_PORT),
        },
        ...(mirror ? [{ from: [podsOf('nginx')], ports: feed }] : []),
      ],
      [DNS, API_SERVER, GIT],
    )
    allow(
      ...component('operator'),
      [{ from: [fromNamespace(monitoringNamespace)], ports: tcp(HTTP_PORT) }],
      [DNS, API_SERVER],
    )
    const registry = gitserverRegistry(props.options)
    if (props.options.gitserver)
      allow(
        ...component('gitserver'),
        [
          { from: anywhere, ports: tcp(SSH_PORT.containerPort) },
          { from: [fromNamespace(monitoringNamespace)], ports: tcp(HTTP_PORT) },
          // Build Pods fetch their source and their registry tokens here.
          ...(registry ? [{ from: [fromNamespace(BUILD_NAMESPACE)], ports: tcp(HTTP_PORT) }] : []),
          // Nodes and clients reach the token realm through the registry's public host.
          ...(registry?.kind === 'bundled' ? [{ from: [fromIngress(ingress)], ports: tcp(HTTP_PORT) }] : []),
        ],
        [
          DNS,
          API_SERVER,
          ...(registry?.kind === 'bundled'
            ? [{ to: [podsOf('registry')], ports: tcp(REGISTRY_PORT.containerPort) }]
            : []),
          ...(registry?.kind === 'own' ? registry.registry.egress : []).map(({ cidr, ports }) => ({
            to: [{ ipBlock: { cidr } }],
            ports: tcp(...ports),
          })),
        ],
      )
    if (registry?.kind === 'bundled')
      allow(
        ...component('registry'),
        [
          { from: [fromIngress(ingress), podsOf('gitserver')], ports: tcp(REGISTRY_PORT.containerPort) },
          { from: [fromNamespace(monitoringNamespace)], ports: tcp(REGISTRY_DEBUG_PORT.containerPort) },
        ],
        [],
      )
    if (props.options.panel)
      allow(
        ...component('panel'),
        [
          { from: [fromIngress(ingress)], ports: tcp(PANEL_HTTP_PORT.containerPort) },
          { from: [fromNamespace(monitoringNamespace)], ports: tcp(PANEL_OPS_PORT.containerPort) },
        ],
        // The identity provider is wherever the provider runs it: https anywhere. The backup
        // targets' repository proxies serve the customers' backups as downloads.
        [
          DNS,
          API_SERVER,
          { to: anywhere, ports: tcp(443) },
          {
            to: [{ podSelector: { matchLabels: { ...BACKUP_PROXY_LABELS } } }],
            ports: tcp(BACKUP_PROXY_PORT),
          },
        ],
      )
    allow(
      'hostplane-acme-http01-solver',
      HTTP01_SOLVER.labels,
      [{ from: [fromIngress(ingress)], ports: tcp(HTTP01_SOLVER.port) }],
      [],
    )
  }
}
