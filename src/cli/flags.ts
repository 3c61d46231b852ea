/**
 * The flags of every `hostplane` command, defined one way: a value the parser refuses names the
 * flag and what it accepts (exit 2, see command.ts); a default is written as the flag accepts it
 * and parsed by the same parser, so `--help` never shows a default the flag would refuse; a path
 * is made absolute once, at start, against the working directory, because git and other children
 * run elsewhere; a file or directory that must exist is checked before anything starts (exit 1).
 */
import { constants } from 'node:fs'
import { access, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { DNS_LABEL, HOSTNAME, LABEL_KEY, LABEL_VALUE } from '../api/schema-kit.js'
import { IMAGE } from '../api/runtime.js'
import { parseDuration } from '../syncer/sync-schedule.js'
import { FORGES, type Forge } from '../syncer/webhook.js'
import { StartError } from './command.js'

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  kib: 1024,
  m: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gib: 1024 ** 3,
}

/** `system-namespace` → `HOSTPLANE_SYSTEM_NAMESPACE`: the variable a long-running command's flag is also read from. */
export const flagEnv = (flag: string) => `HOSTPLANE_${flag.toUpperCase().replaceAll('-', '_')}`

/** What must be true of a path flag's target before the command starts. */
type PathKind = 'file' | 'dir'
const mustExist = new WeakMap<Option, PathKind>()

export interface FlagOptions<T> {
  /** Turns the text into the value; throws InvalidArgumentError saying what is accepted. */
  readonly parse?: (text: string) => T
  /** The default as a user would type it; help shows this text, the command gets it parsed. */
  readonly default?: string
  /** Also read from the flag's HOSTPLANE_* variable (the flag wins): Deployments set flags from a ConfigMap. */
  readonly env?: boolean
  /** The path must name an existing file or directory when the command starts. */
  readonly exists?: PathKind
  readonly choices?: readonly string[]
}

/** One flag of a command, see the module comment. */
export function flag<T = string>(flags: string, description: string, options: FlagOptions<T> = {}): Option {
  const long = /--([a-z-]+)/.exec(flags)?.[1]
  if (!long) throw new Error(`flag without a long name: ${flags}`)
  const option = new Option(flags, description)
  if (options.env) option.env(flagEnv(long))
  if (options.choices) option.choices(options.choices)
  const { parse } = options
  if (parse) option.argParser((text: string) => parse(text))
  if (options.default !== undefined)
    option.default(parse ? parse(options.default) : options.default, options.default)
  if (options.exists) mustExist.set(option, options.exists)
  return option
}

/** Before a command starts: every path flag that must name a file or directory does, readable. */
export async function checkPaths(command: Command): Promise<void> {
  for (const option of command.options) {
    const kind = mustExist.get(option)
    const value: unknown = command.getOptionValue(option.attributeName())
    if (kind && typeof value === 'string') await usablePath(option.long ?? option.flags, value, kind)
  }
}

/** Throws a StartError naming `what` unless `path` is a readable file (or directory). */
export async function usablePath(what: string, path: string, kind: PathKind): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new StartError(`${what} ${path}: ${error.code === 'ENOENT' ? 'does not exist' : error.message}`)
  })
  if (kind === 'file' && !info.isFile()) throw new StartError(`${what} ${path}: is not a file`)
  if (kind === 'dir' && !info.isDirectory()) throw new StartError(`${what} ${path}: is not a directory`)
  await access(path, constants.R_OK).catch(() => {
    throw new StartError(`${what} ${path}: is not readable by this user`)
  })
}

/** A path, made absolute against the working directory at start. */
export const path = (text: string) => {
  if (!text) throw new InvalidArgumentError('an empty path is not a path')
  return resolve(text)
}

/** `1GiB`, `100MiB`, `500k`, `1048576` → bytes. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = SIZE_UNITS[(match?.[2] ?? 'x').toLowerCase()]
  if (!match || unit === undefined)
    throw new InvalidArgumentError(`${text} is not a size such as 1GiB, 100MiB or 1048576`)
  return Math.round(Number(match[1]) * unit)
}

/** A whole number from `min` to `max`. */
export const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (text: string) => {
    const value = Number(text)
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max)
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `${text} is not a whole number of at least ${min}`
          : `${text} is not a whole number from ${min} to ${max}`,
      )
    return value
  }
export const positive = integer(1)

export const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

/** Comma-separated Kubernetes object names, e.g. ClusterIssuers. */
export const objectNames = (text: string) => {
  const items = list(text)
  if (
    items.some(
      (i) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(i) || i.length > 253,
    )
  )
    throw new InvalidArgumentError(`${text} is not a comma-separated list of Kubernetes object names`)
  return items
}

/** Comma-separated Traefik entry point names. */
export const entryPoints = (text: string) => {
  const items = list(text)
  if (items.length === 0 || items.some((i) => !/^[A-Za-z0-9_-]{1,64}$/.test(i)))
    throw new InvalidArgumentError(`${text} is not a comma-separated list of Traefik entry point names`)
  return items
}

export const duration = (text: string) => {
  try {
    return parseDuration(text)
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message)
  }
}

/** `key=value,key=value`: the labels a pod must carry (a NetworkPolicy's podSelector). */
export const labelMap = (text: string): Record<string, string> => {
  const pairs = list(text).map((item) => item.split('='))
  if (
    !pairs.length ||
    pairs.some(
      ([key = '', value, ...rest]) =>
        value === undefined ||
        rest.length > 0 ||
        !new RegExp(LABEL_KEY).test(key) ||
        !new RegExp(LABEL_VALUE).test(value),
    )
  )
    throw new InvalidArgumentError(`${text} is not a comma-separated list of label=value pairs`)
  return Object.fromEntries(pairs)
}

const labelKey = new RegExp(LABEL_KEY)
const labelValue = new RegExp(LABEL_VALUE)

/** One requirement of a label selector: `key in (a,b)`, `key notin (a)`, `key=v`, `key==v`, `key!=v`, `key`, `!key`. */
const isRequirement = (text: string): boolean => {
  const set = /^\s*(\S+)\s+(?:in|notin)\s*\(([^()]*)\)\s*$/.exec(text)
  if (set) {
    const values = (set[2] ?? '').split(',').map((v) => v.trim())
    return labelKey.test(set[1] ?? '') && values.some(Boolean) && values.every((v) => labelValue.test(v))
  }
  const match = /^\s*([^\s=!]+)\s*(?:==|=|!=)\s*(\S*)\s*$/.exec(text)
  if (match) return labelKey.test(match[1] ?? '') && labelValue.test(match[2] ?? '')
  const exists = /^\s*!?\s*(\S+)\s*$/.exec(text)
  return exists !== null && labelKey.test(exists[1] ?? '')
}

/**
 * A label selector as the API server takes it (`app=web,tier!=db,env in (a,b),!legacy`), checked
 * at start: the API server refuses a bad one only when a controller lists, and the controller
 * retries that list forever instead of exiting.
 */
export const labelSelector = (text: string) => {
  // Commas inside `in (…)` separate values, not requirements.
  if (!text.split(/,(?![^(]*\))/).every(isRequirement))
    throw new InvalidArgumentError(
      `'${text}' is not a label selector: comma-separated key=value, key!=value, key in (a,b), key notin (a,b), key or !key`,
    )
  return text
}

export const dnsLabel = (text: string) => {
  if (text.length > 63 || !new RegExp(DNS_LABEL).test(text))
    throw new InvalidArgumentError(`${text} is not a DNS label (lower-case letters, digits, '-'; at most 63)`)
  return text
}

export const hostname = (text: string) => {
  if (text.length > 200 || !new RegExp(HOSTNAME).test(text))
    throw new InvalidArgumentError(`${text} is not a lower-case DNS name such as pages.example.com`)
  return text
}

/** A URL of one of `protocols` (e.g. `['https:']`), as given. */
const urlOf =
  (protocols: readonly string[], example: string) =>
  (text: string): string => {
    let url: URL | undefined
    try {
      url = new URL(text)
    } catch {
      url = undefined
    }
    if (!url || !protocols.includes(url.protocol)) throw new InvalidArgumentError(`${text} is not ${example}`)
    return url.href
  }

/** `registry.example.com` or `registry:5000`: where the tenants' images go. */
export function registryHost(text: string): string {
  const [host = '', port] = text.split(/:(?=\d+$)/)
  hostname(host)
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
    throw new InvalidArgumentError(`${text}: the port must be from 1 to 65535`)
  return text
}

/** A container image reference (registry/repository[:tag][@sha256:digest]). */
export function imageReference(text: string): string {
  if (!new RegExp(IMAGE).test(text))
    throw new InvalidArgumentError(
      `${text} is not an image reference (registry/repository[:tag][@sha256:<64 hex digits>])`,
    )
  return text
}

export const httpsUrl = urlOf(['https:'], 'an https:// URL')
export const httpUrl = urlOf(['http:', 'https:'], 'an http:// or https:// URL')

export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/** `host:port`, `:port` (all addresses) or `[::1]:port`. */
export function listenAddress(text: string): ListenAddress {
  const colon = text.lastIndexOf(':')
  const port = text.slice(colon + 1)
  const host = text.slice(0, colon).replace(/^\[|\]$/g, '')
  if (colon < 0 || !/^\d{1,5}$/.test(port) || Number(port) > 65535 || /[\s/]/.test(host))
    throw new InvalidArgumentError(`${text} is not host:port, e.g. 127.0.0.1:8080 or :8080`)
  return { host: host || '0.0.0.0', port: Number(port) }
}

/** `--ops-listen`: /healthz, /readyz and /metrics on a listener apart from what the command serves. */
export const opsListenFlag = () =>
  flag('--ops-listen <host:port>', 'address of /healthz, /readyz and /metrics', {
    env: true,
    parse: listenAddress,
    default: '0.0.0.0:9090',
  })

/** `name=dir`: a local repository to create from a directory's files; the directory made absolute. */
export function localRepoInit(text: string): { name: string; dir: string } {
  const [name = '', dir = '', ...rest] = text.split('=')
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || !dir || rest.length > 0)
    throw new InvalidArgumentError(`${text} is not name=dir, e.g. example=examples/site`)
  return { name, dir: resolve(dir) }
}

/** A secret from `<dir>/<file>` when the directory is given and has it, else from the environment. */
export async function secret(
  dir: string | undefined,
  file: string,
  envName: string,
): Promise<string | undefined> {
  if (dir) {
    const text = await readFile(join(dir, file), 'utf8').catch(() => undefined)
    if (text?.trim()) return text.trim()
  }
  return process.env[envName]?.trim() || undefined
}

/** Webhook secret per forge: `<dir>/<forge>` or `HOSTPLANE_WEBHOOK_SECRET_<FORGE>`. */
export async function webhookSecrets(dir: string | undefined): Promise<Partial<Record<Forge, string>>> {
  const secrets: Partial<Record<Forge, string>> = {}
  for (const forge of FORGES) {
    const value = await secret(dir, forge, `HOSTPLANE_WEBHOOK_SECRET_${forge.toUpperCase()}`)
    if (value) secrets[forge] = value
  }
  return secrets
}
