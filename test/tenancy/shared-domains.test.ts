import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Webspace } from '../../src/api/resources.js'
import { siteKey } from '../../src/api/site-key.js'
import { findCondition } from '../../src/kube/conditions.js'
import { KubeApiError, KubeRest } from '../../src/kube/rest.js'
import { REASON as CUSTOMER_REASON } from '../../src/operator/customer/conditions.js'
import type { Operator } from '../../src/operator/operator.js'
import { REASON } from '../../src/operator/staticsite/conditions.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sleep } from '../cluster/process.js'
import { OperatorEnv } from '../operator/harness.js'

const env = await clusterForTests()

describe(
  'one owner per domain across StaticSites and Webspaces, on a real API server',
  { skip: env.skip },
  () => {
    let test: OperatorEnv
    let operator: Operator
    let runtime: string
    // Two customers that both list the contested domain: only the claim index can decide.
    const first = () => `one-${test.tag}`
    const second = () => `two-${test.tag}`
    const domain = () => `www.clash-${test.tag}.example`

    const claimed = (webspace: Webspace) => findCondition(webspace.status?.conditions, 'DomainClaimed')
    /** Creates through the domain admission policy, which may read a just-changed Customer a moment late. */
    const createAdmitted = (what: string, create: () => Promise<unknown>) =>
      test.waitUntil(`${what} admitted`, () =>
        create().then(
          () => true,
          (error: unknown) => {
            if (error instanceof KubeApiError && error.status === 403) return undefined
            throw error
          },
        ),
      )

    before(async () => {
      const cluster = await env.get()
      test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'claims')
      await test.setUp()
      runtime = await test.createRuntime()
      operator = await test.startOperator({ resyncMs: 1000 })
      for (const name of [first(), second()]) {
        await test.createCustomer(name, {
          size: 'large',
          domains: [`clash-${test.tag}.example`],
          // The two customers share a domain on purpose: an admin's decision the admission policy asks for.
          ...(name === second() ? { domainOverlap: { allowedWith: [first()] } } : {}),
        })
        await test.waitForCustomer(name, 'Ready', 'True', CUSTOMER_REASON.Ready)
      }
    })

    after(async () => {
      await operator?.stop()
      await test?.tearDown()
      test?.admin.close()
      await env.release()
    })

    it('a Webspace loses a domain a StaticSite of another customer claimed first, naming it, and takes over once the site is gone', async () => {
      const siteNamespace = `sh-${first()}`
      const webspaceNamespace = `sh-${second()}`
      await test.createSite(siteNamespace, 'blog', { domains: [domain()] })
      await test.waitForCondition(siteNamespace, 'blog', 'Routed', 'True')

      await test.createWebspace(webspaceNamespace, 'shop', { runtime, domains: [domain()] })
      const lost = await test.waitForWebspace(
        webspaceNamespace,
        'shop',
        'DomainOwnedByOtherNamespace',
        (w) => claimed(w)?.reason === REASON.DomainOwnedByOtherNamespace,
      )
      assert.match(
        claimed(lost)?.message ?? '',
        new RegExp(`namespace ${siteNamespace}, where StaticSite blog`),
      )
      assert.equal(lost.status?.url, undefined)
      assert.equal(await test.webspaceRoutes(webspaceNamespace), 0, 'no IngressRoute and no Certificate')
      assert.deepEqual((await test.eventReasons('Webspace', 'shop', webspaceNamespace)).sort(), [
        REASON.DomainOwnedByOtherNamespace,
        'ObjectsApplied',
      ])
      await test.waitForCondition(siteNamespace, 'blog', 'Routed', 'True', REASON.RouteApplied)

      await test.deleteSite(siteNamespace, 'blog')
      const won = await test.waitForWebspace(
        webspaceNamespace,
        'shop',
        'holds the domain',
        (w) => claimed(w)?.status === 'True',
      )
      assert.equal(won.status?.url, `https://${domain()}/`)
      await test.waitUntil('the webspace’s route and Certificate', async () =>
        (await test.webspaceRoutes(webspaceNamespace)) === 2 ? true : undefined,
      )
    })

    it('a StaticSite newer than the Webspace holding its domain gets no route, and is routed once the webspace drops the domain', async () => {
      const siteNamespace = `sh-${first()}`
      const webspaceNamespace = `sh-${second()}`
      const shop = await test.waitForWebspace(
        webspaceNamespace,
        'shop',
        'holds',
        (w) => claimed(w)?.status === 'True',
      )
      // Creation times have second precision and equal times fall back to names (sh-one < sh-two):
      // the site must be created in a later second to be the newer claim.
      await sleep(Math.max(0, Date.parse(shop.metadata.creationTimestamp ?? '') + 1100 - Date.now()))
      await test.createSite(siteNamespace, 'late', { domains: [domain()] })
      const late = await test.waitForCondition(
        siteNamespace,
        'late',
        'DomainClaimed',
        'False',
        REASON.DomainOwnedByOtherNamespace,
      )
      assert.match(
        findCondition(late.status?.conditions, 'DomainClaimed')?.message ?? '',
        new RegExp(`namespace ${webspaceNamespace}, where Webspace shop`),
      )
      assert.deepEqual(await test.generated('IngressRoute', siteKey(siteNamespace, 'late')), [])
      assert.deepEqual(await test.generated('Certificate', siteKey(siteNamespace, 'late')), [])

      await test.admin.request('PATCH', test.webspacePath(webspaceNamespace, 'shop'), {
        body: { spec: { domains: [`shop.clash-${test.tag}.example`] } },
        contentType: 'application/merge-patch+json',
      })
      await test.waitForCondition(siteNamespace, 'late', 'Routed', 'True', REASON.RouteApplied)
      assert.equal(
        (await test.generated('IngressRoute', siteKey(siteNamespace, 'late'))).length,
        2,
        'the site and its HTTP → HTTPS route',
      )
    })

    it('a Customer dropping a domain takes the route and Certificate off its site and webspace on it (DomainNotAllowed), and the domain passes to the customer still listing it', async () => {
      const clash = `clash-${test.tag}.example`
      const moved = `moved-${test.tag}.example`
      const [leaving, staying] = [`sh-${first()}`, `sh-${second()}`]
      await test.updateCustomer(first(), { domains: [clash, moved] })
      await test.updateCustomer(second(), { domains: [clash, moved] })
      await createAdmitted('the leaving site', () =>
        test.createSite(leaving, 'moving', { domains: [`www.${moved}`] }),
      )
      await createAdmitted('the leaving webspace', () =>
        test.createWebspace(leaving, 'app', { runtime, domains: [`app.${moved}`] }),
      )
      const routed = await test.waitForCondition(leaving, 'moving', 'Routed', 'True', REASON.RouteApplied)
      await test.waitForWebspace(leaving, 'app', 'holds app domain', (w) => claimed(w)?.status === 'True')
      await sleep(Math.max(0, Date.parse(routed.metadata.creationTimestamp ?? '') + 1100 - Date.now()))
      await createAdmitted('the heir site', () =>
        test.createSite(staying, 'heir', { domains: [`www.${moved}`] }),
      )
      await test.waitForCondition(
        staying,
        'heir',
        'DomainClaimed',
        'False',
        REASON.DomainOwnedByOtherNamespace,
      )

      await test.updateCustomer(first(), { domains: [clash] })
      const refused = await test.waitForCondition(
        leaving,
        'moving',
        'Routed',
        'False',
        REASON.DomainNotAllowed,
      )
      assert.equal(
        findCondition(refused.status?.conditions, 'DomainClaimed')?.message,
        `domain www.${moved} is not allowed for customer ${first()}: domains must be under ${clash} or the own default domain moving-${leaving}.${test.config.pagesDomain}; remove it from spec.domains, or ask the platform operator to add it to the Customer's spec.domains`,
      )
      assert.equal(refused.status?.url, undefined)
      await test.waitUntil('the leaving site’s route and Certificate are gone', async () => {
        const left = [
          ...(await test.generated('IngressRoute', siteKey(leaving, 'moving'))),
          ...(await test.generated('Certificate', siteKey(leaving, 'moving'))),
        ]
        return left.length === 0 ? true : undefined
      })
      const app = await test.waitForWebspace(
        leaving,
        'app',
        'DomainNotAllowed',
        (w) => claimed(w)?.reason === REASON.DomainNotAllowed,
      )
      assert.equal(app.status?.url, undefined)
      await test.waitUntil('the leaving webspace’s route and Certificate are gone', async () =>
        (await test.webspaceRoutes(leaving)) === 0 ? true : undefined,
      )
      assert.ok(
        (await test.eventReasons('StaticSite', 'moving', leaving)).includes(REASON.DomainNotAllowed),
        'an Event says why',
      )

      await test.waitForCondition(staying, 'heir', 'Routed', 'True', REASON.RouteApplied)
      assert.equal((await test.generated('IngressRoute', siteKey(staying, 'heir'))).length, 2)
    })
  },
)
