/**
 * The built-in Runtimes' Dockerfiles (deploy/runtimes) parse with BuildKit's own parser at the
 * version the install builds with, since no BuildKit runs in the tests and a problem would
 * otherwise first show in a tenant's build. The checker's rejections are proven too: a checker
 * that accepts everything would pass the first test.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parse } from 'yaml'
import type { Runtime } from '../../src/api/resources.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { dockerfileCheckUnavailable, dockerfileParseProblems } from './dockerfile-check.js'

const skip = await dockerfileCheckUnavailable()

async function runtimesWithDockerfiles(): Promise<Runtime[]> {
  const dir = join(REPO_ROOT, 'deploy', 'runtimes')
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()
  const runtimes = await Promise.all(
    files.map(async (f) => parse(await readFile(join(dir, f), 'utf8')) as Runtime),
  )
  return runtimes.filter((runtime) => runtime.spec.dockerfile !== undefined)
}

const FROM = 'FROM docker.io/library/debian:trixie-slim'

describe("the Runtimes' Dockerfiles against BuildKit v0.20.2's parser", { skip }, () => {
  it('every built-in Runtime with a Dockerfile parses without a problem', async () => {
    const runtimes = await runtimesWithDockerfiles()
    assert.ok(
      runtimes.some((runtime) => runtime.metadata.name === 'wordpress'),
      'the wordpress Runtime carries a Dockerfile',
    )
    for (const runtime of runtimes)
      assert.deepEqual(
        await dockerfileParseProblems(runtime.spec.dockerfile ?? ''),
        [],
        `Runtime ${runtime.metadata.name}`,
      )
  })

  it('rejects an unknown flag, with the line and the flag BuildKit names', async () => {
    assert.deepEqual(await dockerfileParseProblems(`${FROM}\nADD --chekcsum=sha256:00 https://x /y\n`), [
      'line 2: unknown flag: --chekcsum (did you mean checksum?)',
    ])
  })

  it('rejects an unterminated heredoc', async () => {
    assert.deepEqual(await dockerfileParseProblems(`${FROM}\nCOPY <<'EOF' /etc/x\nhello\n`), [
      'line 2: unterminated heredoc',
    ])
  })

  it('rejects an unknown instruction', async () => {
    assert.deepEqual(await dockerfileParseProblems(`${FROM}\nRUNN true\n`), [
      'line 2: unknown instruction: RUNN (did you mean RUN?)',
    ])
  })

  it('takes COPY --from only from an earlier stage or a fully qualified image', async () => {
    const problems = await dockerfileParseProblems(
      [
        `${FROM} AS first`,
        'COPY --from=nosuchstage /a /a',
        'COPY --from=later /a /a',
        `${FROM} AS later`,
        'COPY --from=first /a /a',
        'COPY --from=0 /a /a',
        'COPY --from=1 /a /a',
        'COPY --from=docker.io/library/busybox:1.37 /bin/busybox /busybox',
      ].join('\n'),
    )
    assert.equal(problems.length, 3, problems.join('\n'))
    assert.match(problems[0] ?? '', /^line 2: COPY --from=nosuchstage names no earlier stage/)
    assert.match(problems[1] ?? '', /^line 3: COPY --from=later names no earlier stage/)
    assert.match(problems[2] ?? '', /^line 7: COPY --from=1: no earlier stage/)
  })
})
