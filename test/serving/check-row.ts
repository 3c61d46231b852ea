/** Runs one row of the shared table against a server listening on `port`, and checks the answer. */
import assert from 'node:assert/strict'
import { sendRequest } from './http-request.js'
import { publishTree } from './published-tree.js'
import { type Row, SITES, TREES } from './table.js'

/** Publishes every site of the table under `root`, as the syncer would. */
export async function publishTable(root: string): Promise<void> {
  for (const [name, site] of Object.entries(SITES))
    await publishTree(root, site.key, 'c1', TREES[name as keyof typeof SITES])
}

/**
 * Sends the row's request (to `path`, which the nginx run rewrites as Traefik would) and asserts
 * `expect` (the row's own, or its `viaTraefik` for the run through Traefik), and that no header
 * came twice.
 */
export async function checkRow(port: number, row: Row, path = row.path, expect = row.expect): Promise<void> {
  const response = await sendRequest({
    port,
    method: row.method ?? 'GET',
    path: row.absoluteForm ? `http://${row.absoluteForm}${path}` : path,
    headers: { Host: row.host ?? SITES[row.site].domains[0] ?? '', ...row.headers },
    halfClose: row.halfClose,
  })
  const statuses = typeof expect.status === 'number' ? [expect.status] : expect.status
  const seen = `${response.status} ${JSON.stringify(response.headers)}\n${response.body.slice(0, 300)}`
  assert.ok(
    statuses.includes(response.status),
    `status ${response.status}, expected ${statuses.join(' or ')}\n${seen}`,
  )
  if (expect.location !== undefined) assert.equal(response.headers.location, expect.location, seen)
  if (expect.bodyIncludes !== undefined) assert.ok(response.body.includes(expect.bodyIncludes), seen)
  if (expect.bodyExcludes !== undefined) assert.ok(!response.body.includes(expect.bodyExcludes), seen)
  if (row.method === 'HEAD') assert.equal(response.body, '', 'HEAD has no body')
  assert.deepEqual(response.repeatedHeaders, [], `headers sent more than once\n${seen}`)
  for (const [name, value] of Object.entries(expect.headers ?? {}))
    assert.equal(response.headers[name], value ?? undefined, `header ${name}\n${seen}`)
}
