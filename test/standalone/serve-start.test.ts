/**
 * `hostplane serve` that cannot start says why in one line and exits 1: no stack trace, and no
 * process left hanging on the watchers and timers of a half-done start.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { REPO_ROOT } from '../cluster/paths.js'

interface Exit {
  readonly code: number | null
  readonly stderr: string
}

function runServe(args: readonly string[]): Promise<Exit> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'serve', ...args],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`hostplane serve still running after 60 s; stderr:\n${stderr}`))
    }, 60_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
}

describe('hostplane serve that cannot start', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostplane-serve-start-'))
  })

  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('names a missing sites directory and exits 1', async () => {
    const missing = join(dir, 'no-such-dir')
    const { code, stderr } = await runServe([
      missing,
      '--data-dir',
      join(dir, 'data-1'),
      '--listen',
      '127.0.0.1:0',
    ])
    assert.equal(code, 1)
    assert.match(stderr, new RegExp(`^hostplane serve: sites directory ${missing}: does not exist\n$`))
    assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace')
  })

  it('names a listen address in use and exits instead of hanging', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const address = taken.address()
    assert.ok(address && typeof address === 'object')
    try {
      const { code, stderr } = await runServe([
        join(REPO_ROOT, 'examples'),
        '--data-dir',
        join(dir, 'data-2'),
        '--listen',
        `127.0.0.1:${address.port}`,
        '--control-listen',
        '127.0.0.1:0',
      ])
      assert.equal(code, 1)
      assert.match(stderr, /^hostplane serve: .*EADDRINUSE.*\n$/)
      assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace')
    } finally {
      taken.close()
    }
  })
})
