/**
 * One image layer from a directory, byte for byte the same for the same files: GNU tar with sorted
 * entries, every mtime set to the given epoch, numeric owners, no atime/ctime, then `gzip -n`
 * (no name, no timestamp in the header). The layer's diffID (digest of the tar) and digest (of
 * the gzip stream) are computed while it is written.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

export interface Layer {
  /** sha256:… of the compressed blob (what the manifest names). */
  readonly digest: string
  /** sha256:… of the uncompressed tar (what the config's rootfs.diff_ids names). */
  readonly diffId: string
  readonly size: number
  readonly path: string
}

export interface LayerOptions {
  /** The directory the members are taken from (`tar -C`). */
  readonly dir: string
  /** Paths relative to `dir` to put in the layer, with everything below them. */
  readonly members: readonly string[]
  /** Seconds since 1970 written as every entry's mtime. */
  readonly epoch: number
  /** Owner 0:0 for every entry (the app: root owns it, user 10001 only reads it). */
  readonly rootOwned?: boolean
  /** Patterns left out (`tar --exclude`). */
  readonly exclude?: readonly string[]
}

export const sha256 = (data: string | Buffer): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`

/** GNU tar's arguments for a reproducible tar of `members` written to `file` ('-': stdout). */
export function reproducibleTarArgs(
  { dir, members, epoch, rootOwned = false, exclude = [] }: LayerOptions,
  file: string,
): string[] {
  return [
    '--create',
    `--file=${file}`,
    '--format=pax',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--sort=name',
    `--mtime=@${epoch}`,
    '--numeric-owner',
    ...(rootOwned ? ['--owner=0', '--group=0'] : []),
    '--xattrs',
    '--xattrs-include=security.capability',
    ...exclude.map((pattern) => `--exclude=${pattern}`),
    `--directory=${dir}`,
    '--',
    ...members,
  ]
}

/** Hashes what passes through, without holding it. */
async function* hashing(source: Readable, hash: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    hash.update(chunk as Buffer)
    yield chunk as Buffer
  }
}

function exitOf(name: string, child: ReturnType<typeof spawn>, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}: ${stderr().slice(-2000)}`)),
    )
  })
}

/** Writes the layer's gzip blob to `out`. */
export async function writeLayer(options: LayerOptions, out: string): Promise<Layer> {
  const tar = spawn('tar', reproducibleTarArgs(options, '-'), { stdio: ['ignore', 'pipe', 'pipe'] })
  const gzip = spawn('gzip', ['-n', '-6'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let errors = ''
  tar.stderr.setEncoding('utf8').on('data', (c: string) => (errors += c))
  gzip.stderr.setEncoding('utf8').on('data', (c: string) => (errors += c))
  const tarDone = exitOf('tar', tar, () => errors)
  const gzipDone = exitOf('gzip', gzip, () => errors)
  const diff = createHash('sha256')
  const blob = createHash('sha256')
  await Promise.all([
    pipeline(hashing(tar.stdout, diff), gzip.stdin),
    pipeline(hashing(gzip.stdout, blob), createWriteStream(out)),
    tarDone,
    gzipDone,
  ])
  return {
    digest: `sha256:${blob.digest('hex')}`,
    diffId: `sha256:${diff.digest('hex')}`,
    size: (await stat(out)).size,
    path: out,
  }
}
