/**
 * The shared nginx as Traefik sees it in a cluster: a Service without selector in the system
 * namespace, named and numbered as the operator's `--nginx-service`/`--nginx-port`, and an
 * EndpointSlice pointing at the nginx this test runs on a pod address (test/traefik/pod-address.ts).
 */
import type { KubeRest } from '../../src/kube/rest.js'
import { resourcePath } from '../../src/kube/rest.js'

export interface NginxService {
  readonly namespace: string
  readonly name: string
  /** The Service port the operator's routes name. */
  readonly port: number
  /** Where nginx really listens. */
  readonly address: string
  readonly targetPort: number
}

export async function createNginxService(admin: KubeRest, service: NginxService): Promise<void> {
  const { namespace, name, port, address, targetPort } = service
  await admin.request('POST', resourcePath({ apiVersion: 'v1', plural: 'services', namespace }), {
    body: {
      metadata: { name, namespace },
      spec: { ports: [{ name: 'http', port, targetPort, protocol: 'TCP' }] },
    },
  })
  await admin.request(
    'POST',
    resourcePath({ apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices', namespace }),
    {
      body: {
        metadata: {
          name: `${name}-test`,
          namespace,
          labels: {
            'kubernetes.io/service-name': name,
            'endpointslice.kubernetes.io/managed-by': 'hostplane-test',
          },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: [address], conditions: { ready: true, serving: true } }],
        ports: [{ name: 'http', port: targetPort, protocol: 'TCP' }],
      },
    },
  )
}
