/**
 * The `Hostplane` construct as a user's cdk8s app imports it: this package packed by `npm pack`
 * (its `files`, as a registry or a git dependency installs it), unpacked into another project's
 * node_modules, and imported from `hostplane/deploy/install/index.ts` by an app run with tsx.
 * Its synth must be what the construct synthesizes here, so the packed files include everything
 * the construct reads (CRDs, RBAC, Runtimes, package.json).
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { App, Chart } from 'cdk8s'
import { parseAllDocuments } from 'yaml'
import { Hostplane } from '../../deploy/install/hostplane.js'
import type { HostplaneProps } from '../../deploy/install/options.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { runOrThrow } from '../cluster/process.js'

const PROPS: HostplaneProps = {
  pagesDomain: 'pages.acme.example',
  image: { repository: 'registry.example.com/platform/hostplane', digest: `sha256:${'b'.repeat(64)}` },
  storage: { mode: 'single-node', storageClass: 'local-path' },
}

const APP = `import { App, Chart } from 'cdk8s'
import { Hostplane } from 'hostplane/deploy/install/index.ts'

const app = new App({ outdir: 'out' })
new Hostplane(new Chart(app, 'platform'), 'hostplane', ${JSON.stringify(PROPS)})
app.synth()
`

describe('the construct in a cdk8s app of its own', () => {
  let dir = ''
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('synthesizes from the packed package what it synthesizes here', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostplane-cdk8s-app-'))
    const modules = join(dir, 'node_modules')
    await mkdir(join(modules, 'hostplane'), { recursive: true })
    // The app's other dependencies (cdk8s, constructs, tsx, hostplane's own) are this repository's.
    for (const entry of await readdir(join(REPO_ROOT, 'node_modules')))
      await symlink(join(REPO_ROOT, 'node_modules', entry), join(modules, entry))
    const { stdout } = await runOrThrow('npm', ['pack', '--silent', '--pack-destination', dir], {
      cwd: REPO_ROOT,
      timeoutMs: 120_000,
    })
    const tarball = join(dir, stdout.trim().split('\n').at(-1) ?? '')
    await runOrThrow('tar', ['xzf', tarball, '-C', join(modules, 'hostplane'), '--strip-components=1'], {
      timeoutMs: 60_000,
    })
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'my-platform', type: 'module' }))
    await writeFile(join(dir, 'main.ts'), APP)
    await runOrThrow(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['main.ts'], {
      cwd: dir,
      timeoutMs: 120_000,
    })

    const app = new App()
    new Hostplane(new Chart(app, 'platform'), 'hostplane', PROPS)
    const synthesized = await readFile(join(dir, 'out', 'platform.k8s.yaml'), 'utf8')
    const parse = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as unknown)
    assert.deepEqual(parse(synthesized), parse(app.synthYaml()))
  })
})
