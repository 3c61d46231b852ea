/**
 * What the hostplane image is made of. Everything here is an input of the image's digest: change
 * a line and the digest changes; leave them (and the mirror's package versions, the Node release,
 * package-lock.json and the sources) alone and a rebuild gives the same digest.
 */
import { join } from 'node:path'
import { REGISTRY_FILES } from '../../deploy/install/registry.js'
import { REPO_ROOT } from '../../test/cluster/paths.js'

/** Debian release of the root file system, and the sources its packages come from. */
export const DEBIAN: DebianRecipe = {
  suite: 'bookworm',
  architecture: 'amd64',
  sources: [
    { uri: 'http://deb.debian.org/debian', suite: 'bookworm' },
    { uri: 'http://deb.debian.org/debian', suite: 'bookworm-updates' },
    { uri: 'http://deb.debian.org/debian-security', suite: 'bookworm-security' },
  ],
  /**
   * Beyond Debian's Essential set (which brings dash and coreutils: git runs hooks and
   * GIT_SSH_COMMAND through /bin/sh): the syncer runs real git over https and ssh, Node's binary
   * links libstdc++, and `hostplane backup` runs restic, mariadb and mariadb-dump, psql and pg_dump.
   */
  packages: [
    'git',
    'openssh-client',
    'ca-certificates',
    'libstdc++6',
    'restic',
    'mariadb-client',
    'postgresql-client',
  ],
  /** Files no process of the image reads. */
  dpkgExcludes: ['/usr/share/man/*', '/usr/share/info/*', '/usr/share/locale/*', '/usr/share/doc/*'],
  /** Licences stay. */
  dpkgIncludes: ['/usr/share/doc/*/copyright'],
} as const

/** What a Debian base layer is made of (debian-base.ts): every field is part of its cache key. */
export interface DebianRecipe {
  readonly suite: string
  readonly architecture: string
  readonly sources: readonly { readonly uri: string; readonly suite: string }[]
  readonly packages: readonly string[]
  readonly dpkgExcludes: readonly string[]
  readonly dpkgIncludes: readonly string[]
}

/**
 * The tenants' registry image (`hostplane-registry`, docs/builds.md): Debian's packaged
 * distribution registry, which Debian's security team maintains, on the same bookworm base and
 * user as the hostplane image, nothing else. It runs with the install's config mounted where
 * REGISTRY_FILES says.
 */
export const REGISTRY = {
  debian: { ...DEBIAN, packages: ['docker-registry'] } satisfies DebianRecipe,
  entrypoint: ['/usr/bin/docker-registry', 'serve', REGISTRY_FILES.configFile],
} as const

/**
 * The mtime of every file below the app, and mmdebstrap's SOURCE_DATE_EPOCH: Debian 12's release
 * day. A constant, so the Debian and Node layers do not change with each commit and registries
 * share them between hostplane versions.
 */
export const BASE_EPOCH = 1686355200

/** The user the install's securityContext names (runAsUser 10001); no home, no login shell. */
export const USER = { uid: 10001, gid: 10001, name: 'hostplane' } as const

export const NODE_PATH = '/usr/local/bin/node'
export const APP_DIR = '/app'
export const ENTRYPOINT = [NODE_PATH, `${APP_DIR}/build/src/cli/main.js`] as const

/** Where `npm run image` writes: an OCI layout directory and the same image as one oci-archive. */
export const IMAGE_OUTPUT = {
  dir: join(REPO_ROOT, 'build', 'image'),
  layout: join(REPO_ROOT, 'build', 'image', 'oci'),
  archive: join(REPO_ROOT, 'build', 'image', 'hostplane.oci.tar'),
} as const

/** Where `npm run image` writes the registry image, beside the hostplane image. */
export const REGISTRY_IMAGE_OUTPUT = {
  dir: join(REPO_ROOT, 'build', 'image', 'registry'),
  layout: join(REPO_ROOT, 'build', 'image', 'registry', 'oci'),
  archive: join(REPO_ROOT, 'build', 'image', 'registry', 'hostplane-registry.oci.tar'),
} as const
