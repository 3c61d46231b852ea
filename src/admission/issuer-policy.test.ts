import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Customer } from '../api/resources.js'
import type { Manifest } from '../kube/object.js'
import { issuerNotAllowed } from '../operator/customer/cluster-issuers.js'
import { type AdmissionInput, evaluatePolicy } from './evaluate-policy.js'
import { customer } from '../operator/customer/fixtures.js'
import { renderIssuerPolicy } from './issuer-policy.js'

const config = { defaultIssuer: 'letsencrypt', tenantClusterIssuers: ['letsencrypt-staging'] }
const [policy] = renderIssuerPolicy(config) as [Manifest]
const acme: Customer = customer({ clusterIssuers: ['acme-ca'] })
const site = (clusterIssuer?: string) => ({
  metadata: { name: 'blog', namespace: 'sh-acme' },
  spec: { tls: { mode: 'auto', ...(clusterIssuer ? { clusterIssuer } : {}) } },
})
/** A write in the namespace of customer `owner` (its label), judged against the Customer `params`. */
const create = (clusterIssuer?: string, params: Customer = acme, owner = 'acme'): AdmissionInput => ({
  object: site(clusterIssuer),
  params,
  request: { operation: 'CREATE', namespace: `sh-${owner}` },
  namespaceObject: { metadata: { name: `sh-${owner}`, labels: { 'hostplane.dev/customer': owner } } },
})

describe('cluster issuer admission policy and rule', () => {
  const allowed: [string, AdmissionInput][] = [
    ['no issuer named (the platform default)', create()],
    ['the platform default named', create('letsencrypt')],
    ['a platform-wide tenant issuer', create('letsencrypt-staging')],
    ['an issuer the Customer lists in spec.clusterIssuers', create('acme-ca')],
    [
      'any issuer when judged against a Customer owning another namespace',
      create('platform-ca', acme, 'globex'),
    ],
    [
      'an update keeping an issuer stored before the policy (finalizers, other fields)',
      {
        ...create('platform-ca'),
        oldObject: site('platform-ca'),
        request: { operation: 'UPDATE', namespace: 'sh-acme' },
      },
    ],
  ]
  for (const [what, input] of allowed)
    it(`allows ${what}`, () => {
      assert.deepEqual(evaluatePolicy(policy, input), { allowed: true })
      if (input.params === acme && input.oldObject === undefined && input.request.namespace === 'sh-acme')
        assert.equal(
          issuerNotAllowed((input.object as ReturnType<typeof site>).spec.tls.clusterIssuer, acme, config),
          undefined,
        )
    })

  it('refuses a platform-only issuer, naming the customer and the issuers it may use', () => {
    const verdict = evaluatePolicy(policy, create('platform-ca'))
    assert.equal(
      verdict.allowed ? '' : verdict.message,
      "spec.tls.clusterIssuer: platform-ca is not allowed for customer acme: use one of letsencrypt, letsencrypt-staging, acme-ca, or leave it out for the platform default letsencrypt (ask the platform operator to add an issuer to the Customer's spec.clusterIssuers)",
    )
    assert.match(
      issuerNotAllowed('platform-ca', acme, config) ?? '',
      /^tls\.clusterIssuer platform-ca is not allowed for customer acme: use one of letsencrypt, letsencrypt-staging, acme-ca,/,
    )
  })

  it('refuses another customer’s extra issuer', () => {
    const globex = customer({}, 'globex')
    assert.equal(evaluatePolicy(policy, create('acme-ca', globex, 'globex')).allowed, false)
    assert.notEqual(issuerNotAllowed('acme-ca', globex, config), undefined)
  })

  it('refuses changing a stored issuer to a platform-only one', () => {
    const input: AdmissionInput = {
      ...create('platform-ca'),
      oldObject: site('acme-ca'),
      request: { operation: 'UPDATE', namespace: 'sh-acme' },
    }
    assert.equal(evaluatePolicy(policy, input).allowed, false)
  })

  it('allows every issuer outside customer namespaces (the platform’s own sites)', () => {
    assert.equal(issuerNotAllowed('platform-ca', undefined, config), undefined)
  })
})
