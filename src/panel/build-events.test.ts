import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { BuildStatus } from '../api/webspace.js'
import { buildEvents, sseFrame, streamDone } from './build-events.js'

const build = (overrides: Partial<BuildStatus> = {}): BuildStatus => ({
  phase: 'Building',
  branch: 'main',
  commit: 'a'.repeat(40),
  startedAt: '2026-12-06T18:00:00Z',
  lineCount: 2,
  lines: ['building release of main', 'layer 1/2'],
  ...overrides,
})

const names = (events: ReturnType<typeof buildEvents>) =>
  events.map((e) => (e.event === 'line' ? `line ${String(e.data.n)}` : e.event))

describe('build events: what a stream sends as status.build changes', () => {
  it('a first look at a running build sends its start and every line it holds, numbered from 1', () => {
    assert.deepEqual(names(buildEvents(undefined, build())), ['build', 'line 1', 'line 2'])
  })

  it('new lines of the same build are sent once, in order', () => {
    const next = build({
      lineCount: 4,
      lines: ['building release of main', 'layer 1/2', 'layer 2/2', 'pushed'],
    })
    const events = buildEvents(build(), next)
    assert.deepEqual(names(events), ['line 3', 'line 4'])
    assert.deepEqual(events[1]?.data, { n: 4, text: 'pushed' })
    assert.deepEqual(buildEvents(next, next), [], 'nothing new, nothing sent')
  })

  it('lines the status no longer holds are reported as skipped, not invented', () => {
    const next = build({ lineCount: 300, lines: ['line 299', 'line 300'] })
    const events = buildEvents(build(), next)
    assert.deepEqual(names(events), ['skipped', 'line 299', 'line 300'])
    assert.deepEqual(events[0]?.data, { lines: 296 })
  })

  it('the end is sent once, with the Release a successful build made', () => {
    const done = build({
      phase: 'Succeeded',
      lineCount: 3,
      lines: ['building release of main', 'layer 1/2', 'Release site-1 created'],
      release: 'site-1',
      finishedAt: '2026-12-06T18:01:00Z',
    })
    const events = buildEvents(build(), done)
    assert.deepEqual(names(events), ['line 3', 'end'])
    assert.deepEqual(events.at(-1)?.data, {
      phase: 'Succeeded',
      release: 'site-1',
      finishedAt: '2026-12-06T18:01:00Z',
    })
    assert.equal(streamDone(done), true)
    assert.equal(streamDone(build()), false)
  })

  it('a new push replaces the build followed: it starts over from its first line', () => {
    const second = build({
      commit: 'b'.repeat(40),
      startedAt: '2026-12-06T18:05:00Z',
      lineCount: 1,
      lines: ['x'],
    })
    assert.deepEqual(names(buildEvents(build(), second)), ['build', 'line 1'])
  })

  it('a log line cannot end its event or forge another: data is one line of JSON', () => {
    const frame = sseFrame({ event: 'line', data: { n: 1, text: 'evil\n\nevent: end\ndata: {}' } })
    assert.equal(frame.split('\n\n').length, 2)
    assert.match(frame, /^event: line\ndata: \{.*\}\n\n$/)
  })

  it('no build on record sends nothing', () => assert.deepEqual(buildEvents(undefined, undefined), []))
})
