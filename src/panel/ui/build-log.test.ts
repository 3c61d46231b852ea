import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { BuildStatus } from '../../api/webspace.js'
import { buildLog, buildWord } from './build-log.js'
import { BUILD_LOG_SCRIPT } from './build-log-script.js'

const build = (phase: BuildStatus['phase'], more: Partial<BuildStatus> = {}): BuildStatus => ({
  phase,
  branch: 'main',
  commit: 'c'.repeat(40),
  startedAt: '2026-12-06T20:00:00Z',
  lineCount: 2,
  lines: ['one', 'two'],
  ...more,
})

describe("a webspace's build on its page", () => {
  for (const [phase, more, word] of [
    [undefined, {}, { state: 'pending', text: 'never built' }],
    ['Building', {}, { state: 'pending', text: 'building' }],
    ['Succeeded', { release: 'shop-1' }, { state: 'ok', text: 'succeeded: release shop-1' }],
    ['Failed', {}, { state: 'problem', text: 'failed' }],
  ] as const)
    it(`a build ${phase ?? 'that never ran'} reads “${word.text}”`, () =>
      assert.deepEqual(buildWord(phase && build(phase, more)), word))

  it('shows the lines the status keeps as text, and says how many it no longer keeps', () => {
    const log = buildLog(
      build('Building', { lineCount: 7, lines: ['<img src=x onerror=alert(1)>', 'done'] }),
      '/e',
    ).value
    assert.match(log, /… 5 earlier lines not kept …\n&lt;img src=x onerror=alert\(1\)&gt;\ndone\n<\/pre/)
    assert.doesNotMatch(log, /<img/)
    assert.match(log, /data-events="\/e"/)
  })

  it("the script appends lines as text and says the build's state in the page's words", () => {
    assert.doesNotMatch(BUILD_LOG_SCRIPT.content, /innerHTML|insertAdjacentHTML|eval\(|new Function/)
    for (const words of ['building', 'succeeded: release ', 'failed'])
      assert.ok(BUILD_LOG_SCRIPT.content.includes(`'${words}'`))
  })
})
