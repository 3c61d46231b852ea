/** A Release as the gitserver records one after a build, for tests that run no gitserver. */
import { randomBytes } from 'node:crypto'
import { API_VERSION } from '../../src/api/kind.js'
import { releaseLabels, type ReleaseSpec } from '../../src/api/release.js'
import type { Customer } from '../../src/api/resources.js'
import type { Manifest } from '../../src/kube/object.js'
import { customerNamespace } from '../../src/operator/customer/names.js'

export function testRelease(
  customer: Customer,
  webspace: string,
  name: string,
  commit = randomBytes(20).toString('hex'),
): Manifest {
  const spec: ReleaseSpec = {
    webspace,
    branch: 'main',
    commit,
    image: `registry.test/${customer.metadata.name}/${webspace}@sha256:${randomBytes(32).toString('hex')}`,
    strategy: 'layer',
    pushedBy: {
      customer: customer.metadata.name,
      fingerprint: `SHA256:${randomBytes(32).toString('base64').slice(0, 43)}`,
      key: 'customer',
    },
    buildLog: { digest: `sha256:${randomBytes(32).toString('hex')}`, lines: ['built'] },
  }
  return {
    apiVersion: API_VERSION,
    kind: 'Release',
    metadata: { name, namespace: customerNamespace(customer), labels: releaseLabels(spec) },
    spec,
  }
}
