/**
 * schemathesis (PyPI), which fuzzes the panel's OpenAPI document in test/panel/openapi-fuzz*.test.ts,
 * pinned by the requirements beside this file (test/cluster/python-tools.ts installs it).
 * `tsx test/panel/schemathesis.ts` installs it (.ci/run does).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { OPENAPI_PATH } from '../../src/panel/panel-app.js'
import {
  cachedPythonTool,
  installFromCommandLine,
  type PythonTool,
  pythonToolUnavailable,
} from '../cluster/python-tools.js'

const SCHEMATHESIS: PythonTool = {
  name: 'schemathesis',
  requirements: join(import.meta.dirname, 'schemathesis-requirements.txt'),
  command: 'st',
  installHint: 'npx tsx test/panel/schemathesis.ts',
}

/** The `st` command, or undefined when it is not installed. */
export const cachedSchemathesis = () => cachedPythonTool(SCHEMATHESIS)

/** Reason the fuzzing suite cannot run here, or false when it can; thrown under CI. */
export const schemathesisUnavailable = () => pythonToolUnavailable(SCHEMATHESIS, 'OpenAPI fuzzing')

const run = promisify(execFile)

/** What every answer is checked for; the document declares each route's statuses and bodies. */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
].join(',')

/**
 * `st run` options that send what a browser signed in to the panel sends: its session cookie and,
 * for changes, the session's CSRF token from the panel's own origin. The document declares API
 * tokens beside the session, so schemathesis would otherwise add an `Authorization` header of its
 * own making, which the panel judges alone (a 401), and the requests would never reach the
 * session's routes.
 */
export function browserSession(
  cookie: string,
  change?: { readonly csrfToken: string; readonly origin: string },
): string[] {
  return [
    '--header',
    `Cookie: ${cookie}`,
    ...(change
      ? ['--header', `X-CSRF-Token: ${change.csrfToken}`, '--header', `Origin: ${change.origin}`]
      : []),
    '--generation-with-security-parameters',
    'false',
  ]
}

export interface FuzzOptions {
  /** Options of `st run`: credentials, filters. */
  readonly args: readonly string[]
  /** Hidden in the output shown on failure. */
  readonly secrets: readonly string[]
  /** A schemathesis.toml, e.g. dictionaries of values a real client knows. */
  readonly config?: string
}

/**
 * Runs schemathesis over the document of the panel at `panelUrl` and fails with its output,
 * secrets hidden, unless every check passed.
 */
export async function fuzzPanel(panelUrl: string, { args, secrets, config }: FuzzOptions) {
  const st = (await cachedSchemathesis()) ?? assert.fail('schemathesis is not installed')
  const dir = await mkdtemp(join(tmpdir(), 'hostplane-fuzz-'))
  const configFile = join(dir, 'schemathesis.toml')
  if (config !== undefined) await writeFile(configFile, config)
  const result = await run(
    st,
    [
      ...(config !== undefined ? ['--config-file', configFile] : []),
      'run',
      `${panelUrl}${OPENAPI_PATH}`,
      ...args,
      '--checks',
      CHECKS,
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      '25',
      '--seed',
      '1',
      // One worker: Python 3.11 before 3.11.8 keeps the AST constructor's recursion depth per
      // interpreter, so two threads parsing at once (hypothesis describes its lambdas with
      // ast.parse) fail at random with "AST constructor recursion depth mismatch"
      // (python/cpython#106905).
      '--workers',
      '1',
      '--request-timeout',
      '20',
      '--generation-database',
      'none',
      '--no-color',
    ],
    // Its own directory: schemathesis looks for a schemathesis.toml from where it runs.
    { timeout: 480_000, maxBuffer: 32 * 1024 * 1024, cwd: dir },
  )
    .then(
      ({ stdout }) => ({ ok: true, stdout }),
      (error: { stdout?: string; stderr?: string; message: string }) => ({
        ok: false,
        stdout: `${error.stdout ?? ''}\n${error.stderr ?? error.message}`,
      }),
    )
    .finally(() => rm(dir, { recursive: true, force: true }))
  const shown = secrets.reduce((text, secret) => text.split(secret).join('<secret>'), result.stdout)
  assert.ok(result.ok, shown.slice(-12_000))
  assert.match(result.stdout, /passed/i)
}

if (import.meta.url === `file://${process.argv[1]}`) await installFromCommandLine(SCHEMATHESIS)
