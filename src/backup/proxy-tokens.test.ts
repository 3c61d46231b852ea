import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { recordingLogger } from '../ops/log.js'
import { ProxyTokens } from './proxy-tokens.js'

const hash = (token: string) => createHash('sha256').update(token).digest('hex')

describe('the proxy’s tokens, read from their mounted Secret', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hp-tokens-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('takes one hash per customer, skips the kubelet’s own entries, and names (never shows) a value that is no hash', async () => {
    await mkdir(join(dir, '..data'))
    await writeFile(join(dir, 'acme'), `${hash('a')}\n`)
    await writeFile(join(dir, 'bravo'), 'the-token-itself')
    const { log, lines } = recordingLogger()
    const counts: number[] = []
    const tokens = new ProxyTokens({ dir, log, onLoaded: (n) => counts.push(n) })
    await tokens.start()
    tokens.stop()
    assert.equal(tokens.loaded, true)
    assert.equal(await tokens.tokenHash('acme'), hash('a'))
    assert.equal(await tokens.tokenHash('bravo'), undefined)
    assert.deepEqual(counts.slice(0, 1), [1])
    assert.ok(lines.some((line) => line.customer === 'bravo' && line.level === 40))
    assert.ok(!JSON.stringify(lines).includes('the-token-itself'))
  })

  it('reads again for an unknown customer, at most once per unknownRetryMs whoever asks', async () => {
    const { log } = recordingLogger()
    const tokens = new ProxyTokens({ dir, log, unknownRetryMs: 60_000, refreshMs: 60_000 })
    await tokens.start()
    tokens.stop()
    await writeFile(join(dir, 'charlie'), hash('c'))
    assert.equal(await tokens.tokenHash('charlie'), undefined, 'read moments ago: not again yet')
    const soon = new ProxyTokens({ dir, log, unknownRetryMs: 0, refreshMs: 60_000 })
    await soon.start()
    soon.stop()
    await writeFile(join(dir, 'delta'), hash('d'))
    assert.equal(await soon.tokenHash('delta'), hash('d'))
  })

  it('keeps the tokens it read when the directory cannot be read, and refuses to start without one', async () => {
    const { log } = recordingLogger()
    const gone = join(dir, 'gone')
    await mkdir(gone)
    await writeFile(join(gone, 'acme'), hash('a'))
    const tokens = new ProxyTokens({ dir: gone, log, unknownRetryMs: 0, refreshMs: 60_000 })
    await tokens.start()
    tokens.stop()
    await rm(gone, { recursive: true })
    assert.equal(await tokens.tokenHash('someone'), undefined)
    assert.equal(await tokens.tokenHash('acme'), hash('a'))
    await assert.rejects(new ProxyTokens({ dir: gone, log }).start(), { code: 'ENOENT' })
  })
})
