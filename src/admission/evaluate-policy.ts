/**
 * Evaluates a rendered ValidatingAdmissionPolicy's CEL for one parameter, as the API server does:
 * match conditions first (any false: the policy does not apply), then the variables in order,
 * then each validation, the first failing one giving the message. For unit tests of the
 * policies' rules (the real API server proves the wiring: bindings, parameters, caches).
 */
import { parse as parseCel } from '@marcbachmann/cel-js'
import type { Manifest } from '../kube/object.js'

export interface AdmissionInput {
  readonly object: unknown
  /** null on CREATE. @default null */
  readonly oldObject?: unknown
  readonly params: unknown
  readonly request: { readonly operation: 'CREATE' | 'UPDATE'; readonly namespace?: string }
  /** The namespace of a namespaced object. @default null */
  readonly namespaceObject?: unknown
}

export type Verdict = { readonly allowed: true } | { readonly allowed: false; readonly message: string }

interface PolicySpec {
  matchConditions?: { expression: string }[]
  variables?: { name: string; expression: string }[]
  validations: { expression: string; messageExpression?: string; message?: string }[]
}

const evaluate = (expression: string, context: Record<string, unknown>): unknown =>
  (parseCel(expression) as (context: Record<string, unknown>) => unknown)(context)

export function evaluatePolicy(policy: Manifest, input: AdmissionInput): Verdict {
  const spec = policy.spec as PolicySpec
  const variables: Record<string, unknown> = {}
  const context = { oldObject: null, namespaceObject: null, ...input, variables }
  if (spec.matchConditions?.some((condition) => evaluate(condition.expression, context) !== true))
    return { allowed: true }
  for (const variable of spec.variables ?? [])
    variables[variable.name] = evaluate(variable.expression, context)
  for (const validation of spec.validations) {
    if (evaluate(validation.expression, context) === true) continue
    const message = validation.messageExpression
      ? String(evaluate(validation.messageExpression, context))
      : (validation.message ?? validation.expression)
    return { allowed: false, message }
  }
  return { allowed: true }
}
