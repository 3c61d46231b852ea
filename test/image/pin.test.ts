/**
 * The committed install profiles pull exactly the image this tree builds: the digest recorded in
 * deploy/install/image.json is the one `npm run image` gives on this checkout (.ci/run builds it
 * from the clean clone before the tests), and every hostplane container of every dist/ profile
 * names it. A change to the sources, the dependencies or the recipe changes the digest; this test
 * then says how to pin the new one.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import type { V1PodSpec } from '@kubernetes/client-node'
import type { Manifest } from '../../src/kube/object.js'
import {
  IMAGE_PIN_FILE,
  pinnedImageDigest,
  pinnedRegistryImageDigest,
} from '../../deploy/install/image-pin.js'
import { IMAGE_REPOSITORY, REGISTRY_IMAGE_REPOSITORY } from '../../deploy/install/options.js'
import { REGISTRY_IMAGE_OUTPUT } from '../../scripts/image/recipe.js'
import { PROFILE_NAMES, profileDir } from '../../deploy/install/profile-files.js'
import type { ProfileName } from '../../deploy/install/profiles.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { readInstall } from '../install/apply-install.js'
import { type ImageUnderTest, imageSkipReason, imageUnderTest } from './image-under-test.js'

const skip = (await imageSkipReason([])) || (await imageSkipReason([], REGISTRY_IMAGE_OUTPUT))

const REPIN = 'run `npm run image -- --pin && npm run gen` and commit deploy/install/image.json and dist/'

interface Workload extends Manifest {
  readonly spec?: { readonly template?: { readonly spec?: V1PodSpec } }
}

/** `kind/name container → image` of every container of a file of a profile (install.yaml by default). */
async function containerImages(profile: ProfileName, file = 'install.yaml'): Promise<Map<string, string>> {
  const images = new Map<string, string>()
  for (const object of (await readInstall(join(profileDir(profile), file))) as Workload[]) {
    const pod = object.spec?.template?.spec
    for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])])
      images.set(`${object.kind}/${object.metadata.name} ${container.name}`, container.image ?? '')
  }
  return images
}

describe('the profiles name the image this tree builds', { skip }, () => {
  let image: ImageUnderTest
  let registry: ImageUnderTest
  let version: string

  before(async () => {
    image = await imageUnderTest()
    registry = await imageUnderTest(REGISTRY_IMAGE_OUTPUT)
    version = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
      .version
  })

  it('records the digest npm run image gives on this checkout', () => {
    assert.equal(
      pinnedImageDigest(),
      image.digest,
      `${IMAGE_PIN_FILE.slice(REPO_ROOT.length + 1)} is not the digest of this tree's image: ${REPIN}`,
    )
  })

  it('records the registry image’s digest npm run image gives on this checkout', () => {
    assert.equal(
      pinnedRegistryImageDigest(),
      registry.digest,
      `${IMAGE_PIN_FILE.slice(REPO_ROOT.length + 1)} is not the digest of this tree's registry image: ${REPIN}`,
    )
  })

  for (const profile of PROFILE_NAMES)
    it(`dist/${profile}/push-to-deploy: the gitserver pulls the hostplane image and the registry its own, by digest`, async () => {
      const images = [...(await containerImages(profile, 'push-to-deploy/push-to-deploy.yaml'))]
      assert.deepEqual(
        images,
        [
          ['Deployment/hostplane-gitserver gitserver', `${IMAGE_REPOSITORY}:${version}@${image.digest}`],
          [
            'Deployment/hostplane-registry registry',
            `${REGISTRY_IMAGE_REPOSITORY}:${version}@${registry.digest}`,
          ],
        ],
        REPIN,
      )
    })

  for (const profile of PROFILE_NAMES)
    it(`dist/${profile}: every hostplane container pulls it by digest`, async () => {
      const hostplane = [...(await containerImages(profile))].filter(([, ref]) =>
        ref.startsWith(`${IMAGE_REPOSITORY}:`),
      )
      assert.ok(hostplane.length >= 2, `dist/${profile} runs no hostplane container`)
      for (const [container, ref] of hostplane)
        assert.equal(ref, `${IMAGE_REPOSITORY}:${version}@${image.digest}`, `${container}: ${REPIN}`)
    })
})
