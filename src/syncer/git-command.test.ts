import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { subcommand } from './git-command.js'

describe('subcommand', () => {
  const cases: [string, string[], string][] = [
    [
      'finds the subcommand after -c options',
      ['-c', 'core.hooksPath=/dev/null', 'ls-remote', '--', 'https://x/a.git'],
      'ls-remote',
    ],
    [
      'skips the directory given to -C',
      ['-c', 'gc.auto=0', '-C', '/work/mirrors/a.git', 'cat-file', '-e', 'x'],
      'cat-file',
    ],
    ['skips --options before the subcommand', ['--work-tree=/tmp/t', 'checkout-index'], 'checkout-index'],
  ]
  for (const [name, args, expected] of cases) it(name, () => assert.equal(subcommand(args), expected))
})
