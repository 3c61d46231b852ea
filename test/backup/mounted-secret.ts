/**
 * Secrets as the kubelet mounts them into a container (its atomic writer): the values in a hidden
 * `..<version>` directory, `..data` linking to it, and one link per key through `..data`. Calling
 * mountSecret again on the same directory updates the Secret the same way: a new version
 * directory, `..data` swapped by a rename, links of removed keys removed, the old version deleted.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { S3_TEST_CREDENTIALS } from './moto.js'

let versions = 0

export async function mountSecret(dir: string, data: Record<string, string>): Promise<string> {
  await mkdir(dir, { recursive: true })
  const previous = await readlink(join(dir, '..data')).catch(() => undefined)
  const version = `..${new Date().toISOString().replaceAll(':', '_')}.${++versions}`
  await mkdir(join(dir, version))
  for (const [key, value] of Object.entries(data)) await writeFile(join(dir, version, key), value)
  await symlink(version, join(dir, '..data_tmp'))
  await rename(join(dir, '..data_tmp'), join(dir, '..data'))
  const links = (await readdir(dir)).filter((entry) => !entry.startsWith('..'))
  for (const key of Object.keys(data))
    if (!links.includes(key)) await symlink(join('..data', key), join(dir, key))
  for (const link of links) if (!(link in data)) await rm(join(dir, link))
  if (previous) await rm(join(dir, previous), { recursive: true })
  return dir
}

/** A customer's repository Secret for a repository under `s3:<endpoint>/<bucket>/<path>`, with a fresh password. */
export const mountRepositorySecret = (dir: string, endpoint: string, bucket: string, path: string) =>
  mountSecret(dir, {
    repository: `s3:${endpoint}/${bucket}/${path}`,
    password: randomBytes(24).toString('base64url'),
    'access-key-id': S3_TEST_CREDENTIALS.AWS_ACCESS_KEY_ID,
    'secret-access-key': S3_TEST_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
  })
