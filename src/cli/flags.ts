/** Flag parsers and secret lookup shared by the long-running `hostplane` commands. */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidArgumentError, Option } from 'commander'
import { parseDuration } from '../syncer/sync-schedule.js'
import { FORGES, type Forge } from '../syncer/webhook.js'

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

/**
 * A flag that may also come from its HOSTPLANE_* variable (a flag on the command line wins), so a
 * Deployment can take settings from a ConfigMap with envFrom.
 */
export function envOption<T>(
  flags: string,
  description: string,
  { parse, defaultValue }: { parse?: (value: string, previous: T) => T; defaultValue?: T } = {},
): Option {
  const long = /--([a-z-]+)/.exec(flags)?.[1]
  if (!long) throw new Error(`flag without a long name: ${flags}`)
  const option = new Option(flags, description).env(flagEnv(long))
  if (parse) option.argParser(parse)
  return defaultValue === undefined ? option : option.default(defaultValue)
}

/** `1GiB`, `100MiB`, `500k`, `1048576` → bytes. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = SIZE_UNITS[(match?.[2] ?? 'x').toLowerCase()]
  if (!match || unit === undefined)
    throw new InvalidArgumentError(`${text} is not a size such as 1GiB, 100MiB or 1048576`)
  return Math.round(Number(match[1]) * unit)
}

export const positive = (text: string) => {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError(`${text} is not a positive whole number`)
  return value
}
export const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
export const duration = (text: string) => {
  try {
    return parseDuration(text)
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message)
  }
}

export function httpsUrl(text: string): string {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    url = undefined
  }
  if (url?.protocol !== 'https:') throw new InvalidArgumentError(`${text} is not an https:// URL`)
  return url.href
}

export function listenAddress(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':')
  const port = Number(text.slice(colon + 1))
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`${text} is not host:port, e.g. 0.0.0.0:8080`)
  return { host: text.slice(0, colon).replace(/^\[|\]$/g, '') || '0.0.0.0', port }
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
