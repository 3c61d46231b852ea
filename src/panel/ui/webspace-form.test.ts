import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { WebspaceSpec } from '../../api/webspace.js'
import { webspaceFormValues, webspaceSpec } from './webspace-form.js'

const base: WebspaceSpec = {
  runtime: 'php-8.3',
  tls: { mode: 'none' },
  git: { branch: 'main', previews: { enabled: true, ttl: '24h' } },
  env: [{ name: 'APP_ENV', value: 'production' }],
  release: 'shop-1',
  replicas: 2,
  size: 'medium',
}

describe('the Webspace form and its spec', () => {
  it('a new webspace has the runtime, the branch and what else was filled in', () =>
    assert.deepEqual(webspaceSpec({ runtime: ' node-22 ', git: '', replicas: '0', size: '' }), {
      runtime: 'node-22',
      git: { branch: 'main' },
      tls: { mode: 'auto' },
      replicas: 0,
    }))

  it('an edit keeps the environment, previews and a pinned release, and clears what the form emptied', () => {
    const spec = webspaceSpec(
      { ...webspaceFormValues({ name: 'shop', spec: base }), replicas: '', size: '' },
      base,
    )
    assert.deepEqual(spec, {
      runtime: 'php-8.3',
      tls: { mode: 'none' },
      git: { branch: 'main', previews: { enabled: true, ttl: '24h' } },
      env: [{ name: 'APP_ENV', value: 'production' }],
      release: 'shop-1',
    })
  })
})
