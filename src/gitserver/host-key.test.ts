import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import ssh2 from 'ssh2'
import { generateEd25519Key, loadHostKey, publicHostKey } from './host-key.js'

describe('the gitserver host key', () => {
  it('is always a key ssh2 reads back: 1,000 in a row (ssh2’s generator alone fails about 1 in 256)', () => {
    for (let i = 0; i < 1000; i++) {
      const parsed = ssh2.utils.parseKey(generateEd25519Key())
      assert.ok(!(parsed instanceof Error) && parsed.isPrivateKey(), `key ${i}`)
    }
  })

  it('is generated once into its file (0600) and the same key is read at the next start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hostplane-host-key-'))
    try {
      const file = join(dir, 'host_key')
      const first = await loadHostKey(file, true)
      assert.equal((await stat(file)).mode & 0o777, 0o600)
      assert.equal(await loadHostKey(file, true), first)
      assert.equal(await readFile(file, 'utf8'), first)
      assert.match(publicHostKey(first), /^ssh-ed25519 AAAA/)
      await assert.rejects(loadHostKey(join(dir, 'missing'), false), /cannot read the host key/)
      await writeFile(join(dir, 'junk'), 'not a key')
      await assert.rejects(loadHostKey(join(dir, 'junk'), false), /not an unencrypted OpenSSH private key/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
