/**
 * A real Git host over SSH for tests: Debian's OpenSSH server, started as the current user with
 * a generated configuration (`sshd -D -e -f <config>`) on a free loopback port, a generated host
 * key and one generated client key. Every session is forced through `git-shell`, so the client
 * key can run `git-upload-pack` on repositories named by absolute path, and nothing else. Outside CI a
 * machine without sshd skips the suite with the reason; under CI=true that is a failure (`.ci/run`
 * installs the `openssh-server` package).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { binaryUnavailable } from '../cluster/paths.js'
import { run, waitFor } from '../cluster/process.js'
import { canConnect, freePort } from '../serving/nginx-for-tests.js'

export const SSHD_BINARY = process.env.HOSTPLANE_SSHD ?? '/usr/sbin/sshd'
/** Where a root sshd wants its privilege separation directory (Debian's unit creates it). */
const PRIVSEP_DIR = '/run/sshd'

/** Reason the SSH suite cannot run here, or false when it can. */
export const sshdUnavailable = () => binaryUnavailable('ssh', SSHD_BINARY, 'openssh-server')

/** A new ed25519 key pair in `file` and `file.pub`. */
export async function generateKey(file: string): Promise<{ privateKey: string; publicKey: string }> {
  const result = await run(
    'ssh-keygen',
    ['-q', '-t', 'ed25519', '-N', '', '-C', 'hostplane-test', '-f', file],
    {
      timeoutMs: 10_000,
    },
  )
  if (result.code !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`)
  const [privateKey, publicKey] = await Promise.all([readFile(file, 'utf8'), readFile(`${file}.pub`, 'utf8')])
  return { privateKey, publicKey: publicKey.trim() }
}

export class GitSshServer {
  private stderr = ''

  private constructor(
    private readonly dir: string,
    private readonly child: ChildProcess,
    readonly port: number,
    /** The client key the server accepts (OpenSSH PEM), for a Secret's `ssh-privatekey`. */
    readonly clientKey: string,
    /** The host's public key line, without the host name. */
    readonly hostKey: string,
  ) {
    child.once('error', (error) => (this.stderr += String(error)))
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-8192)
    })
  }

  static async start(): Promise<GitSshServer> {
    const dir = await mkdtemp(join(tmpdir(), 'hostplane-sshd-'))
    const [host, client] = await Promise.all([
      generateKey(join(dir, 'host_key')),
      generateKey(join(dir, 'client_key')),
    ])
    await writeFile(join(dir, 'authorized_keys'), `${client.publicKey}\n`, { mode: 0o600 })
    const port = await freePort()
    const config = join(dir, 'sshd_config')
    await writeFile(
      config,
      [
        `ListenAddress 127.0.0.1:${port}`,
        `HostKey ${join(dir, 'host_key')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `AllowUsers ${userInfo().username}`,
        'PidFile none',
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'AcceptEnv GIT_PROTOCOL',
        'LogLevel ERROR',
        // git-shell runs git-upload-pack with the requested path, and refuses anything else.
        `ForceCommand git-shell -c "$SSH_ORIGINAL_COMMAND"`,
        '',
      ].join('\n'),
    )
    if (process.getuid?.() === 0) await mkdir(PRIVSEP_DIR, { recursive: true, mode: 0o755 })
    const child = spawn(SSHD_BINARY, ['-D', '-e', '-f', config], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const server = new GitSshServer(dir, child, port, client.privateKey, host.publicKey.replace(/ \S+$/, ''))
    try {
      await waitFor(async () => (await canConnect(port)) || undefined, {
        timeoutMs: 10_000,
        describe: () => `sshd did not listen on 127.0.0.1:${port}: ${server.stderr}`,
      })
    } catch (error) {
      await server.stop()
      throw error
    }
    return server
  }

  /** ssh URL of a repository in the project root. */
  url(gitDir: string): string {
    return `ssh://${userInfo().username}@127.0.0.1:${this.port}${gitDir}`
  }

  /** A known_hosts line for this server, as `ssh-keyscan -p <port> 127.0.0.1` prints it. */
  knownHosts(hostKey = this.hostKey): string {
    return `[127.0.0.1]:${this.port} ${hostKey}\n`
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve))
      this.child.kill('SIGTERM')
      await exited
    }
    await rm(this.dir, { recursive: true, force: true })
  }
}
