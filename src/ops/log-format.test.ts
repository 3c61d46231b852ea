import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatLogLine } from './log-format.js'

const line = (entry: Record<string, unknown>) =>
  JSON.stringify({
    level: 30,
    time: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    pid: 1,
    hostname: 'h',
    name: 'hostplane-serve',
    ...entry,
  })

describe('formatLogLine', () => {
  const cases: { name: string; input: string; expected: string }[] = [
    {
      name: 'an info line shows the time, the level and the message, without pid, hostname or name',
      input: line({ msg: 'listening' }),
      expected: '03:04:05.678 INFO  listening\n',
    },
    {
      name: 'other fields follow as key=value, quoting strings with spaces and writing objects as JSON',
      input: line({ msg: 'synced', site: 'default/example', note: 'two words', revisions: [1, 2] }),
      expected: '03:04:05.678 INFO  synced site=default/example note="two words" revisions=[1,2]\n',
    },
    {
      name: 'a warning with an error shows the error message inline and no stack',
      input: line({
        level: 40,
        msg: 'fetch failed',
        err: { message: 'timeout', stack: 'Error: timeout\n    at x' },
      }),
      expected: '03:04:05.678 WARN  fetch failed err=timeout\n',
    },
    {
      name: 'an error level line adds the stack on indented lines below',
      input: line({ level: 50, msg: 'boom', err: { message: 'bad', stack: 'Error: bad\n    at y' } }),
      expected: '03:04:05.678 ERROR boom err=bad\n    Error: bad\n        at y\n',
    },
    {
      name: 'a line that is not JSON is passed through unchanged',
      input: 'plain text',
      expected: 'plain text\n',
    },
  ]
  for (const { name, input, expected } of cases) {
    it(name, () => assert.equal(formatLogLine(input, { color: false }), expected))
  }

  it('colours the level when asked, for a terminal', () => {
    assert.ok(formatLogLine(line({ level: 50, msg: 'x' }), { color: true }).includes('\u001b[31mERROR'))
  })
})
