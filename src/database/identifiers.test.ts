import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { databaseIdentifier, IDENTIFIER } from './identifiers.js'

describe("a Database's name on its server", () => {
  it('is readable, stable and made of [a-z0-9_] only, at most 52 characters', () => {
    const id = databaseIdentifier('sh-acme', 'shop-db')
    assert.match(id, /^h[a-z2-7]{10}_shop_db$/)
    assert.equal(databaseIdentifier('sh-acme', 'shop-db'), id, 'the same every time')
    assert.ok(databaseIdentifier('ded-' + 'a'.repeat(59), 'b'.repeat(40)).length <= 52)
    assert.match(databaseIdentifier('x', '0'), IDENTIFIER)
  })

  it('never gives two Databases the same name: namespaces apart by their hash, names one to one', () => {
    const names = new Set<string>()
    for (const namespace of ['sh-acme', 'sh-acme2', 'ded-acme', 'sh-globex'])
      for (const name of ['shop', 'shop-1', 'shop1', 'blog']) names.add(databaseIdentifier(namespace, name))
    assert.equal(names.size, 16)
  })

  it('refuses whatever the schema would refuse, so nothing else can reach SQL', () => {
    for (const [namespace, name] of [
      ['sh-acme', "x';drop"],
      ['sh-acme', 'Shop'],
      ['sh-acme', 'shop_db'],
      ['sh-acme', '-shop'],
      ['sh-acme', 'a'.repeat(41)],
      ['sh-acme', ''],
      ['sh`acme', 'shop'],
    ] as const)
      assert.throws(() => databaseIdentifier(namespace, name), /is not/, `${namespace}/${name}`)
  })
})
