/**
 * Customer → the objects that make its namespace a locked-down tenant: the namespace with Pod
 * Security `restricted` enforced, quota and limits of its tier and size, default-deny networking,
 * and the bindings of who may do what (access.ts). The admission policies that hold for every
 * customer namespace are the install's (src/admission). Pure.
 */
import type { Customer } from '../../api/resources.js'
import { dnsEgress } from '../../kube/network-policy.js'
import { controllerReference, type Manifest } from '../../kube/object.js'
import type { OperatorConfig } from '../config.js'
import {
  BACKUP_CLIENT_LABELS,
  BACKUP_PROXY_LABELS,
  BACKUP_PROXY_PORT,
} from '../backup-target/render-proxy.js'
import { type AccessConfig, renderCustomerAccess } from './access.js'
import {
  CUSTOMER_LABEL,
  customerNamespace,
  LIMIT_RANGE_NAME,
  MANAGED_BY,
  NETWORK_POLICY_NAME,
  BACKUP_EGRESS_POLICY_NAME,
  QUOTA_NAME,
  TIER_LABEL,
} from './names.js'
import { LARGEST_SIZE, objectCountQuota, SIZE_RESOURCES, TIER_OBJECT_LIMITS, TIER_QUOTAS } from './tiers.js'

export type TenancyConfig = Pick<OperatorConfig, 'ingressNamespace' | 'ingressPodLabels'> & AccessConfig

const POD_SECURITY = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/warn': 'restricted',
}

export function renderCustomer(customer: Customer, config: TenancyConfig): Manifest[] {
  const name = customer.metadata.name
  const namespace = customerNamespace(customer)
  const { tier, size } = customer.spec
  const labels = { ...MANAGED_BY, [CUSTOMER_LABEL]: name, [TIER_LABEL]: tier }
  const ownerReferences = [controllerReference(customer)]
  const meta = (objectName: string) => ({ name: objectName, namespace, labels, ownerReferences })
  const quota = TIER_QUOTAS[tier][size]
  const objectLimits = TIER_OBJECT_LIMITS[tier][size]
  if (!quota || !objectLimits) throw new Error(`customer ${name}: tier ${tier} has no size ${size}`)
  const defaults = SIZE_RESOURCES[size]
  const largest = SIZE_RESOURCES[LARGEST_SIZE[tier]]

  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { ...labels, ...POD_SECURITY }, ownerReferences },
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta(QUOTA_NAME),
      spec: {
        hard: {
          ...quota,
          ...objectCountQuota(objectLimits),
          // Tenants are reached only through the ingress: no node ports or load balancers of their own.
          'services.nodeports': '0',
          'services.loadbalancers': '0',
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: meta(LIMIT_RANGE_NAME),
      spec: {
        limits: [
          {
            type: 'Container',
            defaultRequest: defaults.requests,
            default: defaults.limits,
            max: largest.limits,
          },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(NETWORK_POLICY_NAME),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [
              {
                namespaceSelector: {
                  matchLabels: { 'kubernetes.io/metadata.name': config.ingressNamespace },
                },
                ...(config.ingressPodLabels
                  ? { podSelector: { matchLabels: { ...config.ingressPodLabels } } }
                  : {}),
              },
            ],
          },
        ],
        egress: [
          dnsEgress(),
          ...(customer.spec.egress ?? []).map((rule) => ({
            to: [{ ipBlock: { cidr: rule.cidr } }],
            ports: rule.ports.map((port) => ({ protocol: 'TCP', port })),
          })),
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(BACKUP_EGRESS_POLICY_NAME),
      spec: {
        podSelector: { matchLabels: { ...BACKUP_CLIENT_LABELS } },
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': config.systemNamespace } },
                podSelector: { matchLabels: { ...BACKUP_PROXY_LABELS } },
              },
            ],
            ports: [{ protocol: 'TCP', port: BACKUP_PROXY_PORT }],
          },
        ],
      },
    },
    ...renderCustomerAccess(customer, config, { namespace, labels, ownerReferences }),
  ]
}
