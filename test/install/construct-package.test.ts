/**
 * The `Hostplane` construct as a user's cdk8s app imports it: this package packed by `npm pack`
 * (its `files`, built by its `prepare` script, as a registry or a git dependency installs it),
 * unpacked into another project's node_modules and imported as `hostplane/install` by a plain
 * ES module, a CommonJS module and a TypeScript app compiled by tsc, all run by node. Each synth
 * must be what the construct synthesizes here, so the packed files include everything the
 * construct reads (CRDs, RBAC, Runtimes, the image pin, package.json).
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { App, Chart } from 'cdk8s'
import { parseAllDocuments } from 'yaml'
import { Hostplane } from '../../deploy/install/hostplane.js'
import type { HostplaneProps } from '../../deploy/install/options.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { run, runOrThrow } from '../cluster/process.js'

const PROPS: HostplaneProps = {
  pagesDomain: 'pages.acme.example',
  image: { repository: 'registry.example.com/platform/hostplane', digest: `sha256:${'b'.repeat(64)}` },
  storage: { mode: 'single-node', storageClass: 'local-path' },
}

/** Props with a storage mode the construct does not have, written as a user might. */
const WRONG_MODE = { ...PROPS, storage: { mode: 'multi-node' } }

const construct = (outdir: string, props: object) => `const app = new App({ outdir: '${outdir}' })
new Hostplane(new Chart(app, 'platform'), 'hostplane', ${JSON.stringify(props)})
app.synth()
`

const esm = (outdir: string, props: object) => `import { App, Chart } from 'cdk8s'
import { Hostplane } from 'hostplane/install'

${construct(outdir, props)}`

const commonJs = (outdir: string) => `const { App, Chart } = require('cdk8s')
const { Hostplane } = require('hostplane/install')

${construct(outdir, PROPS)}`

/**
 * What a TypeScript cdk8s app needs: `hostplane/install` resolved by the package's exports, and no
 * checking of other packages' declaration files (@kubernetes/client-node's need @types/ws).
 */
const TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    strict: true,
    skipLibCheck: true,
    types: ['node'],
  },
}

const parse = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as unknown)

describe('the construct in a cdk8s app of its own', () => {
  // A CommonJS project, as `cdk8s init typescript-app` creates one.
  let dir = ''
  const node = (file: string) => run(process.execPath, [file], { cwd: dir, timeoutMs: 120_000 })
  const tsc = (project: string) =>
    run(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', project], { cwd: dir, timeoutMs: 120_000 })
  const synthesized = async (outdir: string) =>
    parse(await readFile(join(dir, outdir, 'platform.k8s.yaml'), 'utf8'))
  const inRepo = () => {
    const app = new App()
    new Hostplane(new Chart(app, 'platform'), 'hostplane', PROPS)
    return parse(app.synthYaml())
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostplane-cdk8s-app-'))
    const modules = join(dir, 'node_modules')
    await mkdir(join(modules, 'hostplane'), { recursive: true })
    // The app's other dependencies (cdk8s, constructs, typescript, hostplane's own) are this repository's.
    for (const entry of await readdir(join(REPO_ROOT, 'node_modules')))
      await symlink(join(REPO_ROOT, 'node_modules', entry), join(modules, entry))
    const { stdout } = await runOrThrow('npm', ['pack', '--silent', '--pack-destination', dir], {
      cwd: REPO_ROOT,
      timeoutMs: 300_000,
    })
    const tarball = join(dir, stdout.trim().split('\n').at(-1) ?? '')
    await runOrThrow('tar', ['xzf', tarball, '-C', join(modules, 'hostplane'), '--strip-components=1'], {
      timeoutMs: 60_000,
    })
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'my-platform', private: true }))
  })
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('an ES module app run by node synthesizes what the construct synthesizes here', async () => {
    await writeFile(join(dir, 'main.mjs'), esm('out-esm', PROPS))
    const result = await node('main.mjs')
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(await synthesized('out-esm'), inRepo())
  })

  it('a CommonJS app requires it and synthesizes the same', async () => {
    await writeFile(join(dir, 'main.cjs'), commonJs('out-cjs'))
    const result = await node('main.cjs')
    assert.equal(result.code, 0, result.stderr)
    // Node loads an ES module by require() without an ExperimentalWarning since 20.19.
    assert.equal(result.stderr, '')
    assert.deepEqual(await synthesized('out-cjs'), inRepo())
  })

  it('a TypeScript app compiled by tsc type-checks it and synthesizes the same', async () => {
    await writeFile(join(dir, 'main.ts'), esm('out-ts', PROPS))
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: ['main.ts'] }))
    const compiled = await tsc('tsconfig.json')
    assert.equal(compiled.code, 0, compiled.stdout)
    const result = await node('main.js')
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(await synthesized('out-ts'), inRepo())
  })

  it('tsc refuses a wrong option, naming it', async () => {
    await writeFile(join(dir, 'wrong.ts'), esm('out-wrong', WRONG_MODE))
    await writeFile(
      join(dir, 'tsconfig.wrong.json'),
      JSON.stringify({
        ...TSCONFIG,
        files: ['wrong.ts'],
        compilerOptions: { ...TSCONFIG.compilerOptions, noEmit: true },
      }),
    )
    const compiled = await tsc('tsconfig.wrong.json')
    assert.notEqual(compiled.code, 0)
    assert.match(
      compiled.stdout,
      /wrong\.ts\(\d+,\d+\): error TS2322: Type '"multi-node"' is not assignable to type 'StorageMode/,
    )
  })

  it('a JavaScript app with a wrong option stops with the error naming it', async () => {
    await writeFile(join(dir, 'wrong.mjs'), esm('out-wrong', WRONG_MODE))
    const result = await node('wrong.mjs')
    assert.notEqual(result.code, 0)
    assert.match(
      result.stderr,
      /hostplane install options:\nstorage\.mode must be shared, single-node or mirror, got multi-node/,
    )
  })
})
