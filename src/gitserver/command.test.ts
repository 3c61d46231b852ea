import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseGitCommand } from './command.js'

describe('parseGitCommand', () => {
  const accepted: [string, string, object][] = [
    [
      'takes a push in the scp form git sends',
      "git-receive-pack 'acme/shop.git'",
      { service: 'git-receive-pack', customer: 'acme', webspace: 'shop' },
    ],
    [
      'takes a fetch of an ssh:// URL, whose path starts with /',
      "git-upload-pack '/acme/shop.git'",
      { service: 'git-upload-pack', customer: 'acme', webspace: 'shop' },
    ],
    [
      'takes the name without .git',
      "git-upload-pack 'acme/shop'",
      { service: 'git-upload-pack', customer: 'acme', webspace: 'shop' },
    ],
    [
      'takes /etc/passwd as two names, which are looked up, never opened as a path',
      "git-upload-pack '/etc/passwd'",
      { service: 'git-upload-pack', customer: 'etc', webspace: 'passwd' },
    ],
    [
      'takes names with digits and dashes',
      "git-receive-pack 'a-1/web-2.git'",
      { service: 'git-receive-pack', customer: 'a-1', webspace: 'web-2' },
    ],
  ]
  for (const [name, line, command] of accepted)
    it(name, () => assert.deepEqual(parseGitCommand(line), { ok: true, command }))

  const refused: [string, string][] = [
    ['a parent directory', "git-upload-pack '../acme/shop.git'"],
    ['a parent directory inside the path', "git-upload-pack 'acme/../acme/shop.git'"],
    ['an absolute path to a repository directory', "git-upload-pack '/var/lib/repos/0b5e.git'"],
    ['three path segments', "git-upload-pack '/srv/acme/shop.git'"],
    ['an option before the path', "git-upload-pack --strict 'acme/shop.git'"],
    ['an argument after the path', "git-upload-pack 'acme/shop.git' --upload-pack=id"],
    ['a second command', "git-upload-pack 'acme/shop.git'; id"],
    ['a quote inside the path', "git-upload-pack 'acme/shop'\\''.git'"],
    ['double quotes', 'git-upload-pack "acme/shop.git"'],
    ['no quotes', 'git-upload-pack acme/shop.git'],
    ['the space form of git', "git upload-pack 'acme/shop.git'"],
    ['another git service', "git-upload-archive 'acme/shop.git'"],
    ['a shell command', "sh -c 'id'"],
    ['upper case names', "git-upload-pack 'Acme/shop.git'"],
    ['a name starting with a dash', "git-upload-pack '-acme/shop.git'"],
    ['a name ending with a dash', "git-upload-pack 'acme/shop-.git'"],
    ['a newline after the command', "git-upload-pack 'acme/shop.git'\n"],
    ['a NUL byte', "git-upload-pack 'acme/shop.git\u0000'"],
    ['a customer name longer than a Customer may have', `git-upload-pack '${'a'.repeat(60)}/shop.git'`],
    ['a webspace name longer than a Webspace may have', `git-upload-pack 'acme/${'a'.repeat(51)}.git'`],
    ['an empty line', ''],
  ]
  for (const [name, line] of refused)
    it(`refuses ${name}`, () => {
      const parsed = parseGitCommand(line)
      assert.equal(parsed.ok, false)
      assert.match(parsed.ok ? '' : parsed.message, /only git push and fetch/)
    })
})
