import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type ChallengeRequest, ChallengeResponder } from './challenge-responder.js'

const responder = new ChallengeResponder()
responder.add('a.test', 'tok-1', 'tok-1.thumbprint')
responder.add('b.test', 'tok-gone', 'tok-gone.thumbprint')
responder.remove('tok-gone')

const request = (target: string, host = 'a.test', method = 'GET'): ChallengeRequest => ({
  method,
  host,
  target,
})

describe('ChallengeResponder', () => {
  const cases: [string, ChallengeRequest, string | undefined][] = [
    [
      'answers a token it waits for on its domain',
      request('/.well-known/acme-challenge/tok-1'),
      'tok-1.thumbprint',
    ],
    [
      'answers with the port and any case in the Host header',
      request('/.well-known/acme-challenge/tok-1', 'A.Test:8080'),
      'tok-1.thumbprint',
    ],
    ['answers HEAD too', request('/.well-known/acme-challenge/tok-1', 'a.test', 'HEAD'), 'tok-1.thumbprint'],
    ['leaves an unknown token to the site rules', request('/.well-known/acme-challenge/guess'), undefined],
    [
      'leaves a token of another domain alone',
      request('/.well-known/acme-challenge/tok-1', 'c.test'),
      undefined,
    ],
    ['forgets a removed token', request('/.well-known/acme-challenge/tok-gone', 'b.test'), undefined],
    ['leaves other methods alone', request('/.well-known/acme-challenge/tok-1', 'a.test', 'POST'), undefined],
    ['leaves other paths alone', request('/tok-1'), undefined],
  ]
  for (const [name, input, expected] of cases)
    it(name, () => assert.equal(responder.keyAuthorization(input), expected))
})
