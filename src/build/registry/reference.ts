/**
 * Image references as hostplane writes them: `registry/repository[:tag][@sha256:…]`. The registry
 * part is always explicit (a host with a dot or a port, or localhost): hostplane never guesses a
 * default registry, so a reference means the same thing everywhere it is read.
 */
import { BuildError } from '../build-error.js'

export interface ImageReference {
  /** host[:port] */
  readonly registry: string
  /** Lower-case path components separated by `/`, e.g. hostplane/acme. */
  readonly repository: string
  readonly tag?: string
  /** sha256:… */
  readonly digest?: string
}

export const DIGEST = /^sha256:[a-f0-9]{64}$/
const REGISTRY =
  /^(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)+|\[[0-9a-f:]+\])(?::[0-9]{1,5})?$|^[a-z0-9-]+:[0-9]{1,5}$/i
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

export const isRepository = (repository: string): boolean =>
  repository.length <= 255 && REPOSITORY.test(repository)
export const isTag = (tag: string): boolean => TAG.test(tag)

export function parseImageReference(reference: string): ImageReference {
  const refuse = (why: string) =>
    new BuildError('HP_ERR_REGISTRY_REFERENCE', `image reference ${JSON.stringify(reference)}: ${why}`)
  const [name = '', digest, ...rest] = reference.split('@')
  if (rest.length > 0 || (digest !== undefined && !DIGEST.test(digest)))
    throw refuse('the digest must be one sha256:<64 hex>')
  const slash = name.indexOf('/')
  const registry = name.slice(0, slash)
  if (slash < 0 || !REGISTRY.test(registry))
    throw refuse('it must start with a registry host (with a dot or a port, or localhost)')
  let repository = name.slice(slash + 1)
  let tag: string | undefined
  const colon = repository.lastIndexOf(':')
  if (colon >= 0) {
    tag = repository.slice(colon + 1)
    repository = repository.slice(0, colon)
    if (!isTag(tag)) throw refuse('the tag has characters a tag may not have')
  }
  if (!isRepository(repository)) throw refuse('the repository must be lower-case path components')
  return { registry, repository, ...(tag === undefined ? {} : { tag }), ...(digest ? { digest } : {}) }
}

export function formatImageReference({ registry, repository, tag, digest }: ImageReference): string {
  return `${registry}/${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`
}

/**
 * The tag of a Webspace's image built from `commit`: `<webspace>-<first 12 hex of the commit>`.
 * Webspace names are DNS labels (at most 63 characters), so the tag is always valid and at most
 * 76 characters; the image is always used by digest, the tag only makes the registry readable.
 */
export function webspaceImageTag(webspace: string, commit: string): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(webspace) || !/^[0-9a-f]{40,64}$/.test(commit))
    throw new BuildError('HP_ERR_BUILD_OPTIONS', `no image tag for webspace ${webspace} and commit ${commit}`)
  return `${webspace}-${commit.slice(0, 12)}`
}
