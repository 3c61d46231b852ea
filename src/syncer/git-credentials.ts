/**
 * Git credentials from a site's Secret, and how they reach git without ever being an argument:
 * username and password (or a token) through a GIT_ASKPASS helper that prints two environment
 * variables of that one git process; an SSH key and known_hosts through temporary 0600 files
 * named in GIT_SSH_COMMAND, removed when the call ends.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SyncError } from './sync-error.js'

export type GitCredentials =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'ssh'; readonly privateKey: string; readonly knownHosts: string }

/** Username sent with a bare `token`: GitHub, Gitea and Forgejo accept any, GitLab wants `oauth2`. */
export const TOKEN_USERNAME = 'oauth2'

/**
 * Reads a Secret's decoded data: `username` + `password` (kubernetes.io/basic-auth), or `token`
 * (with an optional `username`), or `ssh-privatekey` + `known_hosts` (kubernetes.io/ssh-auth).
 */
export function credentialsFromSecret(name: string, data: Readonly<Record<string, string>>): GitCredentials {
  const privateKey = data['ssh-privatekey']
  if (privateKey) {
    const knownHosts = data.known_hosts
    if (!knownHosts)
      throw new SyncError(
        'HP_ERR_SYNC_CREDENTIALS',
        `Secret ${name} has ssh-privatekey but no known_hosts; add the host's key (ssh-keyscan) so the host can be verified`,
      )
    return { kind: 'ssh', privateKey, knownHosts }
  }
  const password = data.password ?? data.token
  if (password) return { kind: 'basic', username: data.username || TOKEN_USERNAME, password }
  throw new SyncError(
    'HP_ERR_SYNC_CREDENTIALS',
    `Secret ${name} has none of the keys username+password, token, or ssh-privatekey+known_hosts`,
  )
}

/** The askpass helper: it answers git's username and password prompts from its environment. */
export const ASKPASS_SCRIPT = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$HOSTPLANE_GIT_USERNAME" ;;
  *) printf '%s\\n' "$HOSTPLANE_GIT_PASSWORD" ;;
esac
`

export async function writeAskPassHelper(dir: string): Promise<string> {
  const file = join(dir, 'askpass.sh')
  await writeFile(file, ASKPASS_SCRIPT, { mode: 0o700 })
  await chmod(file, 0o700)
  return file
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`

export interface SshOptions {
  readonly connectTimeoutSeconds: number
  /** The host name and port of the URL (its key is looked up in known_hosts under these)… */
  readonly host: string
  readonly port: number
  /** …and the address the host policy approved, which ssh connects to instead of resolving again. */
  readonly address: string
}

/**
 * The name known_hosts lists the host under, as `ssh-keyscan` writes it: `host`, or `[host]:port`
 * off port 22. A HostKeyAlias replaces both, so the port has to be part of it.
 */
export const knownHostsName = ({ host, port }: SshOptions): string =>
  port === 22 ? host : `[${host}]:${port}`

/** The ssh command git runs: only our key, only our known_hosts, only the approved address, never a prompt. */
export function sshCommand(keyFile: string, knownHostsFile: string, ssh: SshOptions): string {
  return [
    'ssh',
    '-F /dev/null',
    `-i ${shellQuote(keyFile)}`,
    '-o IdentitiesOnly=yes',
    '-o IdentityAgent=none',
    `-o UserKnownHostsFile=${shellQuote(knownHostsFile)}`,
    '-o GlobalKnownHostsFile=/dev/null',
    '-o StrictHostKeyChecking=yes',
    '-o BatchMode=yes',
    '-o PasswordAuthentication=no',
    `-o ConnectTimeout=${ssh.connectTimeoutSeconds}`,
    `-o HostKeyAlias=${shellQuote(knownHostsName(ssh))}`,
    `-o HostName=${shellQuote(ssh.address)}`,
  ].join(' ')
}

export interface CredentialEnv {
  readonly env: Record<string, string>
  dispose(): Promise<void>
}

/** Environment for one git call with these credentials; `dispose` removes any files it wrote. */
export async function credentialEnv(
  credentials: GitCredentials | undefined,
  { askPass, tempDir, ssh }: { askPass: string; tempDir: string; ssh: SshOptions },
): Promise<CredentialEnv> {
  if (!credentials) return { env: {}, dispose: async () => {} }
  if (credentials.kind === 'basic')
    return {
      env: {
        GIT_ASKPASS: askPass,
        HOSTPLANE_GIT_USERNAME: credentials.username,
        HOSTPLANE_GIT_PASSWORD: credentials.password,
      },
      dispose: async () => {},
    }
  const dir = await mkdtemp(join(tempDir, 'ssh-'))
  const keyFile = join(dir, 'key')
  const knownHostsFile = join(dir, 'known_hosts')
  const key = credentials.privateKey.endsWith('\n') ? credentials.privateKey : `${credentials.privateKey}\n`
  await writeFile(keyFile, key, { mode: 0o600 })
  await writeFile(knownHostsFile, credentials.knownHosts, { mode: 0o600 })
  return {
    env: {
      GIT_SSH_COMMAND: sshCommand(keyFile, knownHostsFile, ssh),
      GIT_SSH_VARIANT: 'ssh',
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  }
}
