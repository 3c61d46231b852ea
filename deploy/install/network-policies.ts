/**
 * NetworkPolicies of the system namespace: everything is denied unless listed here.
 * - nginx: in from the ingress controller's namespace only; nothing out.
 * - syncer: in from the ingress namespace (webhooks) and the monitoring namespace (metrics); out
 *   to DNS, the API server and Git hosts (https 443, ssh 22, git 9418). The syncer itself refuses
 *   private addresses and hosts outside --allowed-hosts; the policy is the second fence.
 * - operator: in from the monitoring namespace (metrics); out to DNS and the API server.
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
import { type InstallOptions, SYSTEM_NAMESPACE } from './options.js'
import { type Component, componentLabels, HTTP_PORT } from './workload.js'

/** client-node spells the JSON field `from` as `_from`, so this one shape is declared here. */
interface IngressRule {
  readonly from: V1NetworkPolicyPeer[]
  readonly ports: V1NetworkPolicyPort[]
}

const fromNamespace = (name: string): V1NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
})
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }))
const anywhere: V1NetworkPolicyPeer[] = [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }]

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
    const { ingressNamespace, monitoringNamespace } = props.options
    emit(this, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'hostplane-default-deny', namespace: SYSTEM_NAMESPACE },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    })
    const allow = (component: Component, ingress: IngressRule[], egress: V1NetworkPolicyEgressRule[]) =>
      emit(this, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `hostplane-${component}`, namespace: SYSTEM_NAMESPACE },
        spec: {
          podSelector: { matchLabels: componentLabels(component) },
          policyTypes: ['Ingress', 'Egress'],
          ingress,
          // No rules at all, not an empty list: the API server drops `egress: []`, so applying it
          // again would write every time (an object that never stops changing under GitOps).
          egress: egress.length ? egress : undefined,
        },
      })
    allow('nginx', [{ from: [fromNamespace(ingressNamespace)], ports: tcp(HTTP_PORT) }], [])
    allow(
      'syncer',
      [
        {
          from: [fromNamespace(ingressNamespace), fromNamespace(monitoringNamespace)],
          ports: tcp(HTTP_PORT),
        },
      ],
      [DNS, API_SERVER, GIT],
    )
    allow(
      'operator',
      [{ from: [fromNamespace(monitoringNamespace)], ports: tcp(HTTP_PORT) }],
      [DNS, API_SERVER],
    )
  }
}
