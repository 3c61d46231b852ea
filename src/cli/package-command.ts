/**
 * What `hostplane package` does once its flags are parsed: read the Webspace and the Release with
 * the user's kubeconfig, render the package and write it whole.
 */
import { resolve } from 'node:path'
import { GROUP, VERSION } from '../api/kind.js'
import type { Release, Webspace } from '../api/resources.js'
import { loadKubeConfig } from '../kube/kubeconfig.js'
import { KubeRest, resourcePath } from '../kube/rest.js'
import { apiRefusal } from './api-refusal.js'
import { HOSTPLANE_PACKAGE } from '../package-root.js'
import { writePackage } from '../package/package-directory.js'
import { renderReleasePackage } from '../package/release-package.js'
import type { PackageFlags } from './package.js'

export async function packageCommand(
  webspaceName: string,
  releaseName: string | undefined,
  flags: PackageFlags,
  out: NodeJS.WritableStream,
  now: () => Date = () => new Date(),
): Promise<void> {
  const kubeConfig = await loadKubeConfig({ file: flags.kubeconfig })
  const namespace = flags.namespace ?? kubeConfig.namespace ?? 'default'
  const rest = new KubeRest(kubeConfig, { userAgent: 'hostplane-package' })
  const get = async <T>(plural: string, name: string, what: string) => {
    try {
      return await rest.request<T>(
        'GET',
        resourcePath({ apiVersion: `${GROUP}/${VERSION}`, plural, namespace, name }),
      )
    } catch (error) {
      throw apiRefusal(error, what)
    }
  }
  try {
    const webspace = await get<Webspace>('webspaces', webspaceName, `Webspace ${namespace}/${webspaceName}`)
    const name = releaseName ?? webspace.status?.release
    if (!name)
      throw new Error(
        `Webspace ${namespace}/${webspaceName} runs no Release yet; name one (hostplane releases ${webspaceName} lists them)`,
      )
    const release = await get<Release>('releases', name, `Release ${namespace}/${name}`)
    if (release.spec.webspace !== webspaceName)
      throw new Error(
        `Release ${namespace}/${name} belongs to Webspace ${release.spec.webspace}, not ${webspaceName}`,
      )
    const files = renderReleasePackage({
      release,
      webspace,
      created: now(),
      createdBy: `hostplane package ${HOSTPLANE_PACKAGE.version}`,
    })
    const directory = flags.out ?? resolve(`${namespace}-${name}`)
    await writePackage(directory, files)
    out.write(`${directory}: Release ${name} of ${namespace}/${webspaceName} (${release.spec.image})\n`)
  } finally {
    rest.close()
  }
}
