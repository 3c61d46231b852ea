import { KubeApiError } from '../kube/rest.js'

/** The API server's refusal as a sentence about the object a command was working on. */
export function apiRefusal(error: unknown, what: string): Error {
  if (!(error instanceof KubeApiError)) return error instanceof Error ? error : new Error(String(error))
  if (error.status === 404) return new Error(`${what} does not exist`)
  if (error.status === 403) return new Error(`${what}: forbidden: ${error.message}`)
  return new Error(`${what}: ${error.message}`)
}
