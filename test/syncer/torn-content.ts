/**
 * Files for torn-read checks and how a response is judged: each file names its revision and is
 * 16 KiB, large enough to be written in several chunks, so a file read while being written, or a
 * response cut short, shows. Used by the syncer's torn-read test, test/mirror and bench/mirror.ts.
 */
import { type RawResponse, sendRequest } from '../serving/http-request.js'

export const FILES = ['index.html', 'style.css', 'app.js']

export const content = (revision: number, file: string) =>
  `${file} rev ${revision}\n${String(revision % 10).repeat(16 * 1024)}\n`
export const revisionOf = (text: string) => Number(/ rev (\d+)\n/.exec(text)?.[1] ?? -1)
export const files = (revision: number) => Object.fromEntries(FILES.map((f) => [f, content(revision, f)]))

/** GETs one path; a failed connection is answered as status 0 with the error as body. */
export const getFile = (port: number, path: string, host: string): Promise<RawResponse> =>
  sendRequest({ port, method: 'GET', path, headers: { Host: host } }).catch((error: Error): RawResponse => ({
    status: 0,
    headers: {},
    repeatedHeaders: [],
    body: `error ${error.message}`,
  }))

export interface ResponseProblem {
  /** missing: not a 200; torn: a 200 that is not one revision's complete file. */
  readonly kind: 'missing' | 'torn'
  readonly what: string
}

export function responseProblem(file: string, response: RawResponse): ResponseProblem | undefined {
  const length = Number(response.headers['content-length'])
  const what = `${file}: ${response.status}, ${response.body.length} of ${length} bytes (${response.body.slice(0, 40)})`
  if (response.status !== 200) return { kind: 'missing', what }
  if (length !== response.body.length || response.body !== content(revisionOf(response.body), file))
    return { kind: 'torn', what }
  return undefined
}
