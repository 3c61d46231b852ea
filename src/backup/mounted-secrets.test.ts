import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { mountedRepository } from './mounted-secrets.js'

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

async function secret(data: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hp-secret-'))
  dirs.push(dir)
  for (const [key, value] of Object.entries(data)) await writeFile(join(dir, key), value)
  return dir
}

describe('a repository Secret', () => {
  it('of a rest: repository needs only repository and password, and gives restic no bucket keys', async () => {
    const dir = await secret({ repository: 'rest:http://acme:t@proxy:8000/acme/\n', password: 'p\n' })
    assert.deepEqual(await mountedRepository(dir), {
      url: 'rest:http://acme:t@proxy:8000/acme/',
      password: 'p',
      env: {},
    })
  })

  it('of an s3: repository gives restic the bucket keys', async () => {
    const dir = await secret({
      repository: 's3:https://s3.test/b/acme',
      password: 'p',
      'access-key-id': 'id',
      'secret-access-key': 'key',
    })
    assert.deepEqual((await mountedRepository(dir)).env, {
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'key',
    })
  })

  it('of an s3: repository without the bucket keys says which key it lacks', async () => {
    const dir = await secret({
      repository: 's3:https://s3.test/b/acme',
      password: 'p',
      'access-key-id': 'id',
    })
    await assert.rejects(mountedRepository(dir), {
      message: `the s3: repository Secret ${dir}: no key secret-access-key (missing)`,
    })
  })
})
