/** Where a StaticSite (as read from the API server, defaults applied) lives. */
import { API_VERSION } from '../../api/kind.js'
import type { StaticSite } from '../../api/resources.js'
import type { ObjectRef } from '../../kube/apply.js'

export type { StaticSite }

export const STATICSITES = { apiVersion: API_VERSION, kind: 'StaticSite', plural: 'staticsites' } as const

export const siteRef = (site: StaticSite): ObjectRef => ({
  ...STATICSITES,
  namespace: site.metadata.namespace,
  name: site.metadata.name,
})
