/**
 * The image goes to a real registry and comes back unchanged: Debian's docker-registry
 * (distribution) on a free port with its own storage, the documented push command
 * (`skopeo copy --preserve-digests oci-archive:… docker://…`), then the registry's digest for the
 * tag, and a pull by digest into a fresh OCI layout, compared with the image `npm run image` built.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { serveDockerRegistry } from '../build/registry.js'
import type { CliProcess } from '../e2e/cli-process.js'
import { type ImageUnderTest, imageSkipReason, imageUnderTest } from './image-under-test.js'

const run = promisify(execFile)
const skip = await imageSkipReason(['skopeo', 'docker-registry'])

const skopeo = (...args: string[]) => run('skopeo', args, { timeout: 5 * 60_000, maxBuffer: 16 << 20 })

describe('the image pushed to a real registry and pulled back by digest', { skip }, () => {
  let image: ImageUnderTest
  let dir: string
  let registry: CliProcess
  let address: string

  before(async () => {
    image = await imageUnderTest()
    dir = await mkdtemp(join(tmpdir(), 'hostplane-registry-'))
    ;({ address, registry } = await serveDockerRegistry(dir))
  })

  after(async () => {
    await registry?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('keeps the digest through a push, and a pull by that digest gives the same image', async () => {
    const reference = `${address}/hostplane`
    await skopeo(
      'copy',
      '--preserve-digests',
      '--dest-tls-verify=false',
      `oci-archive:${image.archive}`,
      `docker://${reference}:${image.tag}`,
    )

    const tagged = await fetch(`http://${reference.replace('/', '/v2/')}/manifests/${image.tag}`, {
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
    })
    assert.equal(tagged.status, 200)
    assert.equal(
      tagged.headers.get('docker-content-digest'),
      image.digest,
      'the registry’s digest of the pushed tag',
    )

    const pulled = join(dir, 'pulled')
    await skopeo(
      'copy',
      '--src-tls-verify=false',
      `docker://${reference}@${image.digest}`,
      `oci:${pulled}:${image.tag}`,
    )
    const index = JSON.parse(await readFile(join(pulled, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[]
    }
    assert.deepEqual(
      index.manifests.map((m) => m.digest),
      [image.digest],
    )
    const blob = (layout: string) => readFile(join(layout, 'blobs', ...image.digest.split(':')), 'utf8')
    assert.equal(await blob(pulled), await blob(image.layout), 'the pulled manifest, byte for byte')
  })
})
