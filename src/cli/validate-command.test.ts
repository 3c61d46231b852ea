import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { type Finding, validateCommand } from './validate-command.js'

const site = (namespace: string, name: string, extra = '') => `apiVersion: hostplane.dev/v1alpha1
kind: StaticSite
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  repo: https://git.example.com/${name}.git
${extra}`

class Capture extends Writable {
  text = ''
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text += chunk.toString()
    done()
  }
}

async function run(paths: string[], { stdin = '', json = false } = {}) {
  const out = new Capture()
  const err = new Capture()
  const code = await validateCommand(
    paths,
    { output: json ? 'json' : 'text', pagesDomain: 'pages.test' },
    { stdin: Readable.from([stdin]), out, err },
  )
  return { code, out: out.text, err: err.text, lines: err.text.trim().split('\n').filter(Boolean) }
}

describe('hostplane validate', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostplane-validate-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  const write = async (name: string, text: string) => {
    const path = join(dir, name)
    await mkdir(join(path, '..'), { recursive: true })
    await writeFile(path, text)
    return path
  }

  it('reads every YAML file of a directory, not its subdirectories, and exits 0 when all are valid', async () => {
    await write('ok/a.yaml', site('team-a', 'a', '  domains: [a.test]'))
    await write('ok/b.yml', site('team-b', 'b', '  domains: [b.test]'))
    await write('ok/notes.txt', 'not yaml')
    await write('ok/nested/bad.yaml', 'kind: nonsense')
    const { code, out, lines } = await run([join(dir, 'ok')])
    assert.equal(code, 0, lines.join('\n'))
    assert.match(out, /a\.yaml:1:1: StaticSite team-a\/a is valid/)
    assert.match(out, /b\.yml:1:1: StaticSite team-b\/b is valid/)
  })

  it('reads standard input for -', async () => {
    const { code, out } = await run(['-'], { stdin: site('default', 'piped') })
    assert.equal(code, 0)
    assert.match(out, /^<stdin>:1:1: StaticSite default\/piped is valid/)
  })

  it('answers a missing path, and a directory without YAML, with one line naming it', async () => {
    await mkdir(join(dir, 'empty'))
    const { code, lines } = await run([join(dir, 'missing.yaml'), join(dir, 'empty')])
    assert.equal(code, 1)
    assert.deepEqual(lines, [
      `${join(dir, 'missing.yaml')}: cannot read: no such file or directory`,
      `${join(dir, 'empty')}: directory holds no *.yaml or *.yml file`,
    ])
  })

  it('names file, line and column of each error, and of invalid YAML', async () => {
    const path = await write(
      'errors.yaml',
      `${site('default', 'dup', '  domains:\n    - a.test\n    - a.test')}\n---\na: [1\n`,
    )
    const { code, lines } = await run([path])
    assert.equal(code, 1)
    assert.deepEqual(lines, [
      `${path}:11:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      `${path}:8:7: StaticSite default/dup: spec.domains[1]: Duplicate value: "a.test"`,
    ])
  })

  it('answers a YAML alias bomb with one line instead of expanding it', async () => {
    const aliases = Array.from(
      { length: 12 },
      (_, i) =>
        `b${i + 1}: &b${i + 1} [${Array(10)
          .fill(`*${i ? `b${i}` : 'a'}`)
          .join(', ')}]`,
    )
    const path = await write('bomb.yaml', ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...aliases].join('\n'))
    const { code, lines } = await run([path])
    assert.equal(code, 1)
    assert.deepEqual(lines, [
      `${path}:1:1: invalid YAML: Excessive alias count indicates a resource exhaustion attack`,
    ])
  })

  it('reports a domain another namespace claimed first, across files, with the operator’s reason', async () => {
    const first = await write('claims/1-owner.yaml', site('team-a', 'owner', '  domains: [x.test]'))
    const second = await write(
      'claims/2-intruder.yaml',
      site('team-b', 'intruder', '  domains: [x.test]\n  pathPrefix: /b'),
    )
    const { code, lines } = await run([first, second])
    assert.equal(code, 1)
    assert.equal(lines.length, 1)
    assert.match(
      lines[0] ?? '',
      /2-intruder\.yaml:6:3: StaticSite team-b\/intruder: spec\.domains: DomainOwnedByOtherNamespace: domain x\.test belongs to namespace team-a/,
    )
  })

  it('reports a path prefix already served in the namespace, another site’s default domain, and a site defined twice', async () => {
    const path = await write(
      'claims-one-file.yaml',
      [
        site('web', 'one', '  domains: [y.test]'),
        site('web', 'two', '  domains: [y.test]'),
        site('web', 'three', '  domains: [one-web.pages.test]'),
        site('web', 'one', '  domains: [z.test]'),
      ].join('\n---\n'),
    )
    const { code, lines } = await run([path])
    assert.equal(code, 1)
    assert.deepEqual(
      lines.map((line) => line.split(': ').slice(1, 4).join(': ')),
      [
        'StaticSite web/two: spec.domains: PathPrefixTaken',
        'StaticSite web/three: spec.domains: DomainRefused',
        'StaticSite web/one: metadata.name: AlreadyDefined',
      ],
    )
  })

  it('prints one JSON document with file, line, column, kind, name, field and message per error', async () => {
    const path = await write('json.yaml', `${site('default', 'j')}  ref: --evil\n`)
    const { code, out } = await run([path], { json: true })
    assert.equal(code, 1)
    const report = JSON.parse(out) as { valid: boolean; errors: Finding[] }
    assert.equal(report.valid, false)
    assert.deepEqual(report.errors, [
      {
        file: path,
        document: 1,
        line: 6,
        column: 3,
        kind: 'StaticSite',
        namespace: 'default',
        name: 'j',
        field: 'spec.ref',
        message:
          "Invalid value: \"--evil\": ref must be a branch, tag or full commit id: letters, digits and . _ / + -, not starting with '-' or '/', without '..'",
      },
    ])
  })
})
