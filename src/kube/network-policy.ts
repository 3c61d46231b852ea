/** Pieces of the NetworkPolicies hostplane renders, written once. */

/** The Pods of namespace `name` (the API server labels every namespace with its name). */
export const namespaceNamed = (name: string) => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
})

/** Out to the cluster's DNS in kube-system, over UDP and TCP. */
export const dnsEgress = () => ({
  to: [namespaceNamed('kube-system')],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
})
