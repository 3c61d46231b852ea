/**
 * `hostplane backup-proxy`: flags → the repository proxy of one backup target (src/backup/
 * proxy-service.ts), running until SIGTERM or SIGINT. The bucket's keys and the customers' tokens
 * come from mounted Secret directories, never from a flag; it needs no Kubernetes API at all.
 * Every flag can also be set by its HOSTPLANE_* variable.
 */
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { createLogger } from '../ops/log.js'
import { defineCommand, startOrExit } from './command.js'
import {
  checkPaths,
  flag,
  httpUrl,
  type ListenAddress,
  listenAddress,
  opsListenFlag,
  parseSize,
  path,
} from './flags.js'
import { stopOnSignal } from './shutdown.js'

interface BackupProxyFlags {
  listen: ListenAddress
  opsListen: ListenAddress
  endpoint: string
  bucket: string
  region: string
  prefix: string
  credentials: string
  tokens: string
  maxObjectSize: number
}

/** S3's bucket naming rules (path-style requests): 3–63 lower-case letters, digits, `.` and `-`. */
const bucketName = (text: string) => {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(text) || text.includes('..'))
    throw new InvalidArgumentError(
      `${text} is not an S3 bucket name (3–63 lower-case letters, digits, '.', '-')`,
    )
  return text
}

const region = (text: string) => {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(text))
    throw new InvalidArgumentError(`${text} is not a region such as us-east-1`)
  return text
}

/** Empty, or path segments each ending with `/`: never `.` or `..`, nothing S3 would read oddly. */
const keyPrefix = (text: string) => {
  const segments = text.split('/').slice(0, -1)
  if (
    text !== '' &&
    (!text.endsWith('/') || segments.some((s) => !/^[A-Za-z0-9_.-]+$/.test(s) || /^\.\.?$/.test(s)))
  )
    throw new InvalidArgumentError(
      `${text} is not a key prefix: empty, or names of letters, digits, '_', '.', '-' each ending with '/' (e.g. hostplane/)`,
    )
  return text
}

export function registerBackupProxyCommand(program: Command): void {
  const command = defineCommand(program, 'backup-proxy')
    .description(
      "serve a backup target's bucket to the backup Jobs over restic's REST protocol, one repository per customer (docs/backups.md)",
    )
    .addOption(
      flag('--listen <host:port>', "address of restic's REST protocol", {
        env: true,
        parse: listenAddress,
        default: '0.0.0.0:8000',
      }),
    )
    .addOption(opsListenFlag())
    .addOption(
      flag('--endpoint <url>', "the S3 endpoint's URL, e.g. https://s3.example.com", {
        env: true,
        parse: httpUrl,
      }).makeOptionMandatory(),
    )
    .addOption(flag('--bucket <name>', 'the bucket', { env: true, parse: bucketName }).makeOptionMandatory())
    .addOption(
      flag('--region <name>', "the bucket's region", { env: true, parse: region, default: 'us-east-1' }),
    )
    .addOption(
      flag('--prefix <prefix>', "where in the bucket the customers' repositories are (<prefix><customer>/)", {
        env: true,
        parse: keyPrefix,
        default: 'hostplane/',
      }),
    )
    .addOption(
      flag(
        '--credentials <dir>',
        "the mounted Secret of the bucket's keys (access-key-id, secret-access-key)",
        {
          env: true,
          parse: path,
          exists: 'dir',
        },
      ).makeOptionMandatory(),
    )
    .addOption(
      flag(
        '--tokens <dir>',
        "the mounted Secret of the customers' tokens: one key per customer, the SHA-256 (hex) of its token",
        { env: true, parse: path, exists: 'dir' },
      ).makeOptionMandatory(),
    )
    .addOption(
      flag('--max-object-size <size>', 'the largest object a client may store', {
        env: true,
        parse: parseSize,
        default: '128MiB',
      }),
    )
  command.action((flags: BackupProxyFlags) =>
    startOrExit('backup-proxy', async () => {
      await checkPaths(command)
      const { mountedS3Keys } = await import('../backup/mounted-secrets.js')
      const keys = await mountedS3Keys(flags.credentials, 'the credentials Secret')
      const log = createLogger({ name: 'hostplane-backup-proxy' })
      const { startBackupProxy } = await import('../backup/proxy-service.js')
      const service = await startBackupProxy({
        log,
        listen: flags.listen,
        opsListen: flags.opsListen,
        bucket: {
          endpoint: new URL(flags.endpoint),
          bucket: flags.bucket,
          credentials: { ...keys, region: flags.region },
        },
        prefix: flags.prefix,
        tokensDir: flags.tokens,
        maxObjectBytes: flags.maxObjectSize,
      })
      stopOnSignal(log, () => service.stop())
    }),
  )
}
