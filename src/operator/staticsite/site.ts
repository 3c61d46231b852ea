/** A StaticSite as read from the API server (defaults applied), and where it lives. */
import { API_VERSION } from '../../api/kind.js'
import type { StaticSiteSpec, StaticSiteStatus } from '../../api/staticsite.js'
import type { ObjectRef } from '../../kube/apply.js'
import type { KubeObject } from '../../kube/object.js'

export interface StaticSite extends KubeObject {
  spec: StaticSiteSpec
  status?: StaticSiteStatus
}

export const STATICSITES = { apiVersion: API_VERSION, kind: 'StaticSite', plural: 'staticsites' } as const

export const siteRef = (site: StaticSite): ObjectRef => ({
  ...STATICSITES,
  namespace: site.metadata.namespace,
  name: site.metadata.name,
})
