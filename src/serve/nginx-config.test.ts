import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { renderNginxConfig } from './nginx-config.js'

// What the configuration does is proven against real nginx by test/serving/nginx.test.ts; these
// pin the parameters and the settings the cluster relies on.
describe('renderNginxConfig', () => {
  const conf = renderNginxConfig({ listen: '8080', root: '/sites', runDir: '/tmp/nginx' })

  const settings: [string, string][] = [
    ['redirects are relative, so the site key prefix and internal port never leak', 'absolute_redirect off;'],
    ['the version is not advertised', 'server_tokens off;'],
    ['only the publish link is followed', 'disable_symlinks on from=/sites/$hostplane_site;'],
    ['the pid file is under the writable run directory', 'pid /tmp/nginx/nginx.pid;'],
    ['temp files are under the writable run directory', 'client_body_temp_path /tmp/nginx/client_body;'],
    ['errors go to stderr', 'error_log stderr warn;'],
    ['precompressed gzip is served', 'gzip_static on;'],
    ['it listens on the configured port', 'listen 8080 default_server;'],
    ['probes get an answer of their own, outside every site prefix', 'location = /healthz {'],
    [
      'requests of SPA-fallback sites lose their /_spa marker before any location',
      'rewrite ^/_spa(/[^/.][^/]*/.*)$ $1;',
    ],
  ]
  for (const [name, line] of settings) it(name, () => assert.ok(conf.includes(line), line))

  it('lists every extension once per type', () => {
    assert.ok(conf.includes('text/html html htm;'))
  })

  const unsafe: [string, Parameters<typeof renderNginxConfig>[0]][] = [
    ['a root with a space', { root: '/sites; include /etc/passwd' }],
    ['a relative root', { root: 'sites' }],
    ['a root with ..', { root: '/sites/../etc' }],
    ['a run directory with a quote', { runDir: '/tmp/"x' }],
    ['a listen value with a directive', { listen: '80; user root' }],
  ]
  for (const [name, options] of unsafe)
    it(`refuses ${name}`, () => assert.throws(() => renderNginxConfig(options)))
})
