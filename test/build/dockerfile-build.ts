/** `npm run dockerfile:build`: BuildKit's Dockerfile parser for test/build; a no-op when cached. */
import { ensureGoTools, ToolchainMissingError } from '../cluster/go-tools.js'
import { DOCKERFILE_CHECK } from './dockerfile-check.js'

try {
  console.log((await ensureGoTools(DOCKERFILE_CHECK)).dir)
} catch (error) {
  console.error(error instanceof ToolchainMissingError ? error.message : error)
  process.exitCode = 1
}
