/**
 * BuildKit's own Dockerfile parser and instruction parser, at the version the install builds with
 * (moby/buildkit v0.20.2, src/build/jobs/settings.ts), built from tools/dockerfile: no BuildKit runs
 * in the tests, and a Runtime's Dockerfile that only BuildKit would reject must not wait for a
 * tenant's first build to say so. Outside CI a machine without Go skips what needs it with the
 * reason; under CI=true that is a failure (`.ci/run` builds it with `npm run dockerfile:build`).
 */
import { ensureGoTools, type GoTools, goToolsUnavailable } from '../cluster/go-tools.js'
import { run } from '../cluster/process.js'

export const DOCKERFILE_CHECK: GoTools<'dockerfile-check'> = {
  name: 'dockerfile',
  pinnedModule: 'github.com/moby/buildkit',
  binaries: { 'dockerfile-check': 'hostplane.dev/tools/dockerfile/check' },
  buildTimeoutMinutes: 10,
}

/** Reason the checker cannot run here, or false when it can (building it if needed). */
export const dockerfileCheckUnavailable = (): Promise<string | false> =>
  goToolsUnavailable(DOCKERFILE_CHECK, 'Dockerfile', () => {})

/** BuildKit's objections to `text`, one per line ("line N: message"); none when it parses. */
export async function dockerfileParseProblems(text: string): Promise<string[]> {
  const { paths } = await ensureGoTools(DOCKERFILE_CHECK)
  const result = await run(paths['dockerfile-check'], [], { input: text, timeoutMs: 30_000 })
  const problems = result.stdout.split('\n').filter(Boolean)
  if (result.code === 0 && problems.length === 0) return []
  if (result.code === 1 && problems.length > 0) return problems
  throw new Error(`dockerfile-check exited with ${result.code}:\n${result.stdout}${result.stderr}`)
}
