/** `npm run pebble:build`: Pebble and pebble-challtestsrv for the ACME tests; a no-op when cached. */
import { ensureGoTools, ToolchainMissingError } from '../cluster/go-tools.js'
import { PEBBLE } from './pebble.js'

try {
  console.log((await ensureGoTools(PEBBLE)).dir)
} catch (error) {
  console.error(error instanceof ToolchainMissingError ? error.message : error)
  process.exitCode = 1
}
