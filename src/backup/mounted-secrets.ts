/**
 * What a backup Job's container is given, read from Secrets mounted as directories (one file per
 * key, as the kubelet writes them): the customer's repository and, for a database, the Database's
 * own Secret. Nothing secret is a flag, so nothing secret is in the process list or a log line.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DatabaseLogin } from './database.js'
import type { ResticRepository } from './restic.js'

async function key(dir: string, name: string, what: string): Promise<string> {
  const value = await readFile(join(dir, name), 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${what} ${dir}: no key ${name} (${error.code === 'ENOENT' ? 'missing' : error.message})`)
  })
  const trimmed = value.trim()
  if (!trimmed) throw new Error(`${what} ${dir}: key ${name} is empty`)
  return trimmed
}

/** The bucket's keys from a Secret: `access-key-id`, `secret-access-key`. */
export async function mountedS3Keys(
  dir: string,
  what: string,
): Promise<{ readonly accessKeyId: string; readonly secretAccessKey: string }> {
  return {
    accessKeyId: await key(dir, 'access-key-id', what),
    secretAccessKey: await key(dir, 'secret-access-key', what),
  }
}

/**
 * A repository Secret: `repository` (restic's URL) and `password`; an `s3:` repository also
 * `access-key-id` and `secret-access-key` (the bucket's keys). A `rest:` repository (the
 * repository proxy) needs no more: its URL carries the customer's token.
 */
export async function mountedRepository(dir: string): Promise<ResticRepository> {
  const what = 'the repository Secret'
  const url = await key(dir, 'repository', what)
  const password = await key(dir, 'password', what)
  if (!url.startsWith('s3:')) return { url, password, env: {} }
  const keys = await mountedS3Keys(dir, 'the s3: repository Secret')
  return {
    url,
    password,
    env: { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey },
  }
}

/** A Database's Secret, as the operator writes it (engine, host, port, database, username, password). */
export async function mountedDatabase(dir: string): Promise<DatabaseLogin> {
  const what = 'the database Secret'
  const engine = await key(dir, 'engine', what)
  if (engine !== 'MariaDB' && engine !== 'PostgreSQL')
    throw new Error(`${what} ${dir}: engine ${engine} is neither MariaDB nor PostgreSQL`)
  const port = Number(await key(dir, 'port', what))
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${what} ${dir}: port is not a port`)
  return {
    engine,
    host: await key(dir, 'host', what),
    port,
    database: await key(dir, 'database', what),
    username: await key(dir, 'username', what),
    password: await key(dir, 'password', what),
  }
}
