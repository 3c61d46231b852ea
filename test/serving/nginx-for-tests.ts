/**
 * Debian's real nginx for the serving tests and the benchmark, started as the current user with
 * the rendered configuration: `nginx -p <dir> -c <conf> -g 'daemon off;'` on a free port. Outside
 * CI a machine without nginx skips the suite with the reason; under CI=true that is a failure
 * (`.ci/run` installs the `nginx` package).
 */
import { spawn } from 'node:child_process'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { createServer, connect } from 'node:net'
import { join } from 'node:path'
import { renderNginxConfig } from '../../src/serve/nginx-config.js'
import { binaryUnavailable } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'

export const NGINX_BINARY = process.env.HOSTPLANE_NGINX ?? '/usr/sbin/nginx'

/** Reason the nginx suite cannot run here, or false when it can. */
export const nginxUnavailable = () => binaryUnavailable('nginx', NGINX_BINARY, 'nginx')

export interface RunningNginx {
  readonly port: number
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

export async function startNginx(options: {
  readonly root: string
  readonly workDir: string
  readonly workerProcesses?: number
  readonly accessLog?: boolean
  /** Address to listen on; a pod address when Traefik must reach it through an EndpointSlice. */
  readonly host?: string
  /** The configuration renderer; another checkout's, for a benchmark of two versions. */
  readonly render?: typeof renderNginxConfig
}): Promise<RunningNginx> {
  const host = options.host ?? '127.0.0.1'
  const port = await freePort()
  // Run as root (as in CI containers), nginx starts its workers as `nobody`, who must reach the files.
  await mkdir(options.workDir, { recursive: true })
  await chmod(options.workDir, 0o755)
  const runDir = join(options.workDir, 'run')
  await mkdir(runDir, { recursive: true })
  const conf = join(options.workDir, 'nginx.conf')
  const render = options.render ?? renderNginxConfig
  await writeFile(
    conf,
    render({
      listen: `${host}:${port}`,
      root: options.root,
      runDir,
      workerProcesses: options.workerProcesses ?? 1,
      accessLog: options.accessLog ?? false,
    }),
  )
  const child = spawn(NGINX_BINARY, ['-p', options.workDir, '-c', conf, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${stderr}`)
        return (await canConnect(port, host)) ? true : undefined
      },
      { timeoutMs: 10_000, intervalMs: 50, describe: () => `nginx did not listen on ${port}:\n${stderr}` },
    )
  } catch (error) {
    await stop()
    throw error
  }
  return { port, stop }
}

/** Whether something accepts connections on this port. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
