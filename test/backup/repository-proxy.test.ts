/**
 * The backup proxy between the backup Jobs and the bucket, with real restic (its `rest:`
 * backend) and moto's S3 server: a customer's repository works through it end to end and lands in
 * restic's S3 layout under the customer's prefix; another customer's token, no token, a guessed
 * path or a path escaping the customer's own are all refused, and nothing reaches the bucket.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createServer, request, type Server } from 'node:http'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { backupFiles, verifyFiles } from '../../src/backup/files.js'
import { repositoryProxy } from '../../src/backup/repository-proxy.js'
import { Restic, ResticError } from '../../src/backup/restic.js'
import { binaryUnavailable } from '../cluster/paths.js'
import { motoClient, motoUnavailable, S3_TEST_CREDENTIALS, type S3UnderTest, startMoto } from './moto.js'

const unavailable =
  (await binaryUnavailable('backup', '/usr/bin/restic', 'restic')) || (await motoUnavailable())

const BUCKET = 'hostplane-proxied'
const PREFIX = 'hostplane/'
const TOKENS: Record<string, string> = {
  acme: randomBytes(24).toString('base64url'),
  bravo: randomBytes(24).toString('base64url'),
}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe(
  'the backup proxy: restic’s REST protocol in front of the bucket, one repository per customer',
  { skip: unavailable },
  () => {
    let s3: S3UnderTest
    let server: Server
    let proxy: string
    let work: string
    const resticAs = (user: string, token: string, path: string) =>
      new Restic(
        {
          url: `rest:http://${user}:${token}@${proxy}/${path}/`,
          password: `repository-password-${path}`,
          env: {},
        },
        { cacheDir: join(work, `cache-${user}-${path}`), timeoutMs: 60_000 },
      )
    const raw = (method: string, path: string, auth?: string, headers: Record<string, string> = {}) =>
      fetch(`http://${proxy}${path}`, {
        method,
        headers: {
          ...(auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}),
          ...headers,
        },
      })

    before(async () => {
      s3 = await startMoto()
      await s3.createBucket(BUCKET)
      const client = motoClient(s3, BUCKET)
      server = createServer(
        repositoryProxy({
          s3: client,
          prefix: PREFIX,
          tokenHash: (customer) => (TOKENS[customer] ? sha256(TOKENS[customer]) : undefined),
          maxObjectBytes: 32 * 1024 ** 2,
        }),
      )
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      proxy = `127.0.0.1:${(server.address() as AddressInfo).port}`
      work = await mkdtemp(join(tmpdir(), 'hp-proxy-'))
      await mkdir(join(work, 'volume/uploads'), { recursive: true })
      await writeFile(join(work, 'volume/uploads/a.bin'), randomBytes(5 * 1024 * 1024))
      await writeFile(join(work, 'volume/index.html'), '<p>hello</p>\n')
    })

    after(async () => {
      await new Promise((resolve) => server?.close(resolve))
      await s3?.stop()
      if (work) await rm(work, { recursive: true, force: true })
    })

    it('carries a customer’s backups end to end, stored in restic’s S3 layout under its prefix', async () => {
      const acme = resticAs('acme', TOKENS.acme ?? '', 'acme')
      assert.equal(await acme.ensureRepository(), 'created')
      await backupFiles(acme, join(work, 'volume'), 'p1')
      assert.deepEqual(await verifyFiles(acme, 'p1', join(work, 'drill')), [])
      const keys = [...(await s3.objects(BUCKET)).keys()]
      assert.ok(keys.length > 0 && keys.every((key) => key.startsWith(`${PREFIX}acme/`)), keys.join(' '))
      assert.ok(keys.some((key) => /^hostplane\/acme\/data\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(key)))
      // The same repository opens directly from the bucket, as an admin would in a disaster.
      const direct = new Restic(
        {
          url: `s3:${s3.endpoint}/${BUCKET}/${PREFIX}acme`,
          password: 'repository-password-acme',
          env: S3_TEST_CREDENTIALS,
        },
        { cacheDir: join(work, 'cache-direct'), timeoutMs: 60_000 },
      )
      assert.equal((await direct.snapshots()).length, 2)
    })

    it('opens no other customer’s repository: another token, a wrong one, none', async () => {
      for (const [user, token] of [
        ['bravo', TOKENS.bravo ?? ''],
        ['acme', 'guessed'],
        ['', ''],
      ] as const)
        await assert.rejects(
          resticAs(user || 'nobody', token || 'x', 'acme').snapshots(),
          ResticError,
          `${user}:${token}`,
        )
      const before = (await s3.objects(BUCKET)).size
      await assert.rejects(resticAs('bravo', TOKENS.bravo ?? '', 'acme').ensureRepository(), ResticError)
      assert.equal((await s3.objects(BUCKET)).size, before, 'nothing was written')
    })

    it('answers a probe as nothing: other customers, escapes, odd names and methods', async () => {
      const acme = `acme:${TOKENS.acme}`
      assert.equal((await raw('GET', '/acme/config')).status, 401)
      assert.equal((await raw('GET', '/acme/config', 'acme:wrong')).status, 401)
      for (const path of [
        '/bravo/config',
        '/acme/../bravo/config',
        '/acme/%2e%2e/bravo/config',
        '/acme/data/..%2f..%2fbravo',
        '/acme/data/xyz',
        '/acme/other/' + 'a'.repeat(64),
        '/ACME/config',
        '/acme/config/x',
      ])
        assert.equal((await raw('GET', path, acme)).status, 404, path)
      assert.equal((await raw('DELETE', '/acme/', acme)).status, 405)
      assert.equal((await raw('PUT', '/acme/config', acme)).status, 405)
      // Refused from its headers, before a byte of the body is read.
      const big = await new Promise<number | undefined>((resolve, reject) => {
        const [host, port] = proxy.split(':')
        const outgoing = request(
          {
            host,
            port,
            method: 'POST',
            path: `/acme/data/${'b'.repeat(64)}`,
            headers: {
              authorization: `Basic ${Buffer.from(acme).toString('base64')}`,
              'content-length': String(64 * 1024 ** 2),
            },
          },
          (response) => {
            response.resume()
            resolve(response.statusCode)
            outgoing.destroy()
          },
        )
        outgoing.on('error', reject)
        outgoing.write(Buffer.alloc(1024))
      })
      assert.equal(big, 413)
    })
  },
)
