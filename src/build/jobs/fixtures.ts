/** Build Job specs for tests: one customer's webspace at one commit, on the smallest shared size. */
import { buildLimits } from '../../operator/customer/tiers.js'
import type { JobStrategy } from './names.js'
import type { Manifest } from '../../kube/object.js'
import { type BuildJobSpec, renderBuildJob } from './render.js'
import { buildSettings } from './settings.js'

export const COMMIT = 'c0ffee'.padEnd(40, '0')

export const buildJobSpec = (strategy: JobStrategy, overrides: Partial<BuildJobSpec> = {}): BuildJobSpec => ({
  customer: 'acme',
  webspace: 'shop',
  commit: COMMIT,
  strategy,
  limits: buildLimits('shared', 'small'),
  sourceUrl: 'http://hostplane-gitserver.hostplane-system:8080/source/one-time-token',
  target: {
    registry: 'registry.hostplane-system:5000',
    repository: 'hostplane/acme',
    tag: `shop-${COMMIT.slice(0, 12)}`,
  },
  ...overrides,
})

export interface FixtureContainer {
  name: string
  image: string
  securityContext: Record<string, unknown>
  volumeMounts: { name: string; mountPath: string }[]
  env?: unknown[]
  resources?: { limits: Record<string, string> }
}
export interface FixturePodSpec {
  initContainers: FixtureContainer[]
  containers: FixtureContainer[]
  volumes: Record<string, unknown>[]
  [key: string]: unknown
}
export type FixtureJob = Manifest & {
  spec: { template: { metadata: { labels: Record<string, string> }; spec: FixturePodSpec } }
}

/** A build Job as the runner renders it, with the default settings. */
export const fixtureJob = (strategy: JobStrategy, overrides: Partial<BuildJobSpec> = {}): FixtureJob =>
  renderBuildJob(buildJobSpec(strategy, overrides), buildSettings(), 'shop-c0ffee000000-abcdef') as FixtureJob

/** The Pod the Job controller makes of a build Job. */
export const podOf = (job: FixtureJob): Manifest & { spec: FixturePodSpec } => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: `${job.metadata.name}-x7k2p`,
    namespace: job.metadata.namespace,
    labels: { ...job.spec.template.metadata.labels },
  },
  spec: structuredClone(job.spec.template.spec),
})

/** One of the Pod's containers, init or not. */
export const containerOf = (spec: FixturePodSpec, name: string): FixtureContainer => {
  const found = [...spec.initContainers, ...spec.containers].find((c) => c.name === name)
  if (!found) throw new Error(`no container ${name}`)
  return found
}
