/**
 * Every HTTP server hostplane runs (the built-in static server, the control and ops endpoints)
 * answers a client that half-closes the connection after sending its request (`shutdown(SHUT_WR)`,
 * as scripted clients and some load balancers do), as nginx does. Node's HTTP server aborts the
 * requests of a connection as soon as it reads the client's end, so any response not written in
 * the same tick (a file read, an async route) was never sent: 188 of 200 such clients got nothing
 * from `hostplane serve` (bench/half-close.ts). With `httpAllowHalfOpen` it finishes the responses
 * and then closes the connection. The flag is a property of `http.Server` (and `https.Server`),
 * not a `createServer` option, and is missing from Node's type definitions.
 */
import type { Server } from 'node:net'

export function answerHalfClosedClients<S extends Server>(server: S): S {
  Object.assign(server, { httpAllowHalfOpen: true })
  return server
}
