/**
 * Names and labels of build Jobs. Rule (pinned by tests): `<webspace, cut to 36>-<commit, 12>-<6
 * hex of sha256(customer/webspace/commit/nonce)>`, at most 56 characters, so the Job's name is a
 * valid label value (the Job controller labels its Pods with it) and its push Secret
 * `<job>-push` a valid name. The nonce makes each attempt of the same commit a Job of its own.
 */
import { createHash } from 'node:crypto'
import { CUSTOMER_LABEL, MANAGED_BY } from '../../operator/customer/names.js'
import { WEBSPACE_LABEL } from '../../api/webspace.js'

export const COMMIT_LABEL = 'hostplane.dev/commit'
export const STRATEGY_LABEL = 'hostplane.dev/build-strategy'
export const COMPONENT_LABEL = 'app.kubernetes.io/component'
export const BUILD_COMPONENT = 'build'

export type JobStrategy = 'buildpacks' | 'dockerfile'

/** The containers of a build Pod, in the order they run. */
export const CONTAINER = {
  /** Init: fetches the source archive into the `source` volume. */
  fetch: 'fetch',
  /** Init, buildpacks only: copies the run image into the OCI layout the creator reads. */
  runImage: 'run-image',
  /** Init: the build itself (creator or BuildKit); its output goes to the `output` volume. */
  build: 'build',
  /** The Pod's one container: pushes the output; the only one that sees the registry credential. */
  push: 'push',
} as const

export interface BuildIdentity {
  readonly customer: string
  readonly webspace: string
  /** 40 hex. */
  readonly commit: string
}

const cut = (value: string, length: number) => value.slice(0, length).replace(/[-.]+$/, '')

export function buildJobName({ customer, webspace, commit }: BuildIdentity, nonce: string): string {
  const hash = createHash('sha256').update(`${customer}/${webspace}/${commit}/${nonce}`).digest('hex')
  return `${cut(webspace, 36)}-${commit.slice(0, 12)}-${hash.slice(0, 6)}`
}

export const pushSecretName = (jobName: string) => `${jobName}-push`

/** Labels of a build Job and its Pod: who it builds for, and what. */
export const buildLabels = ({ customer, webspace, commit }: BuildIdentity, strategy: JobStrategy) => ({
  ...MANAGED_BY,
  [COMPONENT_LABEL]: BUILD_COMPONENT,
  [CUSTOMER_LABEL]: customer,
  [WEBSPACE_LABEL]: webspace,
  [COMMIT_LABEL]: commit,
  [STRATEGY_LABEL]: strategy,
})
