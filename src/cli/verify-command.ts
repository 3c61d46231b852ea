/** What `hostplane verify` does once its arguments are parsed: read the package, judge it, say so. */
import { readPackage } from '../package/package-directory.js'
import { verifyPackage } from '../package/verify-package.js'

export async function verifyCommand(
  directory: string,
  flags: { output: 'text' | 'json' },
  out: NodeJS.WritableStream,
): Promise<number> {
  const verdict = verifyPackage(await readPackage(directory))
  if (flags.output === 'json') out.write(`${JSON.stringify({ package: directory, ...verdict })}\n`)
  else if (verdict.ok)
    out.write(
      `${directory}: intact: Release ${verdict.manifest.version} of ${verdict.manifest.namespace}/${verdict.manifest.webspace}, commit ${verdict.manifest.commit}, ${verdict.manifest.image}\n`,
    )
  else out.write(verdict.problems.map((problem) => `${directory}: ${problem}\n`).join(''))
  return verdict.ok ? 0 : 1
}
