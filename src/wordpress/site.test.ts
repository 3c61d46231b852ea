import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatFieldErrors, validateResource } from '../api/validate.js'
import { installLink, renderDatabase, renderKeysSecret, renderWebspace, type WordPressSite } from './site.js'
import { WORDPRESS_ENV, WORDPRESS_KEYS } from './wp-config.js'

const site: WordPressSite = {
  name: 'blog',
  namespace: 'sh-acme',
  domain: 'blog.example.com',
  tls: 'auto',
  storage: '1Gi',
  branch: 'main',
}

describe('a WordPress site', () => {
  it('is a Database and a Webspace the schemas accept, all labelled with the site', () => {
    for (const object of [renderDatabase(site), renderWebspace(site)]) {
      const result = validateResource(object)
      assert.ok(result.ok, result.ok ? '' : formatFieldErrors(result.errors))
      assert.equal(object.metadata.labels?.['hostplane.dev/wordpress'], 'blog')
    }
    assert.equal(renderDatabase(site).spec.deletionPolicy, 'Retain')
    assert.equal(renderDatabase({ ...site, databaseServer: 'maria-eu' }).spec.server, 'maria-eu')
  })

  it('gives the webspace the database and keys from Secrets, and a preview none of them', () => {
    const env = renderWebspace(site).spec.env ?? []
    const secretNames = (secret: string) =>
      env.filter((e) => e.secretKeyRef?.name === secret).map((e) => [e.name, e.secretKeyRef?.key])
    assert.deepEqual(secretNames('blog-database'), [
      [WORDPRESS_ENV.dbHost, 'host'],
      [WORDPRESS_ENV.dbPort, 'port'],
      [WORDPRESS_ENV.dbName, 'database'],
      [WORDPRESS_ENV.dbUser, 'username'],
      [WORDPRESS_ENV.dbPassword, 'password'],
    ])
    assert.deepEqual(
      secretNames('blog-wordpress').map(([name]) => name),
      [...WORDPRESS_KEYS.map((key) => `WORDPRESS_${key}`), WORDPRESS_ENV.installToken],
    )
    assert.ok(env.filter((e) => e.secretKeyRef).every((e) => e.productionOnly === true))
    assert.deepEqual(
      env.find((e) => e.name === WORDPRESS_ENV.url),
      { name: WORDPRESS_ENV.url, value: 'https://blog.example.com' },
    )
  })

  it('keeps uploads on a volume and serves the domain, over HTTP only when asked', () => {
    const webspace = renderWebspace({ ...site, tls: 'none', size: 'medium' })
    assert.deepEqual(webspace.spec.storage, { size: '1Gi', mountPath: '/var/www/html/wp-content/uploads' })
    assert.deepEqual(webspace.spec.domains, ['blog.example.com'])
    assert.equal(webspace.spec.size, 'medium')
    assert.equal(webspace.spec.env?.[0]?.value, 'http://blog.example.com')
    assert.equal(
      installLink({ ...site, tls: 'none' }, 'a+b/c'),
      'http://blog.example.com/wp-admin/install.php?token=a%2Bb%2Fc',
    )
  })

  it('makes every key and the install token by the generator it is given', () => {
    let n = 0
    const secret = renderKeysSecret(site, () => `key-${++n}`, 'token')
    assert.equal(secret.metadata.name, 'blog-wordpress')
    assert.deepEqual(Object.keys(secret.stringData), [...WORDPRESS_KEYS, 'install-token'])
    assert.equal(new Set(Object.values(secret.stringData)).size, WORDPRESS_KEYS.length + 1)
  })
})
