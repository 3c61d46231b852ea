import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { httpsLocation } from './https-redirect.js'

describe('httpsLocation', () => {
  const cases: [string, string | undefined, string, number, string | undefined][] = [
    ['keeps path and query, on the standard port', 'a.test', '/docs/?q=1', 443, 'https://a.test/docs/?q=1'],
    [
      'names the HTTPS port when the visitor named the HTTP port',
      'a.test:8080',
      '/',
      8443,
      'https://a.test:8443/',
    ],
    ['leaves out port 443 even then', 'a.test:8080', '/', 443, 'https://a.test/'],
    ['assumes a port redirect when the Host has no port', 'A.Test', '/x', 8443, 'https://a.test/x'],
    ['leaves a request without Host to the site rules', undefined, '/', 443, undefined],
    ['leaves a target that is not a path to the site rules', 'a.test', 'http://b.test/', 443, undefined],
    ['never writes a protocol-relative path', 'a.test', '//b.test/', 443, undefined],
  ]
  for (const [name, host, target, port, expected] of cases)
    it(name, () => assert.equal(httpsLocation(host, target, port), expected))
})
