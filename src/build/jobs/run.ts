/**
 * Runs one build Job to its end: checks the Dockerfile, waits for a free build slot of the
 * customer, creates the Job and its push Secret, follows the Job and its Pod until they finish or
 * time out, and answers with the pushed image's digest (the pusher's termination message) or with
 * the reason and the failed container's log tail (its termination message: the build container's
 * policy is FallbackToLogsOnError). The push Secret is deleted whatever happens; it is also owned
 * by the Job, so a runner that dies leaves it only until the Job's TTL.
 *
 * Concurrent builds per customer: the active build Jobs carrying the customer's label are counted.
 * A build over the limit waits (`queueMs`, default a minute) for one to finish, then is refused
 * with a message saying so. Two runners may both see a free slot; each recounts after its create
 * and the Jobs past the limit, by creation time then name, delete themselves and wait again, so
 * the limit holds without a lock.
 */
import { randomBytes } from 'node:crypto'
import type { Size, Tier } from '../../api/customer.js'
import type { KubeObject, KubeList } from '../../kube/object.js'
import { isNotFound, type KubeRest, resourcePath } from '../../kube/rest.js'
import { CUSTOMER_LABEL } from '../../operator/customer/names.js'
import { type BuildLimits, buildLimits } from '../../operator/customer/tiers.js'
import { dockerfileProblem } from './dockerfile.js'
import {
  BUILD_COMPONENT,
  type BuildIdentity,
  buildJobName,
  COMPONENT_LABEL,
  CONTAINER,
  type JobStrategy,
} from './names.js'
import { type PushTarget, type RegistryCredentials, renderBuildJob, renderPushSecret } from './render.js'
import { type BuildSettings, buildSettings } from './settings.js'

export interface BuildJobRequest extends BuildIdentity {
  readonly strategy: JobStrategy
  /** The customer's tier and size: they give the build's limits. */
  readonly tier: Tier
  readonly size: Size
  /** The commit's tree as a tar archive, at a URL whose token the first download spends. */
  readonly sourceUrl: string
  /** The `Dockerfile` at the commit's root (dockerfile strategy; undefined when it has none). */
  readonly dockerfile?: string
  readonly target: PushTarget
  /** Short-lived push credentials for `target`'s repository; only the pusher container sees them. */
  readonly credentials: RegistryCredentials
}

/**
 * Why a build gave no image: `Refused` (nothing ran: the Dockerfile), `Busy` (the customer's
 * builds were all in use for the whole wait), `Failed` (a container failed), `DeadlineExceeded`
 * (the tier's time limit), `Timeout` (the Job did not finish within its deadline and a grace),
 * `Aborted` (the caller's signal).
 */
export type BuildFailure = 'Refused' | 'Busy' | 'Failed' | 'DeadlineExceeded' | 'Timeout' | 'Aborted'

export type BuildOutcome =
  | {
      readonly ok: true
      /** `<registry>/<repository>@sha256:…` */
      readonly image: string
      readonly digest: string
      readonly logTail: string
      readonly job: string
    }
  | {
      readonly ok: false
      readonly failure: BuildFailure
      /** One sentence for the user: what failed, and what to change when they can. */
      readonly reason: string
      readonly logTail: string
      readonly job?: string
    }

export interface RunBuildOptions {
  /** @default buildSettings() */
  readonly settings?: BuildSettings
  /** @default buildLimits (src/operator/customer/tiers.ts) */
  readonly limits?: (tier: Tier, size: Size) => BuildLimits
  readonly signal?: AbortSignal
  /** How often the Job and its Pod are read. @default 1000 */
  readonly pollMs?: number
  /** How long a build waits for a free slot of its customer before it is refused. @default 60000 */
  readonly queueMs?: number
  /** How long past the Job's own deadline the runner waits for the Job controller. @default 60000 */
  readonly graceMs?: number
  /** Lines of the build log a successful build's answer carries (read from the kubelet). @default 50 */
  readonly tailLines?: number
  /** Progress for the pusher's terminal (`remote: …`). */
  readonly log?: (line: string) => void
  /** @default 6 random hex */
  readonly nonce?: () => string
}

interface Condition {
  readonly type: string
  readonly status: string
  readonly reason?: string
  readonly message?: string
}
interface Job extends KubeObject {
  readonly status?: { readonly conditions?: readonly Condition[] }
}
interface Terminated {
  readonly exitCode: number
  readonly reason?: string
  readonly message?: string
}
interface ContainerStatus {
  readonly name: string
  readonly state?: { readonly terminated?: Terminated }
}
interface Pod extends KubeObject {
  readonly status?: {
    readonly phase?: string
    readonly reason?: string
    readonly message?: string
    readonly initContainerStatuses?: readonly ContainerStatus[]
    readonly containerStatuses?: readonly ContainerStatus[]
  }
}

const DIGEST = /^sha256:[0-9a-f]{64}$/

/** What a failed container means to the user, in the order the containers run. */
const STEP: Readonly<Record<string, string>> = {
  [CONTAINER.fetch]: 'fetching the source failed',
  [CONTAINER.runImage]: 'copying the run image failed',
  [CONTAINER.build]: 'the build failed',
  [CONTAINER.push]: 'pushing the image failed',
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })

const finished = (job: Job) =>
  job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')

export async function runBuildJob(
  kube: KubeRest,
  request: BuildJobRequest,
  options: RunBuildOptions = {},
): Promise<BuildOutcome> {
  const {
    settings = buildSettings(),
    limits: limitsOf = buildLimits,
    signal,
    pollMs = 1000,
    queueMs = 60_000,
    graceMs = 60_000,
    tailLines = 50,
    log = () => {},
    nonce = () => randomBytes(3).toString('hex'),
  } = options
  if (request.strategy === 'dockerfile') {
    const problem = dockerfileProblem(request.dockerfile)
    if (problem) return { ok: false, failure: 'Refused', reason: problem, logTail: '' }
  }
  const limits = limitsOf(request.tier, request.size)
  const plan = `${request.tier}/${request.size}`
  const { namespace } = settings
  const jobs = resourcePath({ apiVersion: 'batch/v1', plural: 'jobs', namespace })
  const pods = resourcePath({ apiVersion: 'v1', plural: 'pods', namespace })
  const name = buildJobName(request, nonce())
  const jobPath = `${jobs}/${name}`
  const job = renderBuildJob({ ...request, limits }, settings, name)

  /** The customer's unfinished build Jobs, oldest first (name breaks ties, the same for every runner). */
  const active = async () => {
    const list = await kube.request<KubeList<Job>>('GET', jobs, {
      query: { labelSelector: `${COMPONENT_LABEL}=${BUILD_COMPONENT},${CUSTOMER_LABEL}=${request.customer}` },
    })
    return list.items
      .filter((j) => !finished(j) && !j.metadata.deletionTimestamp)
      .map((j) => `${j.metadata.creationTimestamp ?? ''} ${j.metadata.name}`)
      .sort()
      .map((key) => key.slice(key.indexOf(' ') + 1))
  }
  const deleteJob = () =>
    kube.request('DELETE', jobPath, { body: { propagationPolicy: 'Background' } }).catch((error: unknown) => {
      if (!isNotFound(error)) throw error
    })

  const queueEnd = Date.now() + queueMs
  let created: Job | undefined
  let waiting = false
  while (!created) {
    if ((await active()).length < limits.concurrent) {
      const candidate = await kube.request<Job>('POST', jobs, { body: job })
      const order = await active()
      if (order.indexOf(name) < limits.concurrent) created = candidate
      else await deleteJob()
    }
    if (created) break
    if (signal?.aborted)
      return { ok: false, failure: 'Aborted', reason: 'the build was cancelled while it waited', logTail: '' }
    if (Date.now() >= queueEnd)
      return {
        ok: false,
        failure: 'Busy',
        reason: `customer ${request.customer} already runs ${limits.concurrent} build${limits.concurrent === 1 ? '' : 's'}, the most at once for ${plan}; this push was not built: push again when the running build has finished`,
        logTail: '',
      }
    if (!waiting)
      log(
        `waiting for one of ${request.customer}'s running builds to finish (${plan} runs ${limits.concurrent} at once)`,
      )
    waiting = true
    await sleep(pollMs, signal)
  }

  const secret = renderPushSecret(created, request.target, request.credentials)
  const secretPath = resourcePath({
    apiVersion: 'v1',
    plural: 'secrets',
    namespace,
    name: secret.metadata.name,
  })
  try {
    await kube.request('POST', resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace }), {
      body: secret,
    })
    log(
      `build ${name} started (${request.strategy}, ${limits.cpu} CPU, ${limits.memory} memory, ${limits.deadlineSeconds} s)`,
    )
    return await follow()
  } finally {
    await kube.request('DELETE', secretPath).catch((error: unknown) => {
      if (!isNotFound(error)) throw error
    })
  }

  async function follow(): Promise<BuildOutcome> {
    const end = Date.now() + limits.deadlineSeconds * 1000 + graceMs
    for (;;) {
      const current = await kube.request<Job>('GET', jobPath)
      const condition = finished(current)
      if (condition) return condition.type === 'Complete' ? succeeded() : failed(condition)
      if (signal?.aborted || Date.now() >= end) {
        await deleteJob()
        return signal?.aborted
          ? { ok: false, failure: 'Aborted', reason: 'the build was cancelled', logTail: '', job: name }
          : {
              ok: false,
              failure: 'Timeout',
              reason: `build ${name} did not finish within its ${limits.deadlineSeconds} s and ${graceMs / 1000} s more; it was stopped`,
              logTail: '',
              job: name,
            }
      }
      await sleep(pollMs, signal)
    }
  }

  async function jobPod(): Promise<Pod | undefined> {
    const list = await kube.request<KubeList<Pod>>('GET', pods, {
      query: { labelSelector: `batch.kubernetes.io/job-name=${name}` },
    })
    return (
      list.items.find((p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') ?? list.items[0]
    )
  }

  /** The last lines of a container's log, from the kubelet; empty where it cannot answer. */
  async function logTail(pod: Pod | undefined, container: string): Promise<string> {
    if (!pod) return ''
    const path = resourcePath({
      apiVersion: 'v1',
      plural: 'pods',
      namespace,
      name: pod.metadata.name,
      subresource: 'log',
    })
    return kube.text('GET', path, { query: { container, tailLines }, accept: 'text/plain' }).catch(() => '')
  }

  async function succeeded(): Promise<BuildOutcome> {
    const pod = await jobPod()
    const digest = pod?.status?.containerStatuses
      ?.find((c) => c.name === CONTAINER.push)
      ?.state?.terminated?.message?.trim()
    if (!digest || !DIGEST.test(digest))
      return {
        ok: false,
        failure: 'Failed',
        reason: `build ${name} finished but its pusher reported no image digest (${JSON.stringify(digest ?? '')})`,
        logTail: '',
        job: name,
      }
    const { registry, repository } = request.target
    log(`build ${name} pushed ${repository}@${digest}`)
    return {
      ok: true,
      image: `${registry}/${repository}@${digest}`,
      digest,
      logTail: await logTail(pod, CONTAINER.build),
      job: name,
    }
  }

  async function failed(condition: Condition): Promise<BuildOutcome> {
    const pod = await jobPod()
    const statuses = [
      ...(pod?.status?.initContainerStatuses ?? []),
      ...(pod?.status?.containerStatuses ?? []),
    ]
    const failedContainer = statuses.find((c) => (c.state?.terminated?.exitCode ?? 0) !== 0)
    const terminated = failedContainer?.state?.terminated
    const tail = terminated?.message ?? (await logTail(pod, CONTAINER.build))
    if (condition.reason === 'DeadlineExceeded')
      return {
        ok: false,
        failure: 'DeadlineExceeded',
        reason: `the build ran longer than the ${limits.deadlineSeconds} s a build may take on ${plan}, and was stopped`,
        logTail: tail,
        job: name,
      }
    if (pod?.status?.reason === 'Evicted')
      return {
        ok: false,
        failure: 'Failed',
        reason: `the build was stopped by its node: ${pod.status.message ?? 'evicted'} (a build may use ${limits.disk} of disk on ${plan})`,
        logTail: tail,
        job: name,
      }
    if (!failedContainer || !terminated)
      return {
        ok: false,
        failure: 'Failed',
        reason: `build ${name} failed: ${condition.message ?? condition.reason ?? 'no reason given'}`,
        logTail: tail,
        job: name,
      }
    const step = STEP[failedContainer.name] ?? `container ${failedContainer.name} failed`
    const why =
      terminated.reason === 'OOMKilled'
        ? `it ran out of memory (a build may use ${limits.memory} on ${plan})`
        : `${failedContainer.name} exited with code ${terminated.exitCode}`
    return { ok: false, failure: 'Failed', reason: `${step}: ${why}`, logTail: tail, job: name }
  }
}
