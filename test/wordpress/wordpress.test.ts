/**
 * One-click WordPress for real (issue 17): `hostplane wordpress create`'s work, done with a
 * tenant's own credentials on a real API server, makes a Database that the operator creates on a
 * real MariaDB, a keys Secret and a Webspace of the wordpress Runtime. The test then plays the
 * node: it runs the WordPress code from the Runtime's pinned source (the same packages, checksums,
 * assemble script and wp-config.php the Runtime's build uses) with Debian's PHP, with the
 * environment the Webspace's Deployment gives the container, read from the tenant's Secrets; it
 * completes the installation with the install token, and gets the front page, the login page and
 * the dashboard.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import type { Database, Webspace } from '../../src/api/resources.js'
import { findCondition } from '../../src/kube/conditions.js'
import type { KubeObject } from '../../src/kube/object.js'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerGroup, customerNamespace } from '../../src/operator/customer/names.js'
import { DATABASE_SERVERS, DATABASES } from '../../src/operator/database/owned.js'
import type { Operator } from '../../src/operator/operator.js'
import { createWordPress } from '../../src/wordpress/create.js'
import { renderWordPressRuntime } from '../../src/wordpress/runtime.js'
import type { WordPressSite } from '../../src/wordpress/site.js'
import { pushStarter } from '../../src/wordpress/starter.js'
import { INSTALL_COOKIE, WORDPRESS_ENV } from '../../src/wordpress/wp-config.js'
import { clusterForTests } from '../cluster/for-tests.js'
import {
  createDatabaseServer,
  type DatabaseServerUnderTest,
  databasesUnavailable,
  startMariaDb,
} from '../database/servers.js'
import { OperatorEnv } from '../operator/harness.js'
import { assembledWordPress, type PhpServer, phpUnavailable, startPhp } from './wordpress-for-tests.js'

const run = promisify(execFile)
const env = await clusterForTests()
const unavailable = (await databasesUnavailable()) || (await phpUnavailable())

interface Secret extends KubeObject {
  readonly data: Record<string, string>
}

interface Deployment extends KubeObject {
  readonly spec: {
    template: {
      spec: {
        containers: {
          env?: {
            name: string
            value?: string
            valueFrom?: { secretKeyRef: { name: string; key: string } }
          }[]
        }[]
      }
    }
  }
}

/** The cookies of a response, as a browser would send them back. */
const cookiesOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ')

describe(
  'one-click WordPress: a tenant’s site on a real API server and MariaDB, run from the pinned source',
  { skip: env.skip || unavailable },
  () => {
    let test: OperatorEnv
    let operator: Operator
    let mariadb: DatabaseServerUnderTest
    let tenant: KubeRest
    let namespace: string
    let wordpress: Awaited<ReturnType<typeof assembledWordPress>>
    let php: PhpServer | undefined
    let site: WordPressSite
    const serverName = () => `wp-maria-${test.tag}`

    const get = <T>(apiVersion: string, plural: string, name: string) =>
      tenant.request<T>('GET', resourcePath({ apiVersion, plural, namespace, name }))
    const secret = async (name: string) =>
      Object.fromEntries(
        Object.entries((await get<Secret>('v1', 'secrets', name)).data).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString('utf8'),
        ]),
      )

    /** Neither the keys Secret nor the Database of the site `name` exists. */
    const assertAbsent = async (name: string) => {
      await assert.rejects(get('v1', 'secrets', `${name}-wordpress`), { status: 404 })
      await assert.rejects(get(DATABASES.apiVersion, DATABASES.plural, name), { status: 404 })
    }

    /** The container's environment as the node would give it: values, and keys of the tenant's Secrets. */
    const containerEnv = async () => {
      const deployment = await test.waitUntil(`the Deployment of ${namespace}/${site.name}`, () =>
        test.admin
          .request<Deployment>(
            'GET',
            resourcePath({ apiVersion: 'apps/v1', plural: 'deployments', namespace, name: site.name }),
          )
          .catch(() => undefined),
      )
      const entries = deployment.spec.template.spec.containers[0]?.env ?? []
      const resolved: Record<string, string> = {}
      for (const entry of entries) {
        const ref = entry.valueFrom?.secretKeyRef
        const value = ref ? (await secret(ref.name))[ref.key] : entry.value
        assert.ok(value !== undefined, `${entry.name}: no value in ${ref?.name}/${ref?.key}`)
        resolved[entry.name] = value
      }
      return resolved
    }

    before(async () => {
      const cluster = await env.get()
      mariadb = await startMariaDb()
      test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'wp')
      await test.setUp()
      const customer = `wp-${test.tag}`
      await test.createCustomer(customer)
      namespace = customerNamespace({ metadata: { name: customer }, spec: { tier: 'shared' } })
      await createDatabaseServer(test, serverName(), mariadb, {
        limits: { maxDatabaseSize: '64Mi', maxConnectionsPerUser: 10 },
      })
      // The built-in Runtime, as the install applies it (the same object on every run).
      const runtime = renderWordPressRuntime()
      await test.admin.apply(
        resourcePath({ apiVersion: runtime.apiVersion, plural: 'runtimes', name: runtime.metadata.name }),
        runtime,
        {
          fieldManager: 'hostplane-install',
        },
      )
      operator = await test.startOperator({ databaseRecheckMs: 1500 })
      await test.waitForCustomer(customer, 'Ready', 'True', 'Ready')
      tenant = new KubeRest(await cluster.userKubeConfig(`owner-${test.tag}`, [customerGroup(customer)]))
      site = {
        name: 'blog',
        namespace,
        domain: `blog.${customer}.example`,
        tls: 'auto',
        storage: '1Gi',
        branch: 'main',
        databaseServer: serverName(),
      }
      wordpress = await assembledWordPress()
    })

    after(async () => {
      await php?.stop()
      await operator?.stop()
      await test?.admin
        .request('PATCH', resourcePath({ ...DATABASES, namespace, name: 'blog' }), {
          body: { metadata: { finalizers: null } },
          contentType: 'application/merge-patch+json',
        })
        .catch(() => {})
      await test?.admin
        .request('DELETE', resourcePath({ ...DATABASE_SERVERS, name: serverName() }))
        .catch(() => {})
      await test?.tearDown()
      test?.admin.close()
      tenant?.close()
      await mariadb?.stop()
      await wordpress?.remove()
      await env.release()
    })

    it('creates the site with the tenant’s credentials: a Database made on the server, a keys Secret, a Webspace with the domain and an uploads volume', async () => {
      const created = await createWordPress(tenant, site)
      assert.deepEqual(created.lines, [
        `Secret ${namespace}/blog-wordpress created (keys and install token)`,
        `Database ${namespace}/blog created`,
        `Webspace ${namespace}/blog created`,
      ])
      const token = (await secret('blog-wordpress'))['install-token']
      assert.equal(created.installLink, `https://${site.domain}/wp-admin/install.php?token=${token}`)
      const database = await test.waitUntil('the Database is Ready', async () => {
        const current = await get<Database>(DATABASES.apiVersion, DATABASES.plural, 'blog')
        return findCondition(current.status?.conditions, 'Ready')?.status === 'True' ? current : undefined
      })
      assert.equal(database.status?.server, serverName())
      const webspace = await get<Webspace>('hostplane.dev/v1alpha1', 'webspaces', 'blog')
      assert.equal(webspace.spec.runtime, 'wordpress')
      assert.deepEqual(webspace.spec.domains, [site.domain])
      assert.deepEqual(webspace.spec.storage, { size: '1Gi', mountPath: '/var/www/html/wp-content/uploads' })
      const claim = await test.waitUntil('the uploads volume claim', () =>
        test.admin
          .request<KubeObject & { spec: { resources: { requests: { storage: string } } } }>(
            'GET',
            resourcePath({ apiVersion: 'v1', plural: 'persistentvolumeclaims', namespace, name: 'blog' }),
          )
          .catch(() => undefined),
      )
      assert.equal(claim.spec.resources.requests.storage, '1Gi')
    })

    it('installs only with the install token, then serves the front page, the login page and the dashboard from the tenant’s database', async () => {
      const environment = await containerEnv()
      assert.equal(environment[WORDPRESS_ENV.url], `https://${site.domain}`)
      // The test reaches the site at its own address, not the domain.
      php = await startPhp(wordpress.dir, (url) => ({ ...environment, [WORDPRESS_ENV.url]: url }))
      const { url } = php

      const front = await fetch(`${url}/`, { redirect: 'manual' })
      assert.equal(front.status, 302)
      assert.equal(front.headers.get('location'), `${url}/wp-admin/install.php`)
      for (const path of ['/wp-admin/install.php', '/wp-admin/install.php?token=guess'])
        assert.equal((await fetch(`${url}${path}`)).status, 403, path)
      const token = environment[WORDPRESS_ENV.installToken] ?? ''
      const form = await fetch(`${url}/wp-admin/install.php?token=${encodeURIComponent(token)}`)
      assert.equal(form.status, 200)
      assert.match(await form.text(), /name="weblog_title"/)
      const cookie = cookiesOf(form)
      assert.ok(cookie.startsWith(`${INSTALL_COOKIE}=`))

      const fields = new URLSearchParams({
        weblog_title: 'A hostplane blog',
        user_name: 'owner',
        admin_password: 'correct horse battery staple 17',
        admin_password2: 'correct horse battery staple 17',
        admin_email: 'owner@example.com',
        blog_public: '0',
        language: '',
      })
      const intruder = await fetch(`${url}/wp-admin/install.php?step=2`, { method: 'POST', body: fields })
      assert.equal(intruder.status, 403)
      const installed = await fetch(`${url}/wp-admin/install.php?step=2`, {
        method: 'POST',
        body: fields,
        headers: { cookie },
      })
      assert.match(await installed.text(), /Success!/)

      const home = await fetch(`${url}/`)
      assert.equal(home.status, 200)
      assert.match(await home.text(), /<title>[^<]*A hostplane blog/)
      const login = await fetch(`${url}/wp-login.php`)
      assert.equal(login.status, 200)
      assert.match(await login.text(), /name="log"|id="user_login"/)
      const signedIn = await fetch(`${url}/wp-login.php`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: 'wordpress_test_cookie=WP%20Cookie%20check' },
        body: new URLSearchParams({ log: 'owner', pwd: 'correct horse battery staple 17', testcookie: '1' }),
      })
      assert.equal(signedIn.status, 302)
      const session = cookiesOf(signedIn)
      const dashboard = await fetch(`${url}/wp-admin/`, { headers: { cookie: session } })
      assert.equal(dashboard.status, 200)
      assert.match(await dashboard.text(), /Dashboard/)
      // Code comes from a Release: the admin screen cannot install a plugin.
      const plugins = await fetch(`${url}/wp-admin/plugin-install.php`, { headers: { cookie: session } })
      assert.equal(plugins.status, 403)

      // The site lives in the tenant's database, under the name and user its Secret gave.
      const database = await secret('blog-database')
      const title = await mariadb.sql(`SELECT option_value FROM wp_options WHERE option_name = 'blogname'`, {
        username: database.username ?? '',
        password: database.password ?? '',
        database: database.database ?? '',
      })
      assert.match(title, /A hostplane blog/)
    })

    it('running it again keeps the keys and the install token and applies the new choices', async () => {
      const before = await secret('blog-wordpress')
      const again = await createWordPress(tenant, { ...site, storage: '2Gi' })
      assert.deepEqual(again.lines, [
        `Secret ${namespace}/blog-wordpress kept (its keys and install token stay)`,
        `Database ${namespace}/blog configured`,
        `Webspace ${namespace}/blog configured`,
      ])
      assert.deepEqual(await secret('blog-wordpress'), before)
      const webspace = await get<Webspace>('hostplane.dev/v1alpha1', 'webspaces', 'blog')
      assert.equal(webspace.spec.storage?.size, '2Gi')
    })

    it('refuses a domain the Customer may not use with the API server’s words, before writing anything', async () => {
      await assert.rejects(
        createWordPress(tenant, { ...site, name: 'elsewhere', domain: 'blog.example.org' }),
        (error: Error) => {
          assert.match(
            error.message,
            /^Webspace sh-wp-[0-9a-f]+\/elsewhere \(nothing was changed\): forbidden: .*blog\.example\.org not allowed for customer/,
          )
          return true
        },
      )
      await assertAbsent('elsewhere')
    })

    it('refuses a name that another object of the tenant holds, and changes nothing', async () => {
      await test.createWebspace(namespace, 'shop', { runtime: 'wordpress' })
      await assert.rejects(createWordPress(tenant, { ...site, name: 'shop' }), {
        message: `Webspace ${namespace}/shop already exists and is not part of the WordPress site shop; choose another name (nothing was changed)`,
      })
      for (const [plural, name] of [
        ['secrets', 'shop-wordpress'],
        ['databases', 'shop'],
      ] as const)
        await assert.rejects(get(plural === 'secrets' ? 'v1' : DATABASES.apiVersion, plural, name), {
          status: 404,
        })
    })

    it('pushes the first commit of wp-content to the webspace’s repository, and never over a branch that exists', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hp-wordpress-remote-'))
      try {
        const remote = join(dir, 'blog.git')
        await run('git', ['init', '--quiet', '--bare', remote])
        assert.match(await pushStarter(remote, 'main'), /^pushed the first commit to .* \(main\)/)
        const { stdout } = await run('git', ['-C', remote, 'ls-tree', '-r', '--name-only', 'main'])
        assert.deepEqual(stdout.trim().split('\n').sort(), [
          '.gitignore',
          'README.md',
          'wp-content/mu-plugins/.gitkeep',
          'wp-content/plugins/.gitkeep',
          'wp-content/themes/.gitkeep',
        ])
        assert.equal(await pushStarter(remote, 'main'), `${remote} has main already: nothing pushed`)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })
  },
)
