import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { providerFetch, ProviderFetchError } from './provider-fetch.js'

const answer =
  (body: ConstructorParameters<typeof Response>[0], init: ResponseInit = {}) =>
  () =>
    Promise.resolve(new Response(body, init))

describe('providerFetch', () => {
  it('passes a small answer through with its status and headers, following no redirect', async () => {
    let redirect: RequestInit['redirect']
    const fetch = providerFetch({}, (_url, init) => {
      redirect = init.redirect
      return Promise.resolve(
        new Response('{"ok":true}', { status: 201, headers: { 'content-type': 'application/json' } }),
      )
    })
    const response = await fetch('https://idp.test/x', {})
    assert.equal(redirect, 'manual')
    assert.equal(response.status, 201)
    assert.equal(response.headers.get('content-type'), 'application/json')
    assert.deepEqual(await response.json(), { ok: true })
  })

  it('refuses a body over the limit, declared or streamed', async () => {
    await assert.rejects(
      providerFetch({ maxBytes: 10 }, answer('x'.repeat(11), { headers: { 'content-length': '11' } }))(
        'https://idp.test/a',
        {},
      ),
      (error) => error instanceof ProviderFetchError && /over the limit of 10/.test(error.message),
    )
    const stream = new ReadableStream({
      pull(controller) {
        controller.enqueue(new Uint8Array(8))
      },
    })
    await assert.rejects(
      providerFetch({ maxBytes: 100 }, answer(stream))('https://idp.test/b', {}),
      /more than 100 bytes/,
    )
  })

  it('gives up on a provider that does not answer in time', async () => {
    const never = (_url: string, init: RequestInit) =>
      new Promise<Response>((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      )
    // AbortSignal.timeout's timer does not hold the event loop open; a server's sockets do.
    const server = setTimeout(() => undefined, 5000)
    try {
      await assert.rejects(
        providerFetch({ timeoutMs: 50 }, never)('https://idp.test/slow', {}),
        (error) => error instanceof TypeError && /no answer within 50 ms/.test(error.message),
      )
    } finally {
      clearTimeout(server)
    }
  })

  it('keeps a body-less status body-less', async () => {
    assert.equal(
      (await providerFetch({}, answer(null, { status: 204 }))('https://idp.test/c', {})).status,
      204,
    )
  })
})
