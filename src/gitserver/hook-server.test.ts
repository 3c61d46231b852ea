import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { printable } from './hook-server.js'

describe('printable', () => {
  it('keeps a build log line as it is, tabs included', () =>
    assert.equal(printable('step 1/3\tRUN npm ci — ok'), 'step 1/3\tRUN npm ci — ok'))

  it('turns terminal escapes, carriage returns and other control characters into ?', () =>
    assert.equal(printable('\u001b]0;pwned\u0007\rclear\u009b2J'), '?]0;pwned??clear?2J'))
})
