/**
 * `npm test`'s runner. Unit tests (src/**\/*.test.ts and the install app's deploy/**\/*.test.ts) run first; integration tests
 * (test/**\/*.test.ts) then share one real Kubernetes control plane started here. The closing
 * lines count what ran, and how much of it ran against the real API server.
 *
 *   tsx scripts/run-tests.ts [--unit | --integration] [file ...]
 */
import { spawn } from 'node:child_process'
import { readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ensureKubeBinaries, ToolchainMissingError } from '../test/cluster/binaries.js'
import { TestCluster } from '../test/cluster/cluster.js'
import { CLUSTER_ENV, UNAVAILABLE_ENV } from '../test/cluster/for-tests.js'
import { isCI, REPO_ROOT } from '../test/cluster/paths.js'

interface Outcome {
  readonly file: string
  readonly passed: boolean
  readonly skipped: boolean
}

async function testFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(REPO_ROOT, dir), { recursive: true })
  return entries
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(REPO_ROOT, dir, f))
    .sort()
}

/** Files that take the shared cluster; their tests are the ones run against the real API server. */
async function usesCluster(file: string): Promise<boolean> {
  return (await readFile(file, 'utf8')).includes('clusterForTests')
}

async function runNodeTests(
  files: string[],
  env: NodeJS.ProcessEnv,
  concurrency: number,
): Promise<Outcome[]> {
  if (files.length === 0) return []
  const countsFile = join(tmpdir(), `hostplane-test-counts-${process.pid}-${Date.now()}.jsonl`)
  const args = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-timeout=600000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(REPO_ROOT, 'scripts', 'test-counts.mjs')}`,
    `--test-reporter-destination=${countsFile}`,
    ...files,
  ]
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env, cwd: REPO_ROOT })
    child.on('error', fail)
    child.on('close', () => done())
  })
  const text = await readFile(countsFile, 'utf8').catch(() => '')
  await rm(countsFile, { force: true })
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Outcome)
}

const tally = (outcomes: readonly Outcome[]) => ({
  passed: outcomes.filter((o) => o.passed && !o.skipped).length,
  failed: outcomes.filter((o) => !o.passed).length,
  skipped: outcomes.filter((o) => o.skipped).length,
})

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const only = args.filter((a) => !a.startsWith('--')).map((f) => resolve(f))
  const wantUnit = !args.includes('--integration')
  const wantIntegration = !args.includes('--unit')
  const pick = (files: string[]) => (only.length ? files.filter((f) => only.includes(f)) : files)
  const unitFiles = wantUnit ? pick([...(await testFiles('src')), ...(await testFiles('deploy'))]) : []
  const integrationFiles = wantIntegration ? pick(await testFiles('test')) : []

  const lines: string[] = []
  const all: Outcome[] = []
  let expectedFiles = 0

  if (unitFiles.length) {
    console.log(`\n== unit tests (${unitFiles.length} files)`)
    const outcomes = await runNodeTests(unitFiles, process.env, 2)
    all.push(...outcomes)
    expectedFiles += unitFiles.length
    const t = tally(outcomes)
    lines.push(`unit: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`)
  }

  if (integrationFiles.length) {
    const clusterFiles = new Set<string>()
    for (const f of integrationFiles) if (await usesCluster(f)) clusterFiles.add(f)
    const env: NodeJS.ProcessEnv = { ...process.env }
    let cluster: TestCluster | undefined
    let clusterNote = ''
    if (clusterFiles.size > 0) {
      try {
        await ensureKubeBinaries((line) => console.log(line))
        cluster = await TestCluster.start({ log: (line) => console.log(line) })
        env[CLUSTER_ENV] = cluster.name
        clusterNote = `kube-apiserver ${cluster.kubernetesVersion} + etcd + kube-controller-manager`
      } catch (error) {
        if (!(error instanceof ToolchainMissingError) || isCI()) {
          console.error(`cannot start the test cluster: ${(error as Error).message}`)
          return 1
        }
        env[UNAVAILABLE_ENV] = `cluster tests not run: ${error.message}`
        console.log(`\n!! ${env[UNAVAILABLE_ENV]}\n`)
      }
    }
    const stopCluster = () => cluster?.stop()
    process.once('SIGINT', () => void stopCluster()?.then(() => process.exit(130)))
    try {
      console.log(`\n== integration tests (${integrationFiles.length} files)`)
      const outcomes = await runNodeTests(integrationFiles, env, 2)
      all.push(...outcomes)
      expectedFiles += integrationFiles.length
      const onCluster = outcomes.filter((o) => clusterFiles.has(o.file))
      const t = tally(outcomes)
      const c = tally(onCluster)
      lines.push(`integration: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`)
      lines.push(
        cluster
          ? `real API server: ${c.passed} tests passed against ${clusterNote}, ${c.failed} failed, ${c.skipped} skipped`
          : `real API server: ${c.skipped} cluster test suites NOT RUN (${env[UNAVAILABLE_ENV] ?? 'no cluster'})`,
      )
    } finally {
      await stopCluster()
    }
  }

  const total = tally(all)
  const filesWithResults = new Set(all.map((o) => o.file)).size
  console.log(`\n${lines.join('\n')}`)
  console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
  if (filesWithResults < expectedFiles) {
    console.log(
      `${expectedFiles - filesWithResults} test file(s) reported no results (crashed before their tests ran?)`,
    )
    return 1
  }
  if (isCI() && total.skipped > 0) {
    console.log('CI=true: skipped tests count as failures')
    return 1
  }
  return total.failed > 0 ? 1 : 0
}

process.exitCode = await main()
