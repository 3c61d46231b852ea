/**
 * A package on disk. Written whole or not at all: into a fresh sibling directory, renamed into
 * place, never over an existing one (a package is immutable). Read with bounds — a package
 * handed to `verify` may be anyone's — and without following links.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative, sep } from 'node:path'
import type { PackageFile } from './release-package.js'

const MAX_FILES = 64
const MAX_BYTES = 16 * 1024 * 1024

export async function writePackage(directory: string, files: readonly PackageFile[]): Promise<void> {
  if (
    await lstat(directory).then(
      () => true,
      () => false,
    )
  )
    throw new Error(`${directory} already exists; a package is never overwritten: choose another --out`)
  const staging = await mkdtemp(join(dirname(directory), `.${basename(directory)}-`))
  try {
    for (const file of files) {
      await mkdir(dirname(join(staging, file.path)), { recursive: true })
      await writeFile(join(staging, file.path), file.content, { mode: 0o644 })
    }
    await rename(staging, directory)
  } catch (error) {
    await rm(staging, { recursive: true, force: true })
    throw error
  }
}

/** Every regular file below `directory` by its `/`-separated relative path; links and devices are refused. */
export async function readPackage(directory: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>()
  let bytes = 0
  const entries = await readdir(directory, { recursive: true, withFileTypes: true })
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name)
    const name = relative(directory, path).split(sep).join('/')
    if (entry.isDirectory()) continue
    if (!entry.isFile())
      throw new Error(
        `${name} in ${directory} is not a regular file (a link or a device); a package holds only files`,
      )
    if (files.size >= MAX_FILES)
      throw new Error(`${directory} holds more than ${MAX_FILES} files: not a package`)
    const size = (await lstat(path)).size
    bytes += size
    if (bytes > MAX_BYTES) throw new Error(`${directory} holds more than ${MAX_BYTES} bytes: not a package`)
    files.set(name, await readFile(path))
  }
  return files
}
