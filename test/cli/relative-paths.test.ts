/**
 * Relative paths are resolved once, against the directory `hostplane serve` was started in. A
 * relative `--git-ca-file` used to reach git as given, and git runs inside each site's mirror
 * directory: every fetch failed, was retried forever, and nothing was published. Here a real
 * HTTPS git host with its own CA serves the site; every path on the command line is relative.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { after, before, it } from 'node:test'
import { REPO_ROOT } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'
import { sendRequest } from '../serving/http-request.js'
import { ProcessOutput } from '../standalone/process-output.js'
import { GitFixture } from '../syncer/git-fixture.js'

let fx: GitFixture
let stop: (() => Promise<void>) | undefined

before(async () => {
  fx = await GitFixture.start()
  await fx.repos.create('site.git', { 'index.html': '<p>fetched over https</p>\n' })
  await copyFile(fx.server.caFile, join(fx.dir, 'ca.pem'))
  await mkdir(join(fx.dir, 'sites'))
  await writeFile(
    join(fx.dir, 'sites', 'site.yaml'),
    `apiVersion: hostplane.dev/v1alpha1\nkind: StaticSite\nmetadata: {name: site}\nspec:\n  repo: ${fx.url('site.git')}\n  domains: [site.test]\n`,
  )
})
after(async () => {
  await stop?.()
  await fx?.stop()
})

it('hostplane serve with a relative --git-ca-file, sites and data directory publishes the site from an https git host', async () => {
  const args = ['serve', 'sites', '--data-dir', 'data', '--git-ca-file', 'ca.pem']
  args.push('--allowed-hosts', '127.0.0.1', '--allow-private-networks', '127.0.0.1/32')
  args.push('--listen', '127.0.0.1:0', '--control-listen', '127.0.0.1:0')
  const tsx = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href
  const child = spawn(
    process.execPath,
    ['--import', tsx, join(REPO_ROOT, 'src', 'cli', 'main.ts'), ...args],
    {
      cwd: fx.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  const output = new ProcessOutput(child)
  const [, port] = await output.waitFor(/running on http:\/\/127\.0\.0\.1:(\d+)/, 120_000)
  const page = await waitFor(
    async () => {
      const response = await sendRequest({
        port: Number(port),
        method: 'GET',
        path: '/',
        headers: { Host: 'site.test' },
      })
      return response.status === 200 ? response : undefined
    },
    { timeoutMs: 30_000, describe: () => `site.test was never published:\n${output.all}` },
  )
  assert.match(page.body, /fetched over https/)
  assert.doesNotMatch(output.all, /CAfile|certificate/i, 'no TLS error on the way')
})
