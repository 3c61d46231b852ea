/**
 * A real S3-compatible server for the backup tests: moto (PyPI) in server mode, on a free
 * loopback port, with nothing stored beyond the process. Pinned by the requirements beside this
 * file (test/cluster/python-tools.ts installs it; `tsx test/backup/moto.ts` does, as .ci/run).
 *
 * The tests read the bucket's objects as they are stored: what anyone holding the bucket sees.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { promisify } from 'node:util'
import {
  cachedPythonTool,
  installFromCommandLine,
  type PythonTool,
  pythonToolUnavailable,
} from '../cluster/python-tools.js'
import { waitFor } from '../cluster/process.js'
import { freePort } from '../serving/nginx-for-tests.js'
import { S3Client } from '../../src/backup/s3-client.js'

const run = promisify(execFile)

/** The test account: moto takes any keys; these sign the tests' own reads and writes. */
export const S3_TEST_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
}

const BOTO_PRELUDE = `import os, sys, boto3
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')`

const MOTO: PythonTool = {
  name: 'moto',
  requirements: join(import.meta.dirname, 'moto-requirements.txt'),
  command: 'moto_server',
  installHint: 'npx tsx test/backup/moto.ts',
}

/** Reason the backup suites cannot run here, or false when they can; thrown under CI. */
export const motoUnavailable = () => pythonToolUnavailable(MOTO, 'backup tests')

export interface S3UnderTest {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string
  /** Every object of `bucket`: key → bytes, read as anyone holding the bucket would. */
  objects(bucket: string): Promise<Map<string, Buffer>>
  createBucket(bucket: string): Promise<void>
  /** Replaces an object's bytes, as a failing disk or an attacker would. */
  put(bucket: string, key: string, body: Buffer): Promise<void>
  remove(bucket: string, key: string): Promise<void>
  stop(): Promise<void>
}

/** A client of `bucket` on `s3` with the test credentials, as the repository proxy holds one. */
export const motoClient = (s3: S3UnderTest, bucket: string) =>
  new S3Client({
    endpoint: new URL(s3.endpoint),
    bucket,
    credentials: {
      accessKeyId: S3_TEST_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: S3_TEST_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      region: 'us-east-1',
    },
  })

export async function startMoto(): Promise<S3UnderTest> {
  const command = await cachedPythonTool(MOTO)
  if (!command) throw new Error(`moto is not installed (${MOTO.installHint})`)
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  const child: ChildProcess = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4096)))
  await waitFor(
    async () =>
      (child.exitCode === null &&
        (await fetch(`${endpoint}/`).then(
          (r) => r.ok,
          () => false,
        ))) ||
      undefined,
    { timeoutMs: 30_000, intervalMs: 200, describe: () => `moto did not answer on ${endpoint}: ${stderr}` },
  )
  // The objects are private to the account that wrote them: read and written through boto3 (in
  // moto's environment), signed with the test account's keys.
  const python = join(dirname(command), 'python')
  const boto = async (script: string, ...args: string[]) => {
    const { stdout } = await run(python, ['-c', `${BOTO_PRELUDE}\n${script}`, endpoint, ...args], {
      timeout: 60_000,
      maxBuffer: 256 * 1024 ** 2,
    })
    return stdout
  }
  return {
    endpoint,
    async objects(bucket) {
      const dir = await mkdtemp(join(tmpdir(), 'hp-moto-'))
      try {
        await boto(
          `for page in s3.get_paginator('list_objects_v2').paginate(Bucket=sys.argv[2]):
    for o in page.get('Contents', []):
        path = os.path.join(sys.argv[3], o['Key'])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        s3.download_file(sys.argv[2], o['Key'], path)`,
          bucket,
          dir,
        )
        const objects = new Map<string, Buffer>()
        for (const file of await readdir(dir, { recursive: true, withFileTypes: true }))
          if (file.isFile()) {
            const path = join(file.parentPath, file.name)
            objects.set(relative(dir, path), await readFile(path))
          }
        return objects
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
    async put(bucket, key, body) {
      const dir = await mkdtemp(join(tmpdir(), 'hp-moto-'))
      try {
        await writeFile(join(dir, 'body'), body)
        await boto(`s3.upload_file(sys.argv[4], sys.argv[2], sys.argv[3])`, bucket, key, join(dir, 'body'))
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
    async remove(bucket, key) {
      await boto(`s3.delete_object(Bucket=sys.argv[2], Key=sys.argv[3])`, bucket, key)
    },
    async createBucket(bucket) {
      await boto(`s3.create_bucket(Bucket=sys.argv[2])`, bucket)
    },
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await installFromCommandLine(MOTO)
