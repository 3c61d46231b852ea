/** A Customer for unit tests: shared/small `acme`, owning acme.example, unless a test says otherwise. */
import { API_VERSION } from '../../api/kind.js'
import type { Customer } from '../../api/resources.js'

export const customer = (spec: Partial<Customer['spec']> = {}, name = 'acme'): Customer => ({
  apiVersion: API_VERSION,
  kind: 'Customer',
  metadata: { name, uid: `uid-${name}` },
  spec: {
    displayName: 'Acme',
    email: 'ops@acme.example',
    tier: 'shared',
    size: 'small',
    suspended: false,
    domains: ['acme.example'],
    ...spec,
  },
})
