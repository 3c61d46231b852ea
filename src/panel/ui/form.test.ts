import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PanelError } from '../errors.js'
import { formErrors, formFieldOf, formOf, inputField, listOf, NO_ERRORS, refusesForm } from './form.js'

const FIELDS = ['name', 'repo', 'domains', 'tls']

describe('a refusal placed on the form', () => {
  for (const [apiField, formField] of [
    ['spec.repo', 'repo'],
    ['spec.domains[1]', 'domains'],
    ['spec.tls.secretName', 'tls'],
    ['metadata.name', 'name'],
    ['name', 'name'],
  ] as const)
    it(`the API server's ${apiField} is the form's ${formField}`, () =>
      assert.equal(formFieldOf(apiField), formField))

  it("puts each field's messages on its field, without the value the API server repeats, and the rest above the form", () => {
    const error = new PanelError('HP_ERR_PANEL_INVALID', 'StaticSite "x" is invalid', [
      { field: 'spec.repo', message: 'Invalid value: "string": repo must be an https:// URL' },
      { field: 'spec.domains[0]', message: 'Invalid value: "a..b": each domain must be a hostname' },
      { field: 'spec.secretRef', message: 'Required value: an ssh repo URL needs secretRef' },
    ])
    assert.deepEqual(formErrors(error, FIELDS, 'create'), {
      fields: { repo: ['repo must be an https:// URL'], domains: ['each domain must be a hostname'] },
      general: ['spec.secretRef: Required value: an ssh repo URL needs secretRef'],
    })
  })

  it("says the refusal's message above the form when no problem names a field", () => {
    const error = new PanelError('HP_ERR_PANEL_REFUSED', 'exceeded quota: count/staticsites.hostplane.dev')
    assert.deepEqual(formErrors(error, FIELDS, 'create'), {
      fields: {},
      general: ['exceeded quota: count/staticsites.hostplane.dev'],
    })
  })

  it('a conflict is a taken name when creating, and a change made meanwhile when editing', () => {
    const conflict = new PanelError('HP_ERR_PANEL_CONFLICT', 'already exists')
    assert.deepEqual(formErrors(conflict, FIELDS, 'create').fields, {
      name: ['this name is taken: pick another'],
    })
    assert.match(formErrors(conflict, FIELDS, 'edit').general[0] ?? '', /changed since you opened this form/)
  })

  it('only refusals a customer corrects are shown on the form; a missing object or an outage is the page’s', () => {
    assert.equal(refusesForm(new PanelError('HP_ERR_PANEL_INVALID')), true)
    assert.equal(refusesForm(new PanelError('HP_ERR_PANEL_NOT_FOUND')), false)
    assert.equal(refusesForm(new PanelError('HP_ERR_PANEL_UNAVAILABLE')), false)
    assert.equal(refusesForm(new Error('x')), false)
  })
})

describe('form fields', () => {
  it('escape the typed value and tie the error to the field for screen readers', () => {
    const errors = { fields: { repo: ['must be <https>'] }, general: [] }
    const field = inputField({
      name: 'repo',
      label: 'Repo',
      value: '"><script>x</script>',
      errors,
      help: 'An URL',
    }).value
    assert.match(field, /value="&quot;&gt;&lt;script&gt;x&lt;\/script&gt;"/)
    assert.match(field, /aria-describedby="field-repo-help field-repo-error"/)
    assert.match(field, /aria-invalid="true"/)
    assert.match(field, /<p class="field-error" id="field-repo-error">\s*must be &lt;https&gt;\s*<\/p>/)
    assert.doesNotMatch(inputField({ name: 'repo', label: 'Repo', errors: NO_ERRORS }).value, /aria-invalid/)
  })

  it('a multi-line field keeps its text between the tags, escaped', () => {
    const field = inputField({
      name: 'k',
      label: 'K',
      value: '</textarea><b>',
      multiline: true,
      errors: NO_ERRORS,
    })
    assert.match(field.value, /<textarea [^>]*>&lt;\/textarea&gt;&lt;b&gt;<\/textarea>/)
  })

  it('read lists split at lines, commas and blanks, and bodies keep only their string fields', () => {
    assert.deepEqual(listOf(' a.example\r\nb.example, c.example  \n\n'), [
      'a.example',
      'b.example',
      'c.example',
    ])
    assert.deepEqual(listOf(undefined), [])
    assert.deepEqual(formOf({ name: 'x', n: 1, o: { a: 1 } }), { name: 'x' })
    assert.deepEqual(formOf(null), {})
    assert.deepEqual(formOf('name=x'), {})
  })
})
