/**
 * The torn-read load on one replica: readers GET a site's files through that replica's nginx
 * without pause, and every response must be one revision's complete file (torn-content.ts).
 * Shared by test/mirror and bench/mirror.ts.
 */
import { nginxPrefix } from '../../src/api/site-key.js'
import { FILES, getFile, responseProblem, revisionOf } from '../syncer/torn-content.js'

export interface LoadResult {
  readonly responses: number
  /** Torn: a 200 that is not one revision's complete file. */
  readonly torn: readonly string[]
  /** Missing: a response that is not 200 (404, an error, a cut connection). */
  readonly missing: readonly string[]
}

export interface RunningLoad {
  /** Responses so far. */
  readonly responses: () => number
  /** Highest revision seen so far. */
  readonly newest: () => number
  stop(): Promise<LoadResult>
}

/** `readers` loops reading every file of site `key` through nginx on `port`. */
export function startLoad(port: number, key: string, readers = 2): RunningLoad {
  let running = true
  let responses = 0
  let newest = -1
  const problems = { torn: [] as string[], missing: [] as string[] }
  const reader = async () => {
    while (running)
      for (const file of FILES) {
        const response = await getFile(port, `${nginxPrefix(key, 'notFound')}/${file}`, 'mirror.test')
        responses++
        newest = Math.max(newest, revisionOf(response.body))
        const problem = responseProblem(file, response)
        if (problem) problems[problem.kind].push(problem.what)
      }
  }
  const all = Array.from({ length: readers }, reader)
  return {
    responses: () => responses,
    newest: () => newest,
    async stop() {
      running = false
      await Promise.all(all)
      return { responses, ...problems }
    },
  }
}
