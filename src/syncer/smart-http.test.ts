import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MalformedAnswer, pktLine, readPackets } from './pkt-line.js'
import { lsRefsRequest, parseInfoRefs, parseLsRefs, RemoteRefusal } from './smart-http.js'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const C = 'c'.repeat(40)
const body = (...packets: string[]) => Buffer.from(packets.join(''))
const line = (text: string) => pktLine(`${text}\n`)
const SERVICE = [line('# service=git-upload-pack'), '0000']

describe('pkt-line', () => {
  it('reads data, flush, delimiter and end packets, dropping one trailing newline', () => {
    assert.deepEqual(readPackets(body(line('one'), '0000', pktLine('two'), '0001', '0002')), {
      packets: [
        { kind: 'data', text: 'one' },
        { kind: 'flush' },
        { kind: 'data', text: 'two' },
        { kind: 'delim' },
        { kind: 'end' },
      ],
    })
  })

  it('writes the length of the payload plus its four digits, in lower-case hex', () => {
    assert.equal(pktLine('command=ls-refs\n'), '0014command=ls-refs\n')
    assert.equal(pktLine('x'.repeat(300)), `0130${'x'.repeat(300)}`)
  })

  it('stops at an ERR packet and returns the host’s words', () => {
    assert.deepEqual(readPackets(body(line('ok'), line('ERR access denied'), line('never read'))), {
      packets: [{ kind: 'data', text: 'ok' }],
      error: 'access denied',
    })
  })

  const malformed: [string, Buffer][] = [
    ['a length that is not hex', Buffer.from('00zzabc')],
    ['an upper-case or signed length', Buffer.from('+00a')],
    ['a length of 3, which no packet has', Buffer.from('0003')],
    ['a packet longer than the answer', Buffer.from('0010abc')],
    ['a length cut off', Buffer.from('00')],
  ]
  for (const [what, bytes] of malformed)
    it(`refuses ${what}`, () => assert.throws(() => readPackets(bytes), MalformedAnswer))
})

describe('reading ref advertisements', () => {
  it('reads a v0 advertisement: capabilities after NUL on the first line, annotated tags peeled as ls-remote prints them', () => {
    const advertised = parseInfoRefs(
      body(
        ...SERVICE,
        line(`${A} HEAD\0multi_ack side-band-64k symref=HEAD:refs/heads/main agent=git/2.39`),
        line(`${A} refs/heads/main`),
        line(`${B} refs/tags/v1`),
        line(`${C} refs/tags/v1^{}`),
        '0000',
      ),
    )
    assert.deepEqual(advertised, {
      version: 0,
      refs: new Map([
        ['HEAD', A],
        ['refs/heads/main', A],
        ['refs/tags/v1', B],
        ['refs/tags/v1^{}', C],
      ]),
    })
  })

  it('reads an empty repository’s advertisement as no refs', () => {
    assert.deepEqual(
      parseInfoRefs(body(...SERVICE, line(`${'0'.repeat(40)} capabilities^{}\0agent=x`), '0000')),
      {
        version: 0,
        refs: new Map(),
      },
    )
  })

  it('reads a v2 capability advertisement, with or without the service line', () => {
    const caps = [
      line('version 2'),
      line('agent=git/2.39'),
      line('ls-refs=unborn'),
      line('object-format=sha1'),
      '0000',
    ]
    const expected = { version: 2, capabilities: ['agent=git/2.39', 'ls-refs=unborn', 'object-format=sha1'] }
    assert.deepEqual(parseInfoRefs(body(...SERVICE, ...caps)), expected)
    assert.deepEqual(parseInfoRefs(body(...caps)), expected)
  })

  it('refuses a ref line without an object id, and another service', () => {
    assert.throws(() => parseInfoRefs(body(...SERVICE, line('zzz refs/heads/main'), '0000')), MalformedAnswer)
    assert.throws(() => parseInfoRefs(body(line('# service=git-receive-pack'), '0000')), MalformedAnswer)
  })

  it('turns an ERR packet into the host’s refusal', () => {
    assert.throws(
      () => parseInfoRefs(body(line('ERR Repository not found'))),
      (error: unknown) =>
        error instanceof RemoteRefusal && error.message === 'remote error: Repository not found',
    )
  })
})

describe('protocol v2 ls-refs', () => {
  it('asks for exactly the wanted prefixes, peeled, in the object format the host named', () => {
    assert.equal(
      lsRefsRequest(['refs/heads/main', 'refs/tags/main'], ['ls-refs', 'object-format=sha256']),
      '0014command=ls-refs\n0019object-format=sha256\n00010009peel\n' +
        '001fref-prefix refs/heads/main\n001eref-prefix refs/tags/main\n0000',
    )
    assert.doesNotMatch(lsRefsRequest(['refs/heads/x'], ['ls-refs']), /object-format/)
  })

  it('reads refs with peeled tags and skips unborn ones', () => {
    const refs = parseLsRefs(
      body(
        line(`${A} refs/heads/main`),
        line(`${B} refs/tags/main peeled:${C}`),
        line('unborn HEAD symref-target:refs/heads/main'),
        '0000',
      ),
    )
    assert.deepEqual(
      refs,
      new Map([
        ['refs/heads/main', A],
        ['refs/tags/main', B],
        ['refs/tags/main^{}', C],
      ]),
    )
  })

  it('refuses a list without its closing flush: an empty or cut answer is not "no refs"', () => {
    assert.deepEqual(parseLsRefs(body('0000')), new Map())
    for (const cut of [body(), body(line(`${A} refs/heads/main`))])
      assert.throws(() => parseLsRefs(cut), /without the flush packet/)
  })

  it('refuses a peeled id that is no object id', () => {
    assert.throws(() => parseLsRefs(body(line(`${B} refs/tags/v1 peeled:nope`), '0000')), MalformedAnswer)
  })
})
