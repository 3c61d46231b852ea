/**
 * The command-line contract (docs/cli.md), on the real `hostplane` process: every command ×
 * (a bad flag value, a missing file, a relative path) → the exit code and exactly one line on
 * stderr, never a stack trace. Every row fails before a cluster would be contacted, so none
 * needs one; the relative rows run from another working directory to prove where paths resolve.
 */
import assert from 'node:assert/strict'
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { stringify } from 'yaml'
import { REPO_ROOT } from '../cluster/paths.js'
import { runHostplane as hostplane } from '../e2e/cli-process.js'

let cwd: string
before(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'hostplane-cli-'))
  // A kubeconfig whose user runs an exec plugin next to it (a relative command, relative to the
  // kubeconfig file as kubectl does) that refuses: loading it fails before any request is sent.
  await mkdir(join(cwd, 'kube'))
  await writeFile(
    join(cwd, 'kube', 'login.sh'),
    '#!/bin/sh\necho "session expired; log in again" >&2\nexit 7\n',
  )
  await chmod(join(cwd, 'kube', 'login.sh'), 0o755)
  await writeFile(
    join(cwd, 'kube', 'config'),
    stringify({
      'current-context': 'c',
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'sso-user' } }],
      clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [
        {
          name: 'sso-user',
          user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './login.sh' } },
        },
      ],
    }),
  )
  await cp(join(REPO_ROOT, 'examples', 'example.yaml'), join(cwd, 'site.yaml'))
})
after(() => rm(cwd, { recursive: true, force: true }))

interface Row {
  readonly command: string
  readonly what: 'bad flag value' | 'missing file' | 'relative path' | 'usage'
  readonly args: readonly string[]
  readonly env?: Record<string, string>
  readonly code: number
  /** The one line on stderr; `<cwd>` stands for the working directory of the run. */
  readonly line: RegExp | ((cwd: string) => RegExp)
}

const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const pages = ['--pages-domain', 'pages.test']
const hosts = ['--allowed-hosts', 'git.test']
const bucket = ['--endpoint', 'https://s3.test', '--bucket', 'backups']

const ROWS: readonly Row[] = [
  // operator
  {
    command: 'operator',
    what: 'bad flag value',
    args: ['--listen', 'nonsense', ...pages],
    code: 2,
    line: /^hostplane operator: option '--listen <host:port>' argument 'nonsense' is invalid\. nonsense is not host:port, e\.g\. 127\.0\.0\.1:8080 or :8080$/,
  },
  {
    command: 'operator',
    what: 'bad flag value',
    args: ['--resync-seconds', '0', ...pages],
    code: 2,
    line: /--resync-seconds <n>.*0 is not a whole number from 1 to 86400$/,
  },
  {
    command: 'operator',
    what: 'bad flag value',
    args: pages,
    env: { HOSTPLANE_CUSTOMER_SELECTOR: 'tier=shared size=small' },
    code: 2,
    line: /--customer-selector <selector>.*HOSTPLANE_CUSTOMER_SELECTOR.*'tier=shared size=small' is not a label selector: /,
  },
  {
    command: 'operator',
    what: 'bad flag value',
    args: ['--pages-domain', 'Pages_Test'],
    code: 2,
    line: /--pages-domain <domain>.*not a lower-case DNS name/,
  },
  {
    command: 'operator',
    what: 'usage',
    args: [],
    code: 2,
    line: /^hostplane operator: --pages-domain \(or HOSTPLANE_PAGES_DOMAIN\) is required/,
  },
  {
    command: 'operator',
    what: 'usage',
    args: ['--tls-mode', 'wildcard', ...pages],
    code: 2,
    line: /^hostplane operator: --tls-mode wildcard needs --wildcard-secret/,
  },
  {
    command: 'operator',
    what: 'missing file',
    args: ['--kubeconfig', '/nonexistent', ...pages],
    code: 1,
    line: /^hostplane operator: --kubeconfig \/nonexistent: does not exist$/,
  },
  {
    command: 'operator',
    what: 'relative path',
    args: ['--kubeconfig', 'kube/config', ...pages],
    code: 1,
    line: (dir) =>
      new RegExp(
        `^hostplane operator: kubeconfig user sso-user: the exec plugin ${esc(join(dir, 'kube', 'login.sh'))} exited with 7: session expired; log in again$`,
      ),
  },
  {
    command: 'operator',
    what: 'relative path',
    args: [...pages],
    env: { KUBECONFIG: 'kube/absent:kube/config' },
    code: 1,
    line: /kubeconfig user sso-user: the exec plugin .* exited with 7/,
  },
  // syncer
  {
    command: 'gitserver',
    what: 'bad flag value',
    args: ['--ssh-listen', 'nonsense'],
    code: 2,
    line: /^hostplane gitserver: option '--ssh-listen <host:port>' argument 'nonsense' is invalid\. nonsense is not host:port/,
  },
  {
    command: 'gitserver',
    what: 'missing file',
    args: ['--host-key', '/nonexistent/host_key'],
    code: 1,
    line: /^hostplane gitserver: cannot read the host key \/nonexistent\/host_key: ENOENT/,
  },
  {
    command: 'syncer',
    what: 'bad flag value',
    args: ['--listen', 'nonsense', ...hosts],
    code: 2,
    line: /^hostplane syncer: option '--listen <host:port>' argument 'nonsense' is invalid\. nonsense is not host:port/,
  },
  {
    command: 'syncer',
    what: 'bad flag value',
    args: [...hosts],
    env: { HOSTPLANE_MAX_SITE_SIZE: '10 parsecs' },
    code: 2,
    line: /^hostplane syncer: option '--max-site-size <size>' value '10 parsecs' from env 'HOSTPLANE_MAX_SITE_SIZE' is invalid\. 10 parsecs is not a size such as 1GiB/,
  },
  {
    command: 'syncer',
    what: 'bad flag value',
    args: ['--fetch-timeout', '300000', ...hosts],
    code: 2,
    line: /--fetch-timeout <duration>.*"300000" is not a duration such as 30s, 5m or 1h30m$/,
  },
  {
    command: 'syncer',
    what: 'usage',
    args: [],
    code: 2,
    line: /^hostplane syncer: required option '--allowed-hosts <hosts>' not specified$/,
  },
  {
    command: 'syncer',
    what: 'missing file',
    args: ['--git-ca-file', '/nonexistent/ca.pem', ...hosts],
    code: 1,
    line: /^hostplane syncer: --git-ca-file \/nonexistent\/ca\.pem: does not exist$/,
  },
  {
    command: 'syncer',
    what: 'missing file',
    args: ['--secrets-dir', 'site.yaml', ...hosts],
    code: 1,
    line: (dir) =>
      new RegExp(`^hostplane syncer: --secrets-dir ${esc(join(dir, 'site.yaml'))}: is not a directory$`),
  },
  {
    command: 'syncer',
    what: 'missing file',
    args: ['--mirror-listen', ':8081', '--secrets-dir', '.', ...hosts],
    env: { HOSTPLANE_MIRROR_TOKEN: '' },
    code: 1,
    line: /^hostplane syncer: --mirror-listen serves the mirror feed, which needs a mirror token: put mirror-token in --secrets-dir or HOSTPLANE_MIRROR_TOKEN$/,
  },
  {
    command: 'syncer',
    what: 'relative path',
    args: ['--git-ca-file', 'ca.pem', ...hosts],
    code: 1,
    line: (dir) =>
      new RegExp(`^hostplane syncer: --git-ca-file ${esc(join(dir, 'ca.pem'))}: does not exist$`),
  },
  {
    command: 'syncer',
    what: 'relative path',
    args: ['--kubeconfig', 'kube/config', ...hosts],
    code: 1,
    line: /^hostplane syncer: kubeconfig user sso-user: the exec plugin .*kube\/login\.sh exited with 7/,
  },
  // mirror
  {
    command: 'mirror',
    what: 'usage',
    args: [],
    code: 2,
    line: /^hostplane mirror: required option '--syncer-url <url>' not specified$/,
  },
  {
    command: 'mirror',
    what: 'bad flag value',
    args: ['--syncer-url', 'ftp://syncer'],
    code: 2,
    line: /^hostplane mirror: option '--syncer-url <url>' argument 'ftp:\/\/syncer' is invalid\. ftp:\/\/syncer is not an http:\/\/ or https:\/\/ URL$/,
  },
  {
    command: 'mirror',
    what: 'missing file',
    args: ['--syncer-url', 'http://syncer:8080', '--sites-root', '.'],
    env: { HOSTPLANE_MIRROR_TOKEN: '' },
    code: 1,
    line: /^hostplane mirror: no mirror token: put the syncer’s mirror-token in --secrets-dir or HOSTPLANE_MIRROR_TOKEN$/,
  },
  {
    command: 'mirror',
    what: 'relative path',
    args: ['--syncer-url', 'http://syncer:8080', '--secrets-dir', 'secrets'],
    code: 1,
    line: (dir) =>
      new RegExp(`^hostplane mirror: --secrets-dir ${esc(join(dir, 'secrets'))}: does not exist$`),
  },
  // serve
  {
    command: 'serve',
    what: 'bad flag value',
    args: ['--listen', 'nonsense'],
    code: 2,
    line: /^hostplane serve: option '--listen <host:port>' argument 'nonsense' is invalid\. nonsense is not host:port/,
  },
  {
    command: 'serve',
    what: 'bad flag value',
    args: ['--rescan-interval', '10000'],
    code: 2,
    line: /--rescan-interval <duration>.*"10000" is not a duration/,
  },
  {
    command: 'serve',
    what: 'bad flag value',
    args: ['--init-local-repo', 'example'],
    code: 2,
    line: /--init-local-repo <name=dir>.*example is not name=dir, e\.g\. example=examples\/site$/,
  },
  {
    command: 'serve',
    what: 'missing file',
    args: ['--git-ca-file', '/nonexistent/ca.pem'],
    code: 1,
    line: /^hostplane serve: --git-ca-file \/nonexistent\/ca\.pem: does not exist$/,
  },
  {
    command: 'serve',
    what: 'missing file',
    args: ['no-such-dir'],
    code: 1,
    line: (dir) =>
      new RegExp(`^hostplane serve: sites directory ${esc(join(dir, 'no-such-dir'))}: does not exist$`),
  },
  {
    command: 'serve',
    what: 'relative path',
    args: ['.', '--acme-ca-file', 'pebble.pem', '--https-listen', '127.0.0.1:0'],
    code: 1,
    line: (dir) =>
      new RegExp(`^hostplane serve: --acme-ca-file ${esc(join(dir, 'pebble.pem'))}: does not exist$`),
  },
  {
    command: 'serve',
    what: 'relative path',
    args: ['.', '--init-local-repo', 'example=site-files'],
    code: 1,
    line: (dir) =>
      new RegExp(`^hostplane serve: --init-local-repo ${esc(join(dir, 'site-files'))}: does not exist$`),
  },
  // validate
  {
    command: 'validate',
    what: 'bad flag value',
    args: ['--nonsense', 'site.yaml'],
    code: 2,
    line: /^hostplane validate: unknown option '--nonsense'$/,
  },
  {
    command: 'validate',
    what: 'missing file',
    args: ['missing.yaml'],
    code: 1,
    line: /^[^\n]*missing\.yaml[^\n]*$/,
  },
  // package and verify
  {
    command: 'package',
    what: 'bad flag value',
    args: ['shop', '-n', 'Not_A_Namespace'],
    code: 2,
    line: /^hostplane package: option '-n, --namespace <namespace>' argument 'Not_A_Namespace' is invalid\./,
  },
  {
    command: 'package',
    what: 'missing file',
    args: ['shop', '--kubeconfig', 'missing.kubeconfig'],
    code: 1,
    line: (dir) =>
      new RegExp(`^hostplane package: --kubeconfig ${esc(join(dir, 'missing.kubeconfig'))}: does not exist$`),
  },
  {
    command: 'package',
    what: 'relative path',
    args: ['shop', '--kubeconfig', 'kube/config'],
    code: 1,
    line: /^hostplane package: .*session expired; log in again/,
  },
  {
    command: 'verify',
    what: 'missing file',
    args: ['no-such-package'],
    code: 1,
    line: (dir) =>
      new RegExp(`^hostplane verify: package ${esc(join(dir, 'no-such-package'))}: does not exist$`),
  },
  // releases, rollback
  {
    command: 'releases',
    what: 'missing file',
    args: ['shop', '--kubeconfig', '/nonexistent'],
    code: 1,
    line: /^hostplane releases: --kubeconfig \/nonexistent: does not exist$/,
  },
  {
    command: 'releases',
    what: 'bad flag value',
    args: ['shop', '-n', 'Not_A_Namespace'],
    code: 2,
    line: /^hostplane releases: option '-n, --namespace <namespace>' argument 'Not_A_Namespace' is invalid/,
  },
  {
    command: 'rollback',
    what: 'usage',
    args: ['shop'],
    code: 2,
    line: /^hostplane rollback: missing required argument 'release'$/,
  },
  {
    command: 'rollback',
    what: 'relative path',
    args: ['shop', 'shop-1', '--kubeconfig', 'kube/config'],
    code: 1,
    line: (dir) =>
      new RegExp(
        `^hostplane rollback: kubeconfig user sso-user: the exec plugin ${esc(join(dir, 'kube', 'login.sh'))} exited with 7: session expired; log in again$`,
      ),
  },
  // panel
  {
    command: 'panel',
    what: 'bad flag value',
    args: ['--listen', 'nonsense'],
    code: 2,
    line: /^hostplane panel: option '--listen <host:port>' argument 'nonsense' is invalid\. nonsense is not host:port/,
  },
  {
    command: 'panel',
    what: 'missing file',
    args: ['--kubeconfig', '/nonexistent/kubeconfig'],
    code: 1,
    line: /^hostplane panel: .*\/nonexistent\/kubeconfig/,
  },
  {
    command: 'panel-token',
    what: 'usage',
    args: ['create'],
    code: 2,
    line: /^hostplane panel-token create: required option '--customer <name>' not specified$/,
  },
  // wordpress
  {
    command: 'wordpress',
    what: 'bad flag value',
    args: ['create', 'blog', '--domain', 'blog.example.com', '--git-remote=--upload-pack=touch /tmp/x'],
    code: 2,
    line: /^hostplane wordpress create: option '--git-remote <url>' argument '--upload-pack=touch \/tmp\/x' is invalid\. .* is not a git remote/,
  },
  {
    command: 'wordpress',
    what: 'usage',
    args: ['create', 'blog'],
    code: 2,
    line: /^hostplane wordpress create: required option '--domain <host>' not specified$/,
  },
  // backup
  {
    command: 'backup',
    what: 'bad flag value',
    args: ['run', '--repository', '.', '--point', 'Nightly,1'],
    code: 2,
    line: /^hostplane backup run: option '--point <id>' argument 'Nightly,1' is invalid\. Nightly,1 is not a restore point id/,
  },
  {
    command: 'backup',
    what: 'missing file',
    args: ['verify', '--repository', '/nonexistent/repository', '--point', 'p1', '--volume', 'drill'],
    code: 1,
    line: /^hostplane backup verify: --repository \/nonexistent\/repository: does not exist$/,
  },
  // backup-proxy
  {
    command: 'backup-proxy',
    what: 'bad flag value',
    args: [...bucket, '--credentials', '.', '--tokens', '.', '--prefix', 'hostplane'],
    code: 2,
    line: /^hostplane backup-proxy: option '--prefix <prefix>' argument 'hostplane' is invalid\. hostplane is not a key prefix/,
  },
  {
    command: 'backup-proxy',
    what: 'missing file',
    args: [...bucket, '--credentials', '/nonexistent/credentials', '--tokens', '.'],
    code: 1,
    line: /^hostplane backup-proxy: --credentials \/nonexistent\/credentials: does not exist$/,
  },
  {
    command: 'backup-proxy',
    what: 'relative path',
    args: [...bucket, '--credentials', '.', '--tokens', '.'],
    code: 1,
    line: (dir) =>
      new RegExp(
        `^hostplane backup-proxy: the credentials Secret ${esc(dir)}: no key access-key-id \\(missing\\)$`,
      ),
  },
  // the program itself
  {
    command: '',
    what: 'usage',
    args: ['nonsense'],
    code: 2,
    line: /^hostplane: unknown command 'nonsense'$/,
  },
]

describe(
  'every command keeps the command-line contract: exit code and one line, no stack trace',
  { concurrency: 3 },
  () => {
    for (const row of ROWS) {
      const args = [row.command, ...row.args].filter(Boolean)
      it(`${row.what}: hostplane ${args.join(' ')}${
        row.env
          ? ` with ${Object.entries(row.env)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`
          : ''
      } exits ${row.code} with one line`, async () => {
        const { code, stdout, stderr } = await hostplane(args, cwd, row.env)
        assert.doesNotMatch(stdout + stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace')
        assert.equal(stdout, '')
        assert.equal(stderr.split('\n').filter(Boolean).length, 1, `exactly one line, got:\n${stderr}`)
        assert.match(stderr.trim(), typeof row.line === 'function' ? row.line(cwd) : row.line)
        assert.equal(code, row.code)
      })
    }

    it('a relative path given to validate is read from the working directory, and the file passes', async () => {
      const { code, stdout, stderr } = await hostplane(['validate', 'site.yaml'], cwd)
      assert.equal(stderr, '')
      assert.match(stdout, /^site\.yaml:\d+:\d+: StaticSite example is valid\n$/)
      assert.equal(code, 0)
    })

    it('hostplane --version prints the version of package.json', async () => {
      const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
        version: string
      }
      const { code, stdout } = await hostplane(['--version'], cwd)
      assert.equal(stdout, `${version}\n`)
      assert.equal(code, 0)
    })
  },
)
