/**
 * The REST path of a rendered object. Resource plurals are lower-case kind + `s` except where
 * English says otherwise; the kinds hostplane writes are few and known, so no discovery call.
 */
import type { ObjectRef } from './apply.js'
import type { KubeObject } from './object.js'
import { resourcePath } from './rest.js'

const IRREGULAR_PLURALS: Readonly<Record<string, string>> = {
  NetworkPolicy: 'networkpolicies',
  ValidatingAdmissionPolicy: 'validatingadmissionpolicies',
  ValidatingAdmissionPolicyBinding: 'validatingadmissionpolicybindings',
  Ingress: 'ingresses',
  PodDisruptionBudget: 'poddisruptionbudgets',
}

export const pluralOf = (kind: string) => IRREGULAR_PLURALS[kind] ?? `${kind.toLowerCase()}s`

export const manifestPath = (object: KubeObject, options: { withName?: boolean } = {}) =>
  resourcePath({
    apiVersion: object.apiVersion,
    plural: pluralOf(object.kind),
    namespace: object.metadata.namespace,
    name: options.withName === false ? undefined : object.metadata.name,
  })

/** Where a rendered or cached object lives, for the Applier. */
export const objectRef = (object: KubeObject): ObjectRef => ({
  apiVersion: object.apiVersion,
  plural: pluralOf(object.kind),
  namespace: object.metadata.namespace,
  name: object.metadata.name,
})

/** Cache key of a generated object across kinds and namespaces: `kind/namespace/name`. */
export const objectIdentity = (object: KubeObject) =>
  `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`
