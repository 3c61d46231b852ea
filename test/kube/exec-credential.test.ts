/**
 * kubectl's exec credential plugins against the real API server: a plugin script prints an
 * ExecCredential with a ServiceAccount token from the TokenRequest API, or with a client
 * certificate the cluster's CA signed, and the API server's SelfSubjectReview names the identity
 * the request carried. The syncer, which used to load all of client-node for its kubeconfig,
 * must not load it any more.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parse, stringify } from 'yaml'
import { loadKubeConfig } from '../../src/kube/kubeconfig.js'
import { KubeRest } from '../../src/kube/rest.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { REPO_ROOT } from '../cluster/paths.js'

const env = await clusterForTests()

interface SelfSubjectReview {
  status?: { userInfo?: { username?: string; groups?: string[] } }
}

/** Who the API server says the request came from. */
async function whoAmI(rest: KubeRest): Promise<string | undefined> {
  const review = await rest.request<SelfSubjectReview>(
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    },
  )
  return review.status?.userInfo?.username
}

describe('exec credential plugins on a real API server', { skip: env.skip }, () => {
  let cluster: TestCluster
  let dir: string
  let saKubeconfig: { clusters: unknown[] }
  const namespace = `t-exec-${randomBytes(3).toString('hex')}`

  /** A kubeconfig for the test cluster whose only user runs `script` as its exec plugin. */
  async function execKubeconfig(name: string, credentialStatus: Record<string, unknown>): Promise<string> {
    const script = join(dir, `${name}.sh`)
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: credentialStatus,
    }
    await writeFile(
      script,
      `#!/bin/sh\necho run >> '${script}.runs'\ncat <<'EOF'\n${JSON.stringify(credential)}\nEOF\n`,
    )
    await chmod(script, 0o755)
    const path = join(dir, `${name}.kubeconfig`)
    await writeFile(
      path,
      stringify({
        ...saKubeconfig,
        users: [
          {
            name,
            user: {
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1',
                command: `./${name}.sh`,
                interactiveMode: 'Never',
              },
            },
          },
        ],
        contexts: [{ name: 'test', context: { cluster: 'hostplane-test', user: name } }],
        'current-context': 'test',
      }),
    )
    return path
  }

  before(async () => {
    cluster = await env.get()
    dir = await mkdtemp(join(tmpdir(), 'hostplane-exec-'))
    const admin = new KubeRest(cluster.kubeConfig())
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: namespace } } })
    admin.close()
  })
  after(async () => {
    const admin = cluster && new KubeRest(cluster.kubeConfig())
    await admin?.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => {})
    admin?.close()
    await rm(dir, { recursive: true, force: true })
    await env.release()
  })

  it('a plugin printing a ServiceAccount token from TokenRequest authenticates as that ServiceAccount, run once while the token is valid', async () => {
    const { kubeConfig, path } = await cluster.serviceAccountKubeConfig(namespace, 'deployer', 600)
    saKubeconfig = parse(await readFile(path, 'utf8')) as { clusters: unknown[] }
    const token = kubeConfig.getCurrentUser()?.token
    assert.ok(token)
    const file = await execKubeconfig('sa-token', {
      token,
      expirationTimestamp: new Date(Date.now() + 600_000).toISOString(),
    })
    const rest = new KubeRest(await loadKubeConfig({ file }))
    try {
      assert.equal(await whoAmI(rest), `system:serviceaccount:${namespace}:deployer`)
      assert.equal(await whoAmI(rest), `system:serviceaccount:${namespace}:deployer`)
    } finally {
      rest.close()
    }
    const runs = (await readFile(join(dir, 'sa-token.sh.runs'), 'utf8')).trim().split('\n')
    assert.equal(runs.length, 1, 'the token is reused until it expires')
  })

  it('a plugin printing a client certificate and key authenticates as the certificate subject', async () => {
    const user = await cluster.userKubeConfig('exec-alice', ['exec-testers'])
    const { certData, keyData } = user.getCurrentUser() ?? {}
    assert.ok(certData && keyData)
    const file = await execKubeconfig('client-cert', {
      clientCertificateData: Buffer.from(certData, 'base64').toString('utf8'),
      clientKeyData: Buffer.from(keyData, 'base64').toString('utf8'),
    })
    const rest = new KubeRest(await loadKubeConfig({ file }))
    try {
      assert.equal(await whoAmI(rest), 'exec-alice')
    } finally {
      rest.close()
    }
  })

  it('a token the API server refuses fails the request with 401, and the next request runs the plugin again', async () => {
    const file = await execKubeconfig('bad-token', { token: 'not-a-real-token' })
    const rest = new KubeRest(await loadKubeConfig({ file }))
    try {
      await assert.rejects(whoAmI(rest), /401/)
      await assert.rejects(whoAmI(rest), /401/)
    } finally {
      rest.close()
    }
    const runs = (await readFile(join(dir, 'bad-token.sh.runs'), 'utf8')).trim().split('\n')
    assert.equal(runs.length, 2, 'a refused credential is not reused, though it has no expiry')
  })
})

describe('no hostplane process loads @kubernetes/client-node', () => {
  it('no source file imports it, so the syncer and the operator never load its 68 MiB', async () => {
    const src = join(REPO_ROOT, 'src')
    const files = (await readdir(src, { recursive: true })).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
    )
    assert.ok(files.includes(join('cli', 'syncer.ts')) && files.includes(join('syncer', 'syncer-service.ts')))
    for (const file of files)
      assert.doesNotMatch(
        await readFile(join(src, file), 'utf8'),
        /from '@kubernetes\/client-node'|import\('@kubernetes\/client-node'\)/,
        `src/${file} imports client-node`,
      )
  })
})
