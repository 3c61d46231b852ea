/**
 * The build Job of the `buildpacks` and `dockerfile` strategies, and its push Secret. Pure.
 *
 * One Pod per build, its containers run one after the other (init containers, then the pusher):
 * - `fetch` (busybox) downloads the commit's tree from a one-time URL into the `source` volume;
 * - `run-image` (skopeo, buildpacks only) copies the pinned run image into the OCI layout the
 *   creator reads, so the creator needs no registry at all;
 * - `build` runs the tenant's build: the CNB lifecycle `creator` exporting to an OCI layout
 *   (`-layout`, Platform API 0.12), or one daemonless rootless BuildKit with the built-in
 *   Dockerfile frontend writing an OCI archive. It gets no Secret, no ServiceAccount token, no
 *   host path, and its log tail becomes its termination message when it fails;
 * - `push` (skopeo) pushes that output with the short-lived registry credential, mounted from the
 *   per-build Secret into this container only, and writes the pushed manifest's digest to its
 *   termination message.
 * The admission policy (src/admission/build-pods.ts) admits exactly these shapes.
 */
import type { BuildLimits } from '../../operator/customer/tiers.js'
import type { Manifest } from '../../kube/object.js'
import { type BuildIdentity, buildLabels, CONTAINER, type JobStrategy, pushSecretName } from './names.js'
import { BUILDKIT_USER, type BuildSettings } from './settings.js'

export interface PushTarget {
  /** host[:port] of the registry. */
  readonly registry: string
  /** e.g. `hostplane/<customer>`. */
  readonly repository: string
  /** e.g. `<webspace>-<commit12>`. */
  readonly tag: string
  /** @default true */
  readonly tlsVerify?: boolean
}

export interface BuildJobSpec extends BuildIdentity {
  readonly strategy: JobStrategy
  readonly limits: BuildLimits
  /** The commit's tree as a tar archive, at a URL whose token is spent by the first download. */
  readonly sourceUrl: string
  readonly target: PushTarget
}

/** Where the volumes are mounted. */
export const PATHS = {
  source: '/workspace/source',
  output: '/output',
  /** The Dockerfile strategy's OCI archive. */
  archive: '/output/image.tar',
  buildkitState: `/home/user/.local/share/buildkit`,
  layers: '/layers',
  platform: '/platform',
  registryAuth: '/registry-auth',
  tmp: '/tmp',
} as const

/** The push Secret's key: a containers-auth.json (`{"auths": {...}}`). */
export const AUTH_FILE_KEY = 'auth.json'

/**
 * The name the creator gives the app image inside the layout; only the pusher reads it there. It
 * has no port, so the layout path has no `:`, which skopeo's `oci:` reference would split at.
 */
const LAYOUT_APP_IMAGE = 'hostplane.build/app:latest'

/** A digest-pinned reference without its tag: `registry/repo@sha256:…`. */
const withoutTag = (image: string) => {
  const [name = '', digest = ''] = image.split('@')
  const slash = name.lastIndexOf('/')
  const colon = name.lastIndexOf(':')
  return `${colon > slash ? name.slice(0, colon) : name}@${digest}`
}

/**
 * Where the lifecycle looks for an image in its OCI layout directory: registry (Docker Hub is
 * `index.docker.io`, as go-containerregistry names it), repository, then the tag or the digest's
 * algorithm and hex.
 */
export function layoutPath(reference: string): string {
  const [name = '', digest] = reference.split('@')
  const slash = name.indexOf('/')
  let registry = slash < 0 ? 'index.docker.io' : name.slice(0, slash)
  let repository = slash < 0 ? name : name.slice(slash + 1)
  if (!registry.includes('.') && !registry.includes(':') && registry !== 'localhost') {
    repository = `${registry}/${repository}`
    registry = 'index.docker.io'
  }
  if (registry === 'docker.io') registry = 'index.docker.io'
  if (registry === 'index.docker.io' && !repository.includes('/')) repository = `library/${repository}`
  const colon = repository.lastIndexOf(':')
  const tag = colon < 0 ? 'latest' : repository.slice(colon + 1)
  const bare = colon < 0 ? repository : repository.slice(0, colon)
  const last = digest ? digest.replace(':', '/') : tag
  return `${PATHS.output}/${registry}/${bare}/${last}`
}

const restricted = (user: number, group: number) => ({
  runAsNonRoot: true,
  runAsUser: user,
  runAsGroup: group,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
})

/**
 * Rootless BuildKit, and nothing beyond it: RootlessKit maps the build's user namespace with the
 * image's setuid `newuidmap`/`newgidmap`, which needs privilege escalation (no no_new_privs) and
 * SETUID/SETGID in the bounding set; creating that namespace and mounting in it needs seccomp and
 * AppArmor unconfined (the runtime defaults refuse unshare and mount). Still user 1000, never
 * privileged, no other capability; docs/builds.md explains each.
 */
const rootlessBuildkit = {
  runAsNonRoot: true,
  runAsUser: BUILDKIT_USER,
  runAsGroup: BUILDKIT_USER,
  allowPrivilegeEscalation: true,
  capabilities: { drop: ['ALL'], add: ['SETUID', 'SETGID'] },
  seccompProfile: { type: 'Unconfined' },
  appArmorProfile: { type: 'Unconfined' },
}

/** Fixed small resources of the helper containers: they copy bytes, the build is the work. */
const helperResources = (disk: string) => ({
  requests: { cpu: '100m', memory: '64Mi', 'ephemeral-storage': '64Mi' },
  limits: { cpu: '500m', memory: '256Mi', 'ephemeral-storage': disk },
})

/** skopeo keeps its blobs in TMPDIR (else /var/tmp, on the read-only root). */
const SKOPEO_ENV = [
  { name: 'HOME', value: PATHS.tmp },
  { name: 'TMPDIR', value: PATHS.tmp },
]

const mount = (name: string, mountPath: string, readOnly = false) => ({
  name,
  mountPath,
  ...(readOnly ? { readOnly } : {}),
})

export function renderBuildJob(spec: BuildJobSpec, settings: BuildSettings, name: string): Manifest {
  const { images, cnbUser } = settings
  const { limits, strategy, target } = spec
  const labels = buildLabels(spec, strategy)
  const dockerfile = strategy === 'dockerfile'
  // The fetcher and the pusher run as the build's user, so the build owns its source tree and the
  // pusher reads what the build wrote.
  const [uid, gid] = dockerfile ? [BUILDKIT_USER, BUILDKIT_USER] : [cnbUser.uid, cnbUser.gid]
  const emptyDir = (volume: string) => ({ name: volume, emptyDir: { sizeLimit: limits.disk } })
  const tmp = mount('tmp', PATHS.tmp)

  const fetch = {
    name: CONTAINER.fetch,
    image: images.fetch,
    command: ['sh', '-c'],
    args: [
      'set -e; wget -q -O "$SOURCE_DIR/.source.tar" "$SOURCE_URL"; tar -x -f "$SOURCE_DIR/.source.tar" -C "$SOURCE_DIR"; rm "$SOURCE_DIR/.source.tar"',
    ],
    env: [
      { name: 'SOURCE_URL', value: spec.sourceUrl },
      { name: 'SOURCE_DIR', value: PATHS.source },
    ],
    securityContext: restricted(uid, gid),
    resources: helperResources(limits.disk),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [mount('source', PATHS.source), tmp],
  }

  const runImage = withoutTag(images.runImage)
  const copyRunImage = {
    name: CONTAINER.runImage,
    image: images.skopeo,
    command: ['skopeo'],
    args: ['copy', '--retry-times=3', `docker://${runImage}`, `oci:${layoutPath(runImage)}`],
    env: SKOPEO_ENV,
    securityContext: restricted(uid, gid),
    resources: helperResources(limits.disk),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [mount('output', PATHS.output), tmp],
  }

  const buildResources = {
    requests: { cpu: limits.cpu, memory: limits.memory, 'ephemeral-storage': limits.disk },
    limits: { cpu: limits.cpu, memory: limits.memory, 'ephemeral-storage': limits.disk },
  }
  const build = dockerfile
    ? {
        name: CONTAINER.build,
        image: images.buildkit,
        command: ['buildctl-daemonless.sh'],
        args: [
          'build',
          '--progress=plain',
          '--frontend=dockerfile.v0',
          `--local=context=${PATHS.source}`,
          `--local=dockerfile=${PATHS.source}`,
          '--opt=filename=Dockerfile',
          `--output=type=oci,dest=${PATHS.archive}`,
        ],
        // No --allow-insecure-entitlement: a build can ask for no entitlement at all.
        env: [{ name: 'BUILDKITD_FLAGS', value: '--oci-worker-no-process-sandbox' }],
        securityContext: rootlessBuildkit,
        resources: buildResources,
        terminationMessagePolicy: 'FallbackToLogsOnError',
        volumeMounts: [
          mount('source', PATHS.source, true),
          mount('output', PATHS.output),
          mount('buildkit', PATHS.buildkitState),
        ],
      }
    : {
        name: CONTAINER.build,
        image: images.builder,
        command: ['/cnb/lifecycle/creator'],
        args: [
          `-app=${PATHS.source}`,
          `-layers=${PATHS.layers}`,
          `-platform=${PATHS.platform}`,
          `-run-image=${runImage}`,
          '-layout',
          `-layout-dir=${PATHS.output}`,
          LAYOUT_APP_IMAGE,
        ],
        env: [
          { name: 'CNB_PLATFORM_API', value: '0.12' },
          // Export to an OCI layout is experimental in the lifecycle: warn, do not refuse.
          { name: 'CNB_EXPERIMENTAL_MODE', value: 'warn' },
        ],
        securityContext: { ...restricted(cnbUser.uid, cnbUser.gid), readOnlyRootFilesystem: false },
        resources: buildResources,
        terminationMessagePolicy: 'FallbackToLogsOnError',
        volumeMounts: [
          mount('source', PATHS.source),
          mount('output', PATHS.output),
          mount('layers', PATHS.layers),
          mount('platform', PATHS.platform, true),
        ],
      }

  const destination = `docker://${target.registry}/${target.repository}:${target.tag}`
  const push = {
    name: CONTAINER.push,
    image: images.skopeo,
    command: ['skopeo'],
    args: [
      'copy',
      '--retry-times=3',
      `--dest-authfile=${PATHS.registryAuth}/${AUTH_FILE_KEY}`,
      `--dest-tls-verify=${String(target.tlsVerify ?? true)}`,
      '--digestfile=/dev/termination-log',
      dockerfile ? `oci-archive:${PATHS.archive}` : `oci:${layoutPath(LAYOUT_APP_IMAGE)}`,
      destination,
    ],
    env: SKOPEO_ENV,
    securityContext: restricted(uid, gid),
    resources: helperResources(limits.disk),
    terminationMessagePolicy: 'File',
    volumeMounts: [
      mount('output', PATHS.output, true),
      mount('registry-auth', PATHS.registryAuth, true),
      tmp,
    ],
  }

  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: settings.namespace, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: limits.deadlineSeconds,
      ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            fsGroup: gid,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          initContainers: [fetch, ...(dockerfile ? [] : [copyRunImage]), build],
          containers: [push],
          volumes: [
            emptyDir('source'),
            emptyDir('output'),
            ...(dockerfile ? [emptyDir('buildkit')] : [emptyDir('layers'), emptyDir('platform')]),
            emptyDir('tmp'),
            { name: 'registry-auth', secret: { secretName: pushSecretName(name), defaultMode: 0o440 } },
          ],
        },
      },
    },
  }
}

export interface RegistryCredentials {
  readonly username: string
  readonly password: string
}

/** The per-build Secret the pusher alone mounts; owned by its Job, so it goes when the Job goes. */
export function renderPushSecret(
  job: { metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string> } },
  target: PushTarget,
  credentials: RegistryCredentials,
): Manifest {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: pushSecretName(job.metadata.name),
      namespace: job.metadata.namespace,
      labels: job.metadata.labels,
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid ?? '' },
      ],
    },
    type: 'Opaque',
    stringData: { [AUTH_FILE_KEY]: JSON.stringify({ auths: { [target.registry]: { auth } } }) },
  }
}
