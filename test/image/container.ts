/**
 * How the tests start a process the way a container runtime does: chrooted into a root file system
 * (the hostplane image unpacked, or this machine's Debian for its packaged servers), as a given
 * user, in a mount namespace of its own with /proc, the device nodes a runtime creates, the pod's
 * volumes bind-mounted at their paths, the root read-only when the manifest says so, and
 * optionally in a pod's network namespace. The mounts are made inside the new mount namespace, so
 * nothing of them is visible on the host or outlives the process.
 */
import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface Mount {
  /** A directory of the host. */
  readonly source: string
  /** Where the process sees it. */
  readonly target: string
  readonly readOnly?: boolean
}

export interface ContainerOptions {
  readonly uid: number
  readonly gid: number
  readonly workingDir?: string
  readonly mounts?: readonly Mount[]
  /** The root file system as the process sees it is read-only (`readOnlyRootFilesystem`). */
  readonly readOnlyRoot?: boolean
  /** A network namespace (`ip netns`) to run in; the host's when absent. */
  readonly netns?: string
}

/** What a container runtime creates in /dev (an image carries none). */
const DEVICES = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
] as const

export async function makeDevices(rootfs: string): Promise<void> {
  await mkdir(join(rootfs, 'dev'), { recursive: true })
  for (const [name, major, minor] of DEVICES)
    await run('mknod', ['-m', '666', join(rootfs, 'dev', name), 'c', String(major), String(minor)])
  for (const [name, target] of LINKS) await symlink(target, join(rootfs, 'dev', name))
}

/** The links a runtime adds to /dev (nginx logs to /dev/stdout). */
const LINKS = [
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
] as const

/**
 * `path` inside `rootfs` with the root file system's symlinks followed as the container sees them
 * (the image's /var/run is a link to /run): never a path outside `rootfs`.
 */
async function inRoot(rootfs: string, path: string): Promise<string> {
  const resolved: string[] = []
  const pending = path.split('/').filter(Boolean)
  for (let hops = 0; pending.length > 0;) {
    const part = pending.shift() ?? ''
    if (part === '.') continue
    if (part === '..') {
      resolved.pop()
      continue
    }
    const link = await readlink(join(rootfs, ...resolved, part)).catch(() => undefined)
    if (link === undefined) resolved.push(part)
    else {
      if (++hops > 40) throw new Error(`${path} in ${rootfs}: too many symlinks`)
      if (link.startsWith('/')) resolved.length = 0
      pending.unshift(...link.split('/').filter(Boolean))
    }
  }
  return join(rootfs, ...resolved)
}

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`

/**
 * The command line that runs `argv` in `rootfs` as `options` say. Mount points are created in the
 * root file system first, as a runtime does.
 */
export async function containerCommand(
  rootfs: string,
  argv: readonly string[],
  { uid, gid, workingDir = '/', mounts = [], readOnlyRoot = false, netns }: ContainerOptions,
): Promise<string[]> {
  const inner = [
    'unshare',
    '--mount',
    '--mount-proc',
    `--root=${rootfs}`,
    `--wd=${workingDir}`,
    `--setgid=${gid}`,
    `--setuid=${uid}`,
    '--',
    ...argv,
  ]
  const binds: string[] = []
  for (const { source, target, readOnly } of mounts) {
    const at = await inRoot(rootfs, target)
    if ((await stat(source)).isFile()) {
      // A file is bound over a file (the kubelet's /etc/hosts): one must be there to bind on.
      await mkdir(dirname(at), { recursive: true })
      await writeFile(at, '', { flag: 'a' })
    } else await mkdir(at, { recursive: true })
    binds.push(`mount --rbind ${quote(source)} ${quote(at)}`)
    if (readOnly) binds.push(`mount -o remount,bind,ro ${quote(at)}`)
  }
  const steps = [
    `mount --bind ${quote(rootfs)} ${quote(rootfs)}`,
    ...binds,
    ...(readOnlyRoot ? [`mount -o remount,bind,ro ${quote(rootfs)}`] : []),
    'exec "$@"',
  ]
  const outer = [
    'unshare',
    '--mount',
    '--propagation=private',
    '--',
    'sh',
    '-ec',
    steps.join('\n'),
    'sh',
    ...inner,
  ]
  return netns ? ['nsenter', `--net=/run/netns/${netns}`, '--', ...outer] : outer
}

/**
 * This machine's Debian as an image root: /usr of the host (bound read-only), a copy of its /etc
 * (4 MB; a copy, so volumes may be mounted below it as in an image), the usrmerge links, and
 * nothing else, so a packaged server (Debian's nginx) runs with the same paths and volumes as
 * the manifest's image would give it.
 */
export class HostRoot {
  private constructor(readonly rootfs: string) {}

  static async create(): Promise<HostRoot> {
    const rootfs = await mkdtemp(join(tmpdir(), 'hostplane-host-root-'))
    // An image's root is 0755; mkdtemp's 0700 would keep the container's user out of everything.
    await chmod(rootfs, 0o755)
    for (const dir of ['usr', 'proc', 'tmp', 'run', 'var']) await mkdir(join(rootfs, dir))
    await run('cp', ['-a', '/etc', join(rootfs, 'etc')])
    for (const link of ['bin', 'sbin', 'lib', 'lib64']) await symlink(`usr/${link}`, join(rootfs, link))
    await makeDevices(rootfs)
    return new HostRoot(rootfs)
  }

  /** Mounts the host's /usr read-only before the pod's own volumes. */
  command(argv: readonly string[], options: ContainerOptions): Promise<string[]> {
    const usr: Mount = { source: '/usr', target: '/usr', readOnly: true }
    return containerCommand(this.rootfs, argv, { ...options, mounts: [usr, ...(options.mounts ?? [])] })
  }

  async remove(): Promise<void> {
    await rm(this.rootfs, { recursive: true, force: true })
  }
}
