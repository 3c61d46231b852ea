/**
 * The REST path of a rendered object. Resource plurals are lower-case kind + `s` except where
 * English says otherwise; the kinds hostplane writes are few and known, so no discovery call.
 */
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
