/**
 * The push gate of issue 15: a push to a Webspace's repository is built while it waits, and
 * accepted only once its Release exists. `layer` Runtimes are built here (the commit's tree
 * appended to the Runtime's digest-pinned image, no tenant code runs); every line of the build
 * reaches the pusher as `remote: …`, and a failed build refuses the push, so git discards its
 * objects and no ref moves. A deleted preview branch takes its Releases with it (the operator
 * then removes the preview).
 */
import { createHash } from 'node:crypto'
import { API_VERSION } from '../api/kind.js'
import { releaseLabels, releaseName, RELEASE_BRANCH_LABEL, branchHash } from '../api/release.js'
import type { Release, Runtime, Webspace } from '../api/resources.js'
import { buildOf } from '../api/runtime.js'
import { BuildError } from '../build/build-error.js'
import { runBuildJob, type RunBuildOptions } from '../build/jobs/run.js'
import type { JobStrategy } from '../build/jobs/names.js'
import { buildLayerImage, type LayerTarget, sourceArchive } from '../build/layer/layer-image.js'
import type { LayerLimits } from '../build/layer/tree-rules.js'
import type { RegistryCredentials } from '../build/registry/client.js'
import { parseImageReference, webspaceImageTag } from '../build/registry/reference.js'
import type { PullTicketVerifier } from '../build/registry/pull-ticket.js'
import { customerRepository, type RegistryTokenIssuer } from '../build/registry/token-service.js'
import type { KubeList } from '../kube/object.js'
import { isConflict, isNotFound, KubeApiError, type KubeRest, resourcePath } from '../kube/rest.js'
import type { Logger } from '../ops/log.js'
import { GitRunner } from '../syncer/git-command.js'
import type { Size, Tier } from '../api/customer.js'
import { BuildProgress } from './build-progress.js'
import type { SourceDrop } from './source-drop.js'
import { type PushAction, planPush } from './push-plan.js'
import type { PushGate, PushRequest, PushVerdict } from './push-gate.js'
import { WEBSPACE_LABEL } from '../api/webspace.js'

/** Lines of the build log a Release and a refusal keep: the tail is what explains a failure. */
export const LOG_TAIL_LINES = 20
const MAX_LINE = 1024
/** A build that takes longer is stopped and the push refused. */
export const DEFAULT_BUILD_TIMEOUT_MS = 10 * 60_000

export interface TenantRegistry {
  /** host[:port] of the tenants' registry. */
  readonly host: string
  readonly tokens: RegistryTokenIssuer
  /** Speak http to it (a registry inside the cluster without TLS). */
  readonly plainHttp?: boolean
  /**
   * Where the gitserver connects to it when `host` (the name nodes pull by) is not the way in
   * from the gitserver's pod, e.g. the registry's Service. @default host
   */
  readonly endpoint?: string
  /** For the Runtimes' base images when they live elsewhere. @default anonymous */
  readonly baseCredentials?: RegistryCredentials
  /** Checks the nodes' pull tickets (the operator signs them) at the token realm too. */
  readonly pullTickets?: PullTicketVerifier
}

export interface JobBuilds {
  /** Where the commit's tree is offered to the build Pod once. */
  readonly sources: SourceDrop
  /** The customer's tier and size, which give the build's limits. */
  readonly customerOf: (customer: string) => { readonly tier: Tier; readonly size: Size } | undefined
  readonly run?: Omit<RunBuildOptions, 'signal' | 'log'>
  /** HOME of the git that reads a pushed Dockerfile (a private directory of the gitserver). */
  readonly gitHome: string
}

interface BuildRun {
  readonly buildLog: BuildLog
  readonly timeout: AbortSignal
  readonly timeoutMs: number
}

const MAX_DOCKERFILE_BYTES = 1024 ** 2

export interface ReleaseGateOptions {
  /** Runs buildpacks and dockerfile Runtimes' builds as Jobs; without it only layer builds run. */
  readonly jobs?: JobBuilds
  readonly rest: KubeRest
  readonly registry: TenantRegistry
  readonly log: Logger
  readonly layerLimits?: Partial<LayerLimits>
  readonly buildTimeoutMs?: number
}

/** A build's log: every line goes to the pusher; the digest covers them all, the tail is kept. */
class BuildLog {
  private readonly hash = createHash('sha256')
  readonly tail: string[] = []

  constructor(private readonly output: (line: string) => void) {}

  line = (text: string): void => {
    const line = text.length > MAX_LINE ? `${text.slice(0, MAX_LINE - 1)}…` : text
    this.hash.update(`${line}\n`)
    this.tail.push(line)
    if (this.tail.length > LOG_TAIL_LINES) this.tail.shift()
    this.output(line)
  }

  digest = () => `sha256:${this.hash.copy().digest('hex')}`
}

const webspacePath = (namespace: string, name?: string) =>
  resourcePath({ apiVersion: API_VERSION, plural: 'webspaces', namespace, name })
const releasePath = (namespace: string, name?: string) =>
  resourcePath({ apiVersion: API_VERSION, plural: 'releases', namespace, name })

export class ReleaseGate implements PushGate {
  constructor(private readonly options: ReleaseGateOptions) {}

  async decide(
    request: PushRequest,
    output: (line: string) => void,
    signal: AbortSignal,
  ): Promise<PushVerdict> {
    const { rest } = this.options
    const where = `${request.customer}/${request.webspace}`
    let webspace: Webspace
    try {
      webspace = await rest.request<Webspace>('GET', webspacePath(request.namespace, request.webspace))
    } catch (error) {
      if (isNotFound(error)) return { accepted: false, message: `${where}: the Webspace no longer exists` }
      throw error
    }
    const plan = planPush(webspace, request.updates)
    if (!plan.ok) return { accepted: false, message: plan.message }
    for (const action of plan.actions) {
      const verdict = await this.carryOut(action, request, webspace, output, signal)
      if (!verdict.accepted) return verdict
    }
    return { accepted: true }
  }

  private async carryOut(
    action: PushAction,
    request: PushRequest,
    webspace: Webspace,
    output: (line: string) => void,
    signal: AbortSignal,
  ): Promise<PushVerdict> {
    switch (action.kind) {
      case 'store':
        output(action.note)
        return { accepted: true }
      case 'remove-preview':
        output(`preview of ${action.branch}: ${await this.removeBranchReleases(request, action.branch)}`)
        return { accepted: true }
      case 'build':
        return this.build(action, request, webspace, output, signal)
    }
  }

  private async removeBranchReleases(request: PushRequest, branch: string): Promise<string> {
    const { rest } = this.options
    const selector = `${WEBSPACE_LABEL}=${request.webspace},${RELEASE_BRANCH_LABEL}=${branchHash(branch)}`
    const list = await rest.request<KubeList<Release>>('GET', releasePath(request.namespace), {
      query: { labelSelector: selector },
    })
    const releases = list.items.filter(
      (r) => r.spec.webspace === request.webspace && r.spec.branch === branch,
    )
    for (const release of releases)
      await rest
        .request('DELETE', releasePath(request.namespace, release.metadata.name))
        .catch((error: unknown) => {
          if (!isNotFound(error)) throw error
        })
    return releases.length === 0 ? 'nothing was deployed' : `removed (${releases.length} Releases deleted)`
  }

  private async build(
    action: Extract<PushAction, { kind: 'build' }>,
    request: PushRequest,
    webspace: Webspace,
    output: (line: string) => void,
    signal: AbortSignal,
  ): Promise<PushVerdict> {
    const { rest, registry, log } = this.options
    const { branch, commit } = action
    const what = `${action.preview ? 'preview' : 'release'} of ${branch} at ${commit.slice(0, 12)}`
    const runtime = await rest
      .request<Runtime>(
        'GET',
        resourcePath({ apiVersion: API_VERSION, plural: 'runtimes', name: webspace.spec.runtime }),
      )
      .catch((error: unknown) => {
        if (isNotFound(error)) return undefined
        throw error
      })
    if (!runtime)
      return {
        accepted: false,
        message: `the Webspace's Runtime ${webspace.spec.runtime} does not exist; nothing was built`,
      }
    const { strategy, appDir } = buildOf(runtime.spec)
    const jobs = this.options.jobs
    if (strategy !== 'layer' && !jobs)
      return {
        accepted: false,
        message: `Runtime ${runtime.metadata.name} builds with ${strategy}; this gitserver runs layer builds only (start it with --build-source-url to run ${strategy} builds as Jobs); nothing was changed`,
      }
    const progress = new BuildProgress({
      rest,
      log,
      namespace: request.namespace,
      webspace: request.webspace,
      branch,
      commit,
      preview: action.preview,
    })
    const buildLog = new BuildLog((line) => {
      output(line)
      progress.line(line)
    })
    let release: string | undefined
    try {
      buildLog.line(
        `building ${what} (${strategy}${strategy === 'layer' ? ` on ${runtime.spec.image}` : ''})`,
      )
      const timeoutMs = this.options.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS
      const timeout = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
      const target = {
        registry: registry.host,
        repository: customerRepository(request.customer),
        tag: webspaceImageTag(webspace.metadata.name, commit),
      }
      let built: { image: string } | { failed: string }
      try {
        built =
          strategy === 'layer' || !jobs
            ? await this.layerImage(request, commit, runtime, appDir, target, {
                buildLog,
                timeout,
                timeoutMs,
              })
            : await this.jobImage(request, strategy, commit, target, jobs, { buildLog, timeout, timeoutMs })
      } catch (error) {
        if (!(error instanceof BuildError) && !timeout.aborted) throw error
        built = {
          failed:
            timeout.aborted && !(error instanceof BuildError)
              ? 'the build took too long'
              : error instanceof Error
                ? error.message
                : String(error),
        }
      }
      if ('failed' in built) {
        log.info(
          { namespace: request.namespace, webspace: request.webspace, commit, reason: built.failed },
          'build failed',
        )
        buildLog.line(`build failed: ${built.failed}`)
        return { accepted: false, message: `push refused: the ${what} did not build; nothing was changed` }
      }
      const { image } = built
      buildLog.line(`built ${image}`)
      try {
        release = await this.createRelease(request, webspace, { branch, commit, image, strategy }, buildLog)
      } catch (error) {
        if (!(
          error instanceof KubeApiError &&
          error.status === 403 &&
          error.statusMessage.includes('exceeded quota')
        ))
          throw error
        buildLog.line(error.statusMessage)
        return {
          accepted: false,
          message: `push refused: ${request.namespace} holds as many Releases as its tier allows; lower spec.releaseHistory of its Webspaces or delete preview branches, then push again`,
        }
      }
      buildLog.line(`Release ${release} created; the ${action.preview ? 'preview' : 'Webspace'} deploys it`)
      return { accepted: true }
    } finally {
      await progress.finish(release === undefined ? { failed: true } : { release })
    }
  }

  /** The commit appended to the Runtime's pinned image; no tenant code runs. */
  private async layerImage(
    request: PushRequest,
    commit: string,
    runtime: Runtime,
    appDir: string | undefined,
    target: LayerTarget,
    { buildLog, timeout, timeoutMs }: BuildRun,
  ): Promise<{ image: string }> {
    const { registry } = this.options
    const base = parseImageReference(runtime.spec.image)
    return buildLayerImage({
      repoDir: request.git.dir,
      gitEnv: request.git.env,
      commit,
      baseImage: runtime.spec.image,
      appDir: appDir ?? '/app',
      target,
      credentials: registry.tokens.pushCredential(request.customer, {
        // A base image in the same registry is mounted into the customer's repository, not copied.
        pull: base.registry === registry.host ? [base.repository] : [],
        ttlSeconds: Math.ceil(timeoutMs / 1000),
      }),
      baseCredentials: registry.baseCredentials,
      limits: this.options.layerLimits,
      signal: timeout,
      log: buildLog.line,
      registryOptions: { plainHttp: registry.plainHttp },
      endpoints: registry.endpoint ? { [registry.host]: registry.endpoint } : undefined,
    })
  }

  /**
   * A buildpacks or dockerfile build as a Job in the build namespace: the commit's tree is offered
   * once at a source URL, the pusher alone gets a build ticket for the customer's repository.
   */
  private async jobImage(
    request: PushRequest,
    strategy: JobStrategy,
    commit: string,
    target: LayerTarget,
    jobs: JobBuilds,
    { buildLog, timeout, timeoutMs }: BuildRun,
  ): Promise<{ image: string } | { failed: string }> {
    const { rest, registry } = this.options
    const customer = jobs.customerOf(request.customer)
    if (!customer)
      return { failed: `Customer ${request.customer} is not known to the gitserver yet; push again` }
    const tar = await sourceArchive({
      repoDir: request.git.dir,
      gitEnv: request.git.env,
      commit,
      limits: this.options.layerLimits,
      log: buildLog.line,
    })
    const dockerfile =
      strategy === 'dockerfile' ? await this.rootDockerfile(request, commit, jobs.gitHome) : undefined
    const source = await jobs.sources.offer(tar, timeoutMs)
    try {
      const outcome = await runBuildJob(
        rest,
        {
          customer: request.customer,
          webspace: request.webspace,
          commit,
          strategy,
          tier: customer.tier,
          size: customer.size,
          sourceUrl: source.url,
          dockerfile,
          target: { ...target, tlsVerify: !registry.plainHttp },
          credentials: registry.tokens.buildTicket(request.customer, {
            ttlSeconds: Math.ceil(timeoutMs / 1000),
          }),
        },
        { ...jobs.run, signal: timeout, log: buildLog.line },
      )
      for (const line of outcome.logTail.split('\n').filter(Boolean)) buildLog.line(line)
      return outcome.ok ? { image: outcome.image } : { failed: outcome.reason }
    } finally {
      await source.withdraw()
    }
  }

  /** The Dockerfile at the commit's root, read from the push (its quarantine); undefined without one. */
  private async rootDockerfile(
    request: PushRequest,
    commit: string,
    home: string,
  ): Promise<string | undefined> {
    const git = new GitRunner({ home })
    const { stdout } = await git
      .run({
        args: ['-c', 'core.hooksPath=/dev/null', 'cat-file', 'blob', `${commit}:Dockerfile`],
        env: { ...request.git.env },
        timeoutMs: 30_000,
        maxOutputBytes: MAX_DOCKERFILE_BYTES,
      })
      .catch(() => ({ stdout: undefined }))
    return stdout?.toString('utf8')
  }

  /** Creates the Release, owned by the Webspace; the same push built again finds its Release. */
  private async createRelease(
    request: PushRequest,
    webspace: Webspace,
    built: { branch: string; commit: string; image: string; strategy: Release['spec']['strategy'] },
    buildLog: BuildLog,
  ): Promise<string> {
    const { rest } = this.options
    const spec: Release['spec'] = {
      webspace: request.webspace,
      ...built,
      pushedBy: request.pusher,
      buildLog: { digest: buildLog.digest(), lines: [...buildLog.tail] },
    }
    const name = releaseName(spec)
    const release: Release = {
      apiVersion: API_VERSION,
      kind: 'Release',
      metadata: {
        name,
        namespace: request.namespace,
        labels: releaseLabels(spec),
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: 'Webspace',
            name: request.webspace,
            uid: webspace.metadata.uid ?? '',
          },
        ],
      },
      spec,
    }
    try {
      await rest.request('POST', releasePath(request.namespace), { body: release })
    } catch (error) {
      if (!isConflict(error)) throw error
    }
    return name
  }
}
