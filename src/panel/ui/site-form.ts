/**
 * The StaticSite form, to create a site or edit one: the fields a customer sets most (repository,
 * ref, path, domains, path prefix, sync interval, TLS, what a missing page gets), the spec the
 * form makes, and the page that shows it with the API server's refusals next to their fields and
 * the values as they were typed. An edit keeps every part of the spec the form does not show
 * (headers, redirects, webhook, Git credentials). Pure.
 */
import type { StaticSiteSpec } from '../../api/staticsite.js'
import type { SiteView } from '../schemas.js'
import type { Viewer } from './frame.js'
import { type FormValues, inputField, listOf, NO_ERRORS, selectField, trimmed } from './form.js'
import { html } from './html.js'
import { domainsField, type FormInput, objectFormPage, tlsField, tlsOf } from './object-form.js'

export const SITE_FIELDS = [
  'name',
  'repo',
  'ref',
  'path',
  'domains',
  'pathPrefix',
  'syncInterval',
  'tls',
  'fallback',
] as const

/** The form's values for a site as it is. */
export const siteFormValues = ({ name, spec }: Pick<SiteView, 'name' | 'spec'>): FormValues => ({
  name,
  repo: spec.repo,
  ref: spec.ref,
  path: spec.path,
  domains: (spec.domains ?? []).join('\n'),
  pathPrefix: spec.pathPrefix ?? '',
  syncInterval: spec.syncInterval,
  tls: spec.tls.mode,
  fallback: spec.fallback ?? 'notFound',
})

/**
 * The spec a posted form asks for, over `base` (the site's spec when editing): empty fields take
 * the API's defaults, and TLS settings beyond the mode stay as they were while the mode does.
 */
export function siteSpec(form: FormValues, base?: StaticSiteSpec): StaticSiteSpec {
  const domains = listOf(form.domains)
  const pathPrefix = trimmed(form.pathPrefix)
  // Domains and path prefix are the form's to set or to clear.
  const kept: Partial<StaticSiteSpec> = { ...base }
  delete kept.domains
  delete kept.pathPrefix
  return {
    ...kept,
    repo: trimmed(form.repo),
    ref: trimmed(form.ref) || 'main',
    path: trimmed(form.path) || '/',
    syncInterval: trimmed(form.syncInterval) || '5m',
    tls: tlsOf(form.tls, base?.tls),
    fallback: (trimmed(form.fallback) || 'notFound') as StaticSiteSpec['fallback'],
    ...(domains.length > 0 ? { domains } : {}),
    ...(pathPrefix ? { pathPrefix } : {}),
  }
}

export type SiteFormProps = FormInput<Pick<SiteView, 'name' | 'resourceVersion' | 'spec'>>

export function siteFormPage(viewer: Viewer, { editing, values, errors = NO_ERRORS }: SiteFormProps) {
  const field = { errors }
  return objectFormPage(viewer, {
    section: 'sites',
    noun: 'site',
    collection: '/sites',
    ...(editing ? { editing } : {}),
    values,
    errors,
    name: { maxlength: 253, help: 'Lower-case letters, digits and hyphens; part of the default domain.' },
    fields: html`${inputField({
      ...field,
      name: 'repo',
      label: 'Git repository',
      type: 'url',
      value: values.repo,
      required: true,
      maxlength: 2048,
      placeholder: 'https://git.example.com/you/site.git',
      help: 'An https:// URL without credentials.',
    })}
    ${inputField({ ...field, name: 'ref', label: 'Branch, tag or commit', value: values.ref ?? 'main', maxlength: 255 })}
    ${inputField({
      ...field,
      name: 'path',
      label: 'Directory to publish',
      value: values.path ?? '/',
      maxlength: 1024,
      help: 'A directory of the repository, e.g. /public; / publishes all of it.',
    })}
    ${domainsField(
      errors,
      values.domains,
      'One per line; the first is the main one, the others redirect to it. Empty: the default domain.',
    )}
    ${inputField({
      ...field,
      name: 'pathPrefix',
      label: 'Path prefix',
      value: values.pathPrefix,
      maxlength: 256,
      help: 'Publish under this path of the domains, e.g. /docs. Empty: at the root.',
    })}
    ${inputField({
      ...field,
      name: 'syncInterval',
      label: 'Check for changes every',
      value: values.syncInterval ?? '5m',
      maxlength: 32,
      help: 'A duration from 30s to 24h, e.g. 5m or 1h.',
    })}
    ${tlsField(errors, values.tls, editing?.spec.tls)}
    ${selectField({
      ...field,
      name: 'fallback',
      label: 'A missing page gets',
      value: values.fallback ?? 'notFound',
      options: [
        ['notFound', 'the 404 page'],
        ['index', '/index.html (a single-page app)'],
      ],
    })}`,
  })
}
