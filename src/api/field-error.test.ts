import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FieldErrors, goValue } from './field-error.js'

describe('field errors are worded as the API server words them', () => {
  const values: [string, unknown, string][] = [
    ['a string is quoted with Go escapes', 'a\r\n"b"\x00', '"a\\r\\n\\"b\\"\\x00"'],
    ['a whole number is printed plainly', 70000, '70000'],
    ['a fraction is printed in its shortest form', 1.5, '1.5'],
    ['a tiny fraction uses a two-digit exponent', 0.00001, '1e-05'],
    ['an object is JSON with sorted keys', { name: 'DB', a: 1 }, '{"a":1,"name":"DB"}'],
    ['HTML characters are escaped as Go does', ['<&>'], '["\\u003c\\u0026\\u003e"]'],
    ['null is null', null, 'null'],
  ]
  for (const [name, value, printed] of values)
    it(`prints values: ${name}`, () => assert.equal(goValue(value), printed))

  it('leaves the value out of Required, Forbidden and Too long', () => {
    assert.equal(FieldErrors.required('spec.repo').message, 'Required value')
    assert.equal(FieldErrors.forbidden('spec.x', 'no').message, 'Forbidden: no')
    assert.equal(FieldErrors.tooLong('spec.repo', 1).message, 'Too long: may not be more than 1 byte')
  })

  it('lists supported values quoted, numbers included', () => {
    assert.equal(
      FieldErrors.notSupported('spec.status', 200, ['301', '302']).message,
      'Unsupported value: 200: supported values: "301", "302"',
    )
  })
})
