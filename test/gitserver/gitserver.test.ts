import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { KubeApiError, KubeRest } from '../../src/kube/rest.js'
import { customerGroup } from '../../src/operator/customer/names.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { run, waitFor } from '../cluster/process.js'
import { GitServerRun, type KeyPair, keyPair } from './harness.js'

const env = await clusterForTests()

describe('hostplane gitserver with the OpenSSH client and git', { skip: env.skip }, () => {
  let admin: KubeRest
  let gs: GitServerRun
  let alice: string
  let mallory: string
  let aliceKey: KeyPair
  let malloryKey: KeyPair
  let keysDir: string

  before(async () => {
    const cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    gs = await GitServerRun.create(cluster, admin)
    keysDir = join(gs.dir, 'keys')
    await mkdir(keysDir)
    ;[aliceKey, malloryKey] = await Promise.all([keyPair(keysDir, 'alice'), keyPair(keysDir, 'mallory')])
    alice = await gs.customer('alice', { sshKeys: [aliceKey.publicKey] })
    mallory = await gs.customer('mallory')
    await gs.bindTenant(mallory)
    await gs.start(['--max-push-size', '1MiB'])
    // Mallory manages its own key as a tenant, without a platform admin.
    const tenant = new KubeRest(await cluster.userKubeConfig(`${mallory}-dev`, [customerGroup(mallory)]))
    await gs.createSshKey(tenant, mallory, 'laptop', malloryKey.publicKey)
    tenant.close()
  })

  after(async () => {
    if (gs) {
      if (process.env.HOSTPLANE_TEST_KEEP_LOG) console.error(await gs.log())
      await gs.stop()
      await gs.removeCustomers([alice, mallory].filter(Boolean))
      await rm(gs.dir, { recursive: true, force: true })
    }
    admin?.close()
    await env.release()
  })

  it("a tenant's own SshKey is accepted with its fingerprint; the tenant may not write its status", async () => {
    const status = await gs.sshKeyStatus(mallory, 'laptop')
    const fingerprint = (
      await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${malloryKey.file}.pub`])
    ).stdout.split(' ')[1]
    assert.equal(status.fingerprint, fingerprint)
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.status, c.reason]),
      [['Accepted', 'True', 'Accepted']],
    )
    const tenant = new KubeRest(
      await (await env.get()).userKubeConfig(`${mallory}-dev`, [customerGroup(mallory)]),
    )
    await assert.rejects(
      tenant.request('PATCH', `${gs.sshKeyPath(mallory, 'laptop')}/status`, {
        body: { status: { fingerprint: 'SHA256:forged' } },
        contentType: 'application/merge-patch+json',
      }),
      (error: unknown) => error instanceof KubeApiError && error.status === 403,
    )
    tenant.close()
  })

  it('takes a push to the webspace branch: the ref moves, and a clone gets it back', async () => {
    const { dir, commit } = await gs.workTree('first', { 'index.html': 'hello' })
    const push = await gs.git(dir, [aliceKey.file], ['push', gs.url(alice), 'main'])
    assert.equal(push.code, 0, push.stderr)
    assert.equal((await gs.inRepository(alice, ['rev-parse', 'refs/heads/main'])).stdout.trim(), commit)
    const clone = join(gs.dir, 'work', 'clone')
    const cloned = await gs.git(gs.dir, [aliceKey.file], ['clone', '--quiet', gs.url(alice), clone])
    assert.equal(cloned.code, 0, cloned.stderr)
    assert.equal((await gs.gitOk(clone, ['rev-parse', 'HEAD'])).stdout.trim(), commit)
  })

  it("refuses a push the gate refuses with its lines on the client's terminal; the refs do not move and the objects are discarded", async () => {
    const { dir, commit } = await gs.workTree('feature', { 'index.html': 'not deployed' }, 'feature')
    const before = (await gs.inRepository(alice, ['for-each-ref'])).stdout
    const push = await gs.git(dir, [aliceKey.file], ['push', gs.url(alice), 'feature'])
    assert.notEqual(push.code, 0)
    assert.match(push.stderr, /remote: refs\/heads\/feature: only refs\/heads\/main is taken by/)
    assert.match(push.stderr, /remote: push refused: nothing was changed/)
    assert.match(push.stderr, /pre-receive hook declined/)
    assert.equal((await gs.inRepository(alice, ['for-each-ref'])).stdout, before)
    assert.notEqual(
      (await gs.inRepository(alice, ['cat-file', '-e', commit])).code,
      0,
      'the pushed commit is not stored',
    )
    assert.deepEqual(
      (await readdir(join(gs.reposDir, `${await gs.webspaceUid(alice)}.git`, 'objects'))).filter((d) =>
        d.startsWith('incoming-'),
      ),
      [],
      'no quarantine directory is left',
    )
  })

  it("offering the victim's key and signing with the attacker's binds the attacker: the push to the victim's repository is refused", async () => {
    // Only the public half: OpenSSH offers it (the server answers "acceptable"), cannot sign,
    // and goes on to sign with the next identity, the attacker's own.
    const offered = join(keysDir, 'offered')
    await mkdir(offered)
    await copyFile(`${aliceKey.file}.pub`, join(offered, 'alice.pub'))
    const identities = [join(offered, 'alice.pub'), malloryKey.file]
    const { dir } = await gs.workTree('attack', { 'index.html': 'defaced' })
    const push = await gs.git(dir, identities, ['push', gs.url(alice), 'main'], ['-v'])
    assert.notEqual(push.code, 0)
    assert.match(
      push.stderr,
      /Server accepts key: .*alice\.pub/,
      'the victim key was offered and found acceptable',
    )
    assert.match(push.stderr, /repository .*\/site\.git not found/)
    const log = await gs.log()
    assert.match(log, new RegExp(`"customer":"${mallory}".*"authenticated"`))
    assert.equal(
      (await gs.inRepository(alice, ['log', '-1', '--format=%s', 'main'])).stdout.trim(),
      'first',
      "the victim's branch did not move",
    )
    // The same identities push to the attacker's own repository: the session is the attacker's.
    const own = await gs.git(dir, identities, ['push', gs.url(mallory), 'main'])
    assert.equal(own.code, 0, own.stderr)
  })

  it('passes no client environment to git: LD_PRELOAD, GIT_TRACE and GIT_CONFIG_* sent with SendEnv have no effect', async () => {
    const marker = join(gs.dir, 'markers')
    const evilHooks = join(gs.dir, 'evil-hooks')
    await mkdir(marker, { recursive: true })
    await mkdir(evilHooks, { recursive: true })
    await writeFile(join(evilHooks, 'pre-receive'), `#!/bin/sh\ntouch ${join(marker, 'hook')}\n`, {
      mode: 0o755,
    })
    const missingLibrary = join(gs.dir, 'no-such-preload.so')
    const sent = {
      LD_PRELOAD: missingLibrary,
      GIT_TRACE: join(marker, 'trace'),
      GIT_TRACE_PACKET: join(marker, 'packet'),
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'core.hooksPath',
      GIT_CONFIG_VALUE_0: evilHooks,
      GIT_CONFIG_PARAMETERS: `'core.hookspath'='${evilHooks}'`,
    }
    // The positive control: had git got LD_PRELOAD, the dynamic loader would say so on stderr.
    const control = await run('git', ['--version'], {
      env: { PATH: process.env.PATH, LD_PRELOAD: missingLibrary },
    })
    assert.match(control.stderr, /LD_PRELOAD cannot be preloaded/)
    const { dir } = await gs.workTree('env', { 'index.html': 'env' })
    const envRefusals = async () =>
      Number(
        /hostplane_gitserver_refused_requests_total\{request="env"\} (\d+)/.exec(await gs.metrics())?.[1] ??
          0,
      )
    const refusedBefore = await envRefusals()
    // SetEnv sends the variables without setting them for the local git and ssh.
    // One option: ssh takes the first SetEnv it is given.
    const setEnv = [
      '-o',
      `SetEnv=${Object.entries(sent)
        .map(([name, value]) => `${name}="${value}"`)
        .join(' ')}`,
    ]
    const command = ['ssh', ...gs.sshOptions([aliceKey.file], setEnv)]
      .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
      .join(' ')
    const push = await run('git', ['push', gs.url(alice), 'HEAD:refs/heads/env-test'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: gs.dir, GIT_SSH_COMMAND: command },
      timeoutMs: 60_000,
    })
    // The gate refuses the branch after the hook ran; what matters is that nothing sent took effect.
    assert.match(push.stderr, /remote: refs\/heads\/env-test: only refs\/heads\/main is taken/)
    assert.doesNotMatch(push.stderr, /preloaded/)
    assert.deepEqual(await readdir(marker), [], 'no trace file and no hook of the client ran')
    assert.equal(
      (await envRefusals()) - refusedBefore,
      Object.keys(sent).length,
      'every variable was sent, and refused',
    )
  })

  it('refuses every exec line but git-receive-pack or git-upload-pack of <customer>/<webspace>.git: .., absolute paths, options, quoting', async () => {
    const uid = await gs.webspaceUid(alice)
    const lines = [
      `git-upload-pack '../${alice}/site.git'`,
      `git-upload-pack '${alice}/../${alice}/site.git'`,
      `git-upload-pack '${join(gs.reposDir, `${uid}.git`)}'`,
      `git-upload-pack '${gs.reposDir}/${uid}.git'`,
      `git-upload-pack --strict '${alice}/site.git'`,
      `git-upload-pack '${alice}/site.git' --upload-pack=touch`,
      `git-upload-pack '${alice}/site.git'; touch /tmp/x`,
      `git-upload-pack '${alice}/site.git'\\''`,
      `git-upload-pack "${alice}/site.git"`,
      `git upload-pack '${alice}/site.git'`,
      `git-upload-archive '${alice}/site.git'`,
      `sh -c 'id'`,
    ]
    for (const line of lines) {
      const result = await gs.ssh([aliceKey.file], [line])
      assert.equal(result.code, 128, `${line}: ${result.stderr}`)
      assert.match(
        result.stderr,
        /hostplane: only git push and fetch of <customer>\/<webspace>\.git are served here/,
        line,
      )
    }
    const clone = await gs.git(
      gs.dir,
      [aliceKey.file],
      [
        'clone',
        `ssh://git@127.0.0.1:${gs.sshPort}/${alice}/../${alice}/site.git`,
        join(gs.dir, 'work', 'dots'),
      ],
    )
    assert.notEqual(clone.code, 0)
    const allowed = await gs.ssh([aliceKey.file], [`git-upload-pack '/${alice}/site.git'`], {
      timeoutMs: 10_000,
    })
    assert.match(allowed.stdout, /refs\/heads\/main/, 'the ssh:// form with a leading / is served')
  })

  it('refuses a shell, a pty, port forwarding, agent and X11 forwarding', async () => {
    const shell = await gs.ssh([aliceKey.file], [], { extra: ['-T'] })
    assert.notEqual(shell.code, 0)
    const pty = await gs.ssh([aliceKey.file], [], { extra: ['-tt'] })
    assert.notEqual(pty.code, 0)
    const remote = await gs.ssh([aliceKey.file], [], {
      extra: ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', '0:127.0.0.1:9'],
    })
    assert.notEqual(remote.code, 0)
    assert.match(remote.stderr, /remote port forwarding failed/)
    const local = await gs.ssh([aliceKey.file], [], { extra: ['-W', `127.0.0.1:${gs.httpPort}`] })
    assert.notEqual(local.code, 0)
    assert.match(local.stderr, /open failed/)
    // A running agent, so that OpenSSH asks to forward it.
    const agentSocket = join(gs.dir, 'agent.sock')
    const agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' })
    try {
      await waitFor(() => (existsSync(agentSocket) ? true : undefined), {
        timeoutMs: 10_000,
        describe: () => 'ssh-agent did not start',
      })
      const forwarded = await gs.ssh([aliceKey.file], ['nothing'], {
        extra: ['-A', '-X'],
        env: { DISPLAY: ':0', SSH_AUTH_SOCK: agentSocket },
      })
      assert.equal(forwarded.code, 128)
    } finally {
      agent.kill()
    }
    const metrics = await gs.metrics()
    for (const request of ['shell', 'pty', 'tcpip-forward', 'tcpip', 'x11', 'auth-agent'])
      assert.match(
        metrics,
        new RegExp(`hostplane_gitserver_refused_requests_total\\{request="${request}"\\} [1-9]`),
        request,
      )
  })

  it('refuses a push larger than the push size limit and keeps nothing of it', async () => {
    const { dir, commit } = await gs.workTree('big', { 'blob.bin': randomBytes(3 * 1024 * 1024) })
    const push = await gs.git(dir, [aliceKey.file], ['push', '--force', gs.url(alice), 'main'])
    assert.notEqual(push.code, 0)
    assert.match(push.stderr, /pack exceeds maximum allowed size/)
    assert.notEqual((await gs.inRepository(alice, ['cat-file', '-e', commit])).code, 0)
    assert.equal((await gs.inRepository(alice, ['log', '-1', '--format=%s', 'main'])).stdout.trim(), 'first')
  })

  it('refuses weak keys and gives a duplicate fingerprint Accepted=False', async () => {
    const weak = await keyPair(keysDir, 'weak', ['-t', 'rsa', '-b', '1024'])
    await gs.createSshKey(admin, mallory, 'weak', weak.publicKey)
    await gs.createSshKey(admin, mallory, 'stolen', aliceKey.publicKey)
    const weakStatus = await gs.sshKeyStatus(mallory, 'weak')
    assert.equal(weakStatus.conditions?.[0]?.reason, 'Weak')
    assert.match(weakStatus.conditions?.[0]?.message ?? '', /at least 2048 bits, this one has 1024/)
    const stolen = await gs.sshKeyStatus(mallory, 'stolen')
    assert.deepEqual(
      stolen.conditions?.map((c) => [c.status, c.reason, c.message]),
      [['False', 'Duplicate', 'this key is already registered by another customer']],
    )
    const refused = await gs.ssh([weak.file], [`git-upload-pack '${mallory}/site.git'`])
    assert.equal(refused.code, 255)
    assert.match(refused.stderr, /Permission denied \(publickey\)/)
    const still = await gs.ssh([aliceKey.file], [`git-upload-pack '${mallory}/site.git'`])
    assert.match(still.stderr, /not found/, "alice's key still binds alice, not the tenant that copied it")
    for (const name of ['weak', 'stolen']) await admin.request('DELETE', gs.sshKeyPath(mallory, name))
  })

  it('closes open sessions of a key when it is removed, and refuses it afterwards', async () => {
    const open = (key: string) => {
      const child = run('ssh', [...gs.sshOptions([key]), '-N', 'git@127.0.0.1'], { timeoutMs: 60_000 })
      return child
    }
    const sessionsOpen = async (n: number) =>
      waitFor(
        async () =>
          new RegExp(`hostplane_gitserver_authenticated_connections ${n}\\b`).test(await gs.metrics())
            ? true
            : undefined,
        {
          timeoutMs: 20_000,
          intervalMs: 200,
          describe: () => `${n} sessions were not open`,
        },
      )
    const tenantSession = open(malloryKey.file)
    const customerSession = open(aliceKey.file)
    await sessionsOpen(2)
    await admin.request('DELETE', gs.sshKeyPath(mallory, 'laptop'))
    const started = Date.now()
    const closed = await tenantSession
    assert.ok(Date.now() - started < 15_000, 'closed within seconds')
    assert.notEqual(closed.code, 0)
    await gs.setCustomerKeys(alice, [])
    await customerSession
    await sessionsOpen(0)
    for (const key of [malloryKey.file, aliceKey.file]) {
      const again = await gs.ssh([key], [`git-upload-pack '${mallory}/site.git'`])
      assert.match(again.stderr, /Permission denied \(publickey\)/)
    }
    assert.match(await gs.metrics(), /hostplane_gitserver_connections_closed_total\{reason="key_removed"\} 2/)
  })
})
