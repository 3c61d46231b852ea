/**
 * schemathesis (PyPI), which fuzzes the panel's OpenAPI document in test/panel/openapi-fuzz.test.ts,
 * pinned by the requirements beside this file (test/cluster/python-tools.ts installs it).
 * `tsx test/panel/schemathesis.ts` installs it (.ci/run does).
 */
import { join } from 'node:path'
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

if (import.meta.url === `file://${process.argv[1]}`) await installFromCommandLine(SCHEMATHESIS)
