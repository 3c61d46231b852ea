/**
 * The platform's pre-receive hook, the only hook git runs for tenants' repositories (every
 * repository's core.hooksPath names the read-only directory holding it). It sends the ref
 * updates and the quarantine environment to the gitserver over its unix socket with the
 * session's one-time token, prints what the push gate says (git shows it as `remote: …`), and
 * exits 0 only on an accepted verdict. Plain JavaScript run by the gitserver's own node binary,
 * so it needs no build step and nothing from the repository.
 */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const HOOK_SOURCE = `
import { connect } from 'node:net'
import { resolve } from 'node:path'

let input = ''
process.stdin.setEncoding('utf8')
for await (const chunk of process.stdin) input += chunk
const updates = input
  .split('\\n')
  .filter(Boolean)
  .map((line) => {
    const [oldCommit, newCommit, ref] = line.split(' ')
    return { ref, oldCommit, newCommit }
  })
const env = {}
for (const name of ['GIT_OBJECT_DIRECTORY', 'GIT_QUARANTINE_PATH']) {
  const value = process.env[name]
  if (value) env[name] = resolve(value)
}
const alternates = process.env.GIT_ALTERNATE_OBJECT_DIRECTORIES
if (alternates) env.GIT_ALTERNATE_OBJECT_DIRECTORIES = alternates.split(':').map((dir) => resolve(dir)).join(':')
let exitCode = 1
let buffered = ''
const connection = connect(process.env.HOSTPLANE_HOOK_SOCKET ?? '')
connection.setEncoding('utf8')
connection.on('connect', () =>
  connection.write(JSON.stringify({ token: process.env.HOSTPLANE_HOOK_TOKEN, dir: resolve(process.env.GIT_DIR ?? '.'), updates, env }) + '\\n'),
)
connection.on('data', (chunk) => {
  buffered += chunk
  for (let end = buffered.indexOf('\\n'); end >= 0; end = buffered.indexOf('\\n')) {
    const message = JSON.parse(buffered.slice(0, end))
    buffered = buffered.slice(end + 1)
    if (typeof message.line === 'string') process.stderr.write(message.line + '\\n')
    if (typeof message.accepted === 'boolean') exitCode = message.accepted ? 0 : 1
  }
})
connection.on('error', () => process.stderr.write('the push gate is unavailable; try again\\n'))
connection.on('close', () => process.exit(exitCode))
`

const shellQuoted = (text: string) => `'${text.replaceAll("'", "'\\''")}'`

/**
 * Writes the hooks directory: `pre-receive` (a shell line starting node on `pre-receive.mjs`,
 * which is ESM whatever node's defaults), both files and the directory read-only.
 */
export async function installHooks(hooksDir: string, node = process.execPath): Promise<void> {
  await chmod(hooksDir, 0o755).catch(() => {})
  await rm(hooksDir, { recursive: true, force: true })
  await mkdir(hooksDir, { recursive: true, mode: 0o755 })
  const script = join(hooksDir, 'pre-receive.mjs')
  await writeFile(script, HOOK_SOURCE.trimStart(), { mode: 0o444 })
  await writeFile(
    join(hooksDir, 'pre-receive'),
    `#!/bin/sh\nexec ${shellQuoted(node)} ${shellQuoted(script)}\n`,
    {
      mode: 0o555,
    },
  )
  await chmod(hooksDir, 0o555)
}
