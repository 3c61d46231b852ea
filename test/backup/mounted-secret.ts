/** Secrets as the kubelet mounts them into a backup Job's container: one file per key. */
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { S3_TEST_CREDENTIALS } from './moto.js'

export async function mountSecret(dir: string, data: Record<string, string>): Promise<string> {
  await mkdir(dir, { recursive: true })
  for (const [key, value] of Object.entries(data)) await writeFile(join(dir, key), value)
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
