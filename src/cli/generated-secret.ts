/**
 * A secret hostplane makes up itself when the user gave none: created once with 32 random bytes,
 * readable by this user only, and read back on every later start so it stays the same.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

export async function generatedSecret(file: string): Promise<string> {
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (existing?.trim()) return existing.trim()
  await mkdir(dirname(file), { recursive: true })
  const value = randomBytes(32).toString('base64url')
  // `wx`: two processes starting at once must not each write their own; the loser reads the winner's.
  const written = await writeFile(file, `${value}\n`, { mode: 0o600, flag: 'wx' }).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return false
      throw error
    },
  )
  return written ? value : (await readFile(file, 'utf8')).trim()
}
