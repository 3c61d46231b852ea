/**
 * Every setting of the `buildpacks` and `dockerfile` build Jobs in one place: the build
 * namespace, the images (each pinned by digest: the admission policy admits exactly these), the
 * CNB user, and how long a finished Job is kept. The install renders the admission policy from
 * the same settings the runner renders Jobs with, so the two cannot disagree.
 */

export const BUILD_NAMESPACE = 'hostplane-builds'

export interface BuildImages {
  /** Rootless BuildKit (`moby/buildkit:<version>-rootless`, user 1000): `buildctl-daemonless.sh`. */
  readonly buildkit: string
  /** A CNB builder image: `/cnb/lifecycle/creator` and its buildpacks. */
  readonly builder: string
  /** The run image of that builder: the base of every buildpacks app image. */
  readonly runImage: string
  /** skopeo: copies the run image into the OCI layout (buildpacks) and pushes the built image (pusher). */
  readonly skopeo: string
  /** busybox: fetches the source archive (`wget`, `tar`). */
  readonly fetch: string
}

/**
 * Digests as their registries answered for these tags; an operator re-pins with
 * `skopeo inspect --format '{{.Digest}}' docker://<image>:<tag>` and sets them in the install.
 */
export const DEFAULT_BUILD_IMAGES: BuildImages = {
  buildkit:
    'docker.io/moby/buildkit:v0.20.2-rootless@sha256:cb5bb371545222c430528556acfdf424144b69897f5deaad391bd227187e90df',
  builder:
    'docker.io/paketobuildpacks/builder-jammy-base@sha256:aadea5426b08ec201d62a74ac46b61c0452b9bd139806f071e4a81e362a43d83',
  runImage:
    'docker.io/paketobuildpacks/run-jammy-base@sha256:03a974a6e7b563878429117943f14139ff29f0f3d02aa7e3d3ab0ae862908168',
  skopeo:
    'quay.io/skopeo/stable:v1.22.2@sha256:0b98d4296bfd35680c09fd40a5bff17b8569715258a4bee0a7ae3ca500eaaece',
  fetch:
    'docker.io/library/busybox:1.36.1@sha256:73aaf090f3d85aa34ee199857f03fa3a95c8ede2ffd4cc2cdb5b94e566b11662',
}

export interface BuildSettings {
  /** @default hostplane-builds */
  readonly namespace: string
  readonly images: BuildImages
  /**
   * The builder image's CNB user (its `CNB_USER_ID` and `CNB_GROUP_ID`): the creator runs as it.
   * @default 1001 and 1000, Paketo's Jammy builders
   */
  readonly cnbUser: { readonly uid: number; readonly gid: number }
  /** Seconds a finished build Job (and its Pod) is kept for inspection. @default 3600 */
  readonly ttlSecondsAfterFinished: number
}

/** The user `moby/buildkit:*-rootless` images are built for (its subuid range is for this user). */
export const BUILDKIT_USER = 1000

/** Where a digest-pinned reference's digest starts; anything else is refused. */
const PINNED =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127})?@sha256:[0-9a-f]{64}$/

export const isPinned = (image: string) => PINNED.test(image)

/** The settings with defaults filled in; throws naming every image that is not pinned by digest. */
export function buildSettings(
  overrides: Partial<Omit<BuildSettings, 'images'>> & { images?: Partial<BuildImages> } = {},
): BuildSettings {
  const images = { ...DEFAULT_BUILD_IMAGES, ...overrides.images }
  const unpinned = Object.entries(images).filter(([, image]) => !isPinned(image))
  if (unpinned.length)
    throw new Error(
      `build images must be pinned by digest (<repository>[:tag]@sha256:<64 hex>): ${unpinned.map(([role, image]) => `${role} ${image}`).join(', ')}`,
    )
  return {
    namespace: overrides.namespace ?? BUILD_NAMESPACE,
    images,
    cnbUser: overrides.cnbUser ?? { uid: 1001, gid: 1000 },
    ttlSecondsAfterFinished: overrides.ttlSecondsAfterFinished ?? 3600,
  }
}
