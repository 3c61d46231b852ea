import assert from 'node:assert/strict'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import type { RequestOptions } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { stringify } from 'yaml'
import { LightKubeConfig, loadKubeConfig } from './kubeconfig.js'

const b64 = (text: string) => Buffer.from(text).toString('base64')
let dir: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'))
})
after(() => rm(dir, { recursive: true, force: true }))

let counter = 0
/** Writes a kubeconfig (one cluster `k`, one user `u`, context `c`) and returns its path. */
async function kubeconfig(
  user: Record<string, unknown>,
  { server = 'https://10.0.0.1:6443', context = 'c', current = 'c' as string | undefined, name = 'u' } = {},
): Promise<string> {
  const path = join(dir, `config-${++counter}`)
  await writeFile(
    path,
    stringify({
      ...(current ? { 'current-context': current } : {}),
      contexts: [{ name: context, context: { cluster: `k-${context}`, user: name } }],
      clusters: [{ name: `k-${context}`, cluster: { server, 'certificate-authority-data': b64('CA') } }],
      users: [{ name, user }],
    }),
  )
  return path
}

async function options(config: LightKubeConfig): Promise<RequestOptions> {
  const result: RequestOptions = {}
  await config.applyToHTTPSOptions(result)
  return result
}

/** An exec plugin: a shell script printing `credential` and appending a line to `runs` per run. */
async function plugin(
  credential: Record<string, unknown> | string,
  extra = '',
): Promise<{ path: string; runs: string }> {
  const path = join(dir, `plugin-${++counter}.sh`)
  const runs = `${path}.runs`
  const body = typeof credential === 'string' ? credential : JSON.stringify(credential)
  await writeFile(path, `#!/bin/sh\n${extra}\necho run >> '${runs}'\ncat <<'EOF'\n${body}\nEOF\n`)
  await chmod(path, 0o755)
  return { path, runs }
}
const runCount = async (runs: string) =>
  (await readFile(runs, 'utf8').catch(() => '')).split('\n').filter(Boolean).length

const V1 = 'client.authentication.k8s.io/v1'
const credential = (status: Record<string, unknown>, apiVersion = V1) => ({
  apiVersion,
  kind: 'ExecCredential',
  status,
})

describe('LightKubeConfig: static credentials', () => {
  it('reads the current context: server, CA and a bearer token', async () => {
    const config = LightKubeConfig.fromFiles([await kubeconfig({ token: 'abc' })])
    assert.equal(config.getCurrentCluster().server, 'https://10.0.0.1:6443')
    const result = await options(config)
    assert.equal(String(result.ca), 'CA')
    assert.equal(result.rejectUnauthorized, true)
    assert.deepEqual(result.headers, { authorization: 'Bearer abc' })
  })

  it('reads client certificates from inline data', async () => {
    const config = LightKubeConfig.fromFiles([
      await kubeconfig({ 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }),
    ])
    const result = await options(config)
    assert.equal(String(result.cert), 'CERT')
    assert.equal(String(result.key), 'KEY')
    assert.equal(result.headers, undefined)
  })

  it('reads a tokenFile and client certificate files relative to the kubeconfig file, as kubectl does', async () => {
    await mkdir(join(dir, 'creds'), { recursive: true })
    await writeFile(join(dir, 'creds', 'token'), 'from-file\n')
    await writeFile(join(dir, 'creds', 'cert'), 'CERTFILE')
    await writeFile(join(dir, 'creds', 'key'), 'KEYFILE')
    const config = LightKubeConfig.fromFiles([
      await kubeconfig({
        tokenFile: 'creds/token',
        'client-certificate': 'creds/cert',
        'client-key': 'creds/key',
      }),
    ])
    const result = await options(config)
    assert.deepEqual(result.headers, { authorization: 'Bearer from-file' })
    assert.equal(String(result.cert), 'CERTFILE')
  })

  it('names the user and the file when a credential file is missing', async () => {
    const path = await kubeconfig({ 'client-certificate': 'nope.crt', 'client-key-data': b64('K') })
    assert.throws(
      () => LightKubeConfig.fromFiles([path]),
      /the client certificate of user u .*nope\.crt: does not exist/,
    )
  })

  it('refuses an auth-provider plugin naming the user entry and what to use instead', async () => {
    const path = await kubeconfig({ 'auth-provider': { name: 'oidc' } })
    assert.throws(
      () => LightKubeConfig.fromFiles([path]),
      /kubeconfig user u: the auth-provider oidc is not supported.*exec plugin/,
    )
  })

  it('says which file has no current-context', async () => {
    const path = await kubeconfig({ token: 't' }, { current: '' })
    assert.throws(
      () => LightKubeConfig.fromFiles([path]),
      new RegExp(`kubeconfig ${path}: no current-context`),
    )
  })

  it('reads the current context’s namespace, and none when the context sets none', async () => {
    const path = join(dir, `config-${++counter}`)
    await writeFile(
      path,
      stringify({
        'current-context': 'c',
        contexts: [
          { name: 'c', context: { cluster: 'k', user: 'u', namespace: 'sh-acme' } },
          { name: 'd', context: { cluster: 'k', user: 'u' } },
        ],
        clusters: [{ name: 'k', cluster: { server: 'https://10.0.0.1:6443' } }],
        users: [{ name: 'u', user: { token: 't' } }],
      }),
    )
    assert.equal(LightKubeConfig.fromFiles([path]).namespace, 'sh-acme')
    assert.equal(LightKubeConfig.fromFiles([await kubeconfig({ token: 't' })]).namespace, undefined)
  })
})

describe('LightKubeConfig: several files merged by kubectl rules', () => {
  it('takes current-context from the first file that sets it and each entry from the first file that names it', async () => {
    const first = await kubeconfig(
      { token: 'first' },
      { current: '', context: 'x', server: 'https://first:1' },
    )
    const second = await kubeconfig(
      { token: 'second' },
      { current: 'x', context: 'x', server: 'https://second:2' },
    )
    const third = await kubeconfig(
      { token: 'third' },
      { current: 'y', context: 'y', server: 'https://third:3' },
    )
    const config = LightKubeConfig.fromFiles([first, second, third])
    assert.equal(config.getCurrentCluster().server, 'https://first:1')
    assert.deepEqual((await options(config)).headers, { authorization: 'Bearer first' })
  })
})

describe('loadKubeConfig: where it looks', () => {
  const home = () => join(dir, 'home')
  before(async () => {
    await mkdir(join(home(), '.kube'), { recursive: true })
    await writeFile(
      join(home(), '.kube', 'config'),
      await readFile(await kubeconfig({ token: 'home' }, { server: 'https://home:1' }), 'utf8'),
    )
    await mkdir(join(dir, 'sa'), { recursive: true })
    await writeFile(join(dir, 'sa', 'ca.crt'), 'SACA')
    await writeFile(join(dir, 'sa', 'token'), 'sa-token')
  })
  const inCluster = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }
  const cases: {
    name: string
    file?: boolean
    kubeconfigEnv?: 'set' | 'missing'
    home?: boolean
    expected: RegExp
  }[] = [
    {
      name: '--kubeconfig wins over $KUBECONFIG, ~/.kube/config and the pod',
      file: true,
      kubeconfigEnv: 'set',
      home: true,
      expected: /^https:\/\/flag:1$/,
    },
    { name: '$KUBECONFIG comes next', kubeconfigEnv: 'set', home: true, expected: /^https:\/\/env:1$/ },
    {
      name: '~/.kube/config comes before the in-cluster ServiceAccount',
      home: true,
      expected: /^https:\/\/home:1$/,
    },
    { name: 'the in-cluster ServiceAccount comes last', expected: /^https:\/\/10\.96\.0\.1:443$/ },
    {
      name: 'a $KUBECONFIG naming only missing files is an error, not a silent fallback',
      kubeconfigEnv: 'missing',
      home: true,
      expected: /\$KUBECONFIG names no file that exists/,
    },
  ]
  for (const c of cases)
    it(c.name, async () => {
      const env: NodeJS.ProcessEnv = { ...inCluster }
      if (c.kubeconfigEnv === 'set')
        env.KUBECONFIG = `${join(dir, 'absent')}:${await kubeconfig({ token: 'e' }, { server: 'https://env:1' })}`
      if (c.kubeconfigEnv === 'missing') env.KUBECONFIG = join(dir, 'absent')
      const file = c.file ? await kubeconfig({ token: 'f' }, { server: 'https://flag:1' }) : undefined
      const sources = {
        file,
        env,
        home: c.home ? home() : join(dir, 'nohome'),
        serviceAccountDir: join(dir, 'sa'),
      }
      const server = await loadKubeConfig(sources).then(
        (config) => config.getCurrentCluster().server,
        (error: Error) => error.message,
      )
      assert.match(server, c.expected)
    })

  it('with nothing to find, says what to do', async () => {
    await assert.rejects(
      loadKubeConfig({ env: {}, home: join(dir, 'nohome') }),
      /no kubeconfig: pass --kubeconfig/,
    )
  })
})

describe('LightKubeConfig: exec credential plugins', () => {
  it('runs the plugin with its args and env and KUBERNETES_EXEC_INFO, and sends the token it prints', async () => {
    const { path } = await plugin(
      credential({ token: 'exec-token' }),
      `[ "$1" = get-token ] && [ "$HP_TEST" = yes ] && echo "$KUBERNETES_EXEC_INFO" > '${dir}/exec-info' || exit 3`,
    )
    const config = LightKubeConfig.fromFiles([
      await kubeconfig({
        exec: {
          apiVersion: V1,
          command: path,
          args: ['get-token'],
          env: [{ name: 'HP_TEST', value: 'yes' }],
          provideClusterInfo: true,
        },
      }),
    ])
    assert.deepEqual((await options(config)).headers, { authorization: 'Bearer exec-token' })
    const info = JSON.parse(await readFile(join(dir, 'exec-info'), 'utf8')) as Record<string, unknown>
    assert.deepEqual(info, {
      apiVersion: V1,
      kind: 'ExecCredential',
      spec: {
        interactive: false,
        cluster: {
          server: 'https://10.0.0.1:6443',
          'certificate-authority-data': b64('CA'),
        },
      },
    })
  })

  it('keeps the credential until its expirationTimestamp and runs the plugin again after it', async () => {
    const future = await plugin(
      credential({ token: 't', expirationTimestamp: new Date(Date.now() + 3_600_000).toISOString() }),
    )
    const config = LightKubeConfig.fromFiles([
      await kubeconfig({ exec: { apiVersion: V1, command: future.path } }),
    ])
    await Promise.all([options(config), options(config)])
    await options(config)
    assert.equal(
      await runCount(future.runs),
      1,
      'a valid credential is reused, and parallel requests share one run',
    )

    const past = await plugin(
      credential(
        { token: 't', expirationTimestamp: new Date(Date.now() - 1000).toISOString() },
        'client.authentication.k8s.io/v1beta1',
      ),
    )
    const expired = LightKubeConfig.fromFiles([
      await kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: past.path } }),
    ])
    await options(expired)
    await options(expired)
    assert.equal(await runCount(past.runs), 2, 'an expired credential is fetched again')
  })

  it('runs the plugin again after the API server refused its credential (forgetCredential)', async () => {
    const { path, runs } = await plugin(credential({ token: 't' }))
    const config = LightKubeConfig.fromFiles([await kubeconfig({ exec: { apiVersion: V1, command: path } })])
    await options(config)
    config.forgetCredential()
    await options(config)
    assert.equal(await runCount(runs), 2)
  })

  it('uses a client certificate and key the plugin prints', async () => {
    const { path } = await plugin(credential({ clientCertificateData: 'PEMCERT', clientKeyData: 'PEMKEY' }))
    const result = await options(
      LightKubeConfig.fromFiles([await kubeconfig({ exec: { apiVersion: V1, command: path } })]),
    )
    assert.equal(result.cert, 'PEMCERT')
    assert.equal(result.key, 'PEMKEY')
    assert.equal(result.headers, undefined)
  })

  const failures: {
    name: string
    exec: (p: string) => Record<string, unknown>
    script?: string | Record<string, unknown>
    extra?: string
    expected: RegExp
  }[] = [
    {
      name: 'a plugin that fails names the user entry, the command, its exit code and its last stderr line',
      exec: (p) => ({ apiVersion: V1, command: p }),
      script: '',
      extra: 'echo "token expired, run aws sso login" >&2; exit 4',
      expected:
        /^kubeconfig user u: the exec plugin .*plugin-\d+\.sh exited with 4: token expired, run aws sso login$/,
    },
    {
      name: 'a plugin that prints no JSON says so',
      exec: (p) => ({ apiVersion: V1, command: p }),
      script: 'hello',
      expected: /printed no JSON ExecCredential/,
    },
    {
      name: 'a plugin answering with another apiVersion is refused',
      exec: (p) => ({ apiVersion: V1, command: p }),
      script: credential({ token: 't' }, 'client.authentication.k8s.io/v1beta1'),
      expected: /not the client.authentication.k8s.io\/v1 ExecCredential/,
    },
    {
      name: 'a plugin printing neither token nor certificate is refused',
      exec: (p) => ({ apiVersion: V1, command: p }),
      script: credential({}),
      expected: /neither a token nor a client certificate/,
    },
    {
      name: 'a command that is not installed says so with the install hint',
      exec: () => ({
        apiVersion: V1,
        command: 'hostplane-no-such-plugin',
        installHint: 'install it from example.com',
      }),
      expected: /hostplane-no-such-plugin was not found on the PATH \(install it from example\.com\)/,
    },
    {
      name: 'the removed v1alpha1 API is refused before running anything',
      exec: (p) => ({ apiVersion: 'client.authentication.k8s.io/v1alpha1', command: p }),
      expected: /exec apiVersion client.authentication.k8s.io\/v1alpha1 is not supported/,
    },
  ]
  for (const f of failures)
    it(f.name, async () => {
      const { path } = await plugin(f.script ?? '', f.extra)
      const error = await loadKubeConfig({ file: await kubeconfig({ exec: f.exec(path) }) }).then(
        () => new Error('loaded'),
        (e: Error) => e,
      )
      assert.match(error.message, f.expected)
    })

  it('a plugin that hangs is stopped after the timeout with a message saying so', async () => {
    const { path } = await plugin(credential({ token: 't' }), 'sleep 5')
    const config = LightKubeConfig.fromFiles(
      [await kubeconfig({ exec: { apiVersion: V1, command: path } })],
      300,
    )
    await assert.rejects(options(config), /gave no answer within 0.3 s/)
  })
})
