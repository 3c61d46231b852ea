/**
 * The operator as the benchmarks run it: `node build/src/cli/main.js operator` (compiled, as in
 * production) with its own ServiceAccount token, measured from outside through /metrics (API
 * writes, leases excluded) and /proc (resident memory).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { KubeRest } from '../src/kube/rest.js'
import { TestCluster } from '../test/cluster/cluster.js'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { runOrThrow, sleep, waitFor } from '../test/cluster/process.js'
import { OperatorEnv } from '../test/operator/harness.js'
import { cpuSeconds } from './load.js'

export interface OperatorProcessOptions {
  readonly test: OperatorEnv
  readonly metricsPort: number
  readonly resyncSeconds: number
  /** V8 flags, e.g. '--max-semi-space-size=2'. */
  readonly nodeOptions?: string
  readonly extraArgs?: readonly string[]
  /** The checkout whose build runs, e.g. a worktree of main for a side-by-side run. @default this one */
  readonly root?: string
}

export class OperatorProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly metrics: string,
  ) {}

  /** Starts the operator and resolves once /readyz answers 200 (30 s at most). */
  static async start(options: OperatorProcessOptions): Promise<OperatorProcess> {
    const { test, metricsPort, resyncSeconds, nodeOptions = '', extraArgs = [], root = REPO_ROOT } = options
    const args = ['build/src/cli/main.js', 'operator', '--kubeconfig', test.kubeconfigPath]
    args.push('--system-namespace', test.systemNamespace, '--pages-domain', 'pages.test')
    args.push('--listen', `127.0.0.1:${metricsPort}`, '--no-leader-elect')
    args.push('--resync-seconds', String(resyncSeconds), ...extraArgs)
    const nodeFlags = nodeOptions.split(' ').filter(Boolean)
    const child = spawn(process.execPath, [...nodeFlags, ...args], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    const operator = new OperatorProcess(child, `http://127.0.0.1:${metricsPort}`)
    await waitFor(
      async () =>
        (await fetch(`${operator.metrics}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined,
      { timeoutMs: 30_000, describe: () => 'the operator did not become ready' },
    )
    return operator
  }

  /** `hostplane_api_writes_total` by `verb resource`, without lease renewals. */
  async writesBy(): Promise<Record<string, number>> {
    const text = await (await fetch(`${this.metrics}/metrics`)).text()
    const counts: Record<string, number> = {}
    for (const line of text.split('\n')) {
      if (!line.startsWith('hostplane_api_writes_total{') || line.includes('resource="leases"')) continue
      const verb = /verb="([^"]+)"/.exec(line)?.[1] ?? ''
      const resource = /resource="([^"]+)"/.exec(line)?.[1] ?? ''
      counts[`${verb} ${resource}`] = Number(line.split(' ').at(-1))
    }
    return counts
  }

  /** The sum of `hostplane_api_writes_total`, without lease renewals. */
  async writes(): Promise<number> {
    return Object.values(await this.writesBy()).reduce((sum, n) => sum + n, 0)
  }

  /** Peak (VmHWM) or current (VmRSS) resident memory, in MiB. */
  async rssMiB(which: 'VmHWM' | 'VmRSS'): Promise<number> {
    const status = await readFile(`/proc/${this.child.pid ?? 0}/status`, 'utf8')
    const kB = Number(new RegExp(`${which}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0)
    return Number((kB / 1024).toFixed(1))
  }

  /** CPU seconds the operator has used so far. */
  cpuSeconds(): Promise<number> {
    return cpuSeconds(this.child.pid ?? 0)
  }

  /** SIGTERM, then waits for the graceful stop (35 s at most). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    await Promise.race([exited, sleep(35_000)])
  }
}

/** What an operator benchmark works with: the cluster's admin client, the test env, a Runtime, the operator. */
export interface OperatorBench {
  readonly admin: KubeRest
  readonly test: OperatorEnv
  readonly runtime: string
  readonly operator: OperatorProcess
}

/**
 * Builds the operator, starts a test cluster, the operator's RBAC, a Runtime and the operator
 * process; runs `work`; stops everything, also when `work` fails.
 */
export async function withOperatorBench<T>(
  options: { readonly log: (line: string) => void } & Omit<OperatorProcessOptions, 'test'>,
  work: (bench: OperatorBench) => Promise<T>,
): Promise<T> {
  const { log, ...processOptions } = options
  await runOrThrow('npm', ['run', 'build'], { cwd: REPO_ROOT })
  const cluster = await TestCluster.start({ log })
  const admin = new KubeRest(cluster.kubeConfig())
  const test = new OperatorEnv(cluster, admin, 'bench')
  let operator: OperatorProcess | undefined
  try {
    await test.setUp()
    const runtime = await test.createRuntime()
    operator = await OperatorProcess.start({ test, ...processOptions })
    return await work({ admin, test, runtime, operator })
  } finally {
    await operator?.stop()
    admin.close()
    await cluster.stop()
  }
}
