/**
 * The Webspace form, to create a webspace or edit one: runtime, the branch it builds, domains,
 * replicas, size and TLS; the spec the form makes; and the page with the API server's refusals
 * next to their fields and the values as typed. An edit keeps every part of the spec the form
 * does not show (environment, storage, previews, a pinned release). Pure.
 */
import { SIZES } from '../../api/customer.js'
import type { WebspaceSpec } from '../../api/webspace.js'
import type { WebspaceView } from '../schemas.js'
import type { Viewer } from './frame.js'
import { type FormValues, inputField, listOf, NO_ERRORS, selectField, trimmed } from './form.js'
import { html } from './html.js'
import { domainsField, type FormInput, objectFormPage, tlsField, tlsOf } from './object-form.js'

export const WEBSPACE_FIELDS = ['name', 'runtime', 'git', 'domains', 'replicas', 'size', 'tls'] as const

export const webspaceFormValues = ({ name, spec }: Pick<WebspaceView, 'name' | 'spec'>): FormValues => ({
  name,
  runtime: spec.runtime,
  git: spec.git.branch,
  domains: (spec.domains ?? []).join('\n'),
  replicas: spec.replicas === undefined ? '' : String(spec.replicas),
  size: spec.size ?? '',
  tls: spec.tls.mode,
})

/** The spec a posted form asks for, over `base` (the webspace's spec when editing). */
export function webspaceSpec(form: FormValues, base?: WebspaceSpec): WebspaceSpec {
  const domains = listOf(form.domains)
  const replicas = trimmed(form.replicas)
  const size = trimmed(form.size)
  // Domains, replicas and size are the form's to set or to clear.
  const kept: Partial<WebspaceSpec> = { ...base }
  delete kept.domains
  delete kept.replicas
  delete kept.size
  return {
    ...kept,
    runtime: trimmed(form.runtime),
    git: { ...base?.git, branch: trimmed(form.git) || 'main' },
    tls: tlsOf(form.tls, base?.tls),
    ...(domains.length > 0 ? { domains } : {}),
    ...(replicas ? { replicas: Number(replicas) } : {}),
    ...(size ? { size: size as WebspaceSpec['size'] } : {}),
  }
}

export type WebspaceFormProps = FormInput<Pick<WebspaceView, 'name' | 'resourceVersion' | 'spec'>>

export function webspaceFormPage(viewer: Viewer, { editing, values, errors = NO_ERRORS }: WebspaceFormProps) {
  const field = { errors }
  return objectFormPage(viewer, {
    section: 'webspaces',
    noun: 'webspace',
    collection: '/webspaces',
    ...(editing ? { editing } : {}),
    values,
    errors,
    name: { maxlength: 50, help: 'Lower-case letters, digits and hyphens; the name of its Git repository.' },
    fields: html`${inputField({
      ...field,
      name: 'runtime',
      label: 'Runtime',
      value: values.runtime,
      required: true,
      maxlength: 253,
      placeholder: 'php-8.3',
      help: 'One of the runtimes your provider offers, e.g. php-8.3 or node-22.',
    })}
    ${inputField({
      ...field,
      name: 'git',
      label: 'Branch to build',
      value: values.git ?? 'main',
      maxlength: 255,
      help: 'Each push to this branch builds a release and runs it.',
    })}
    ${domainsField(errors, values.domains, 'One per line; the first is the main one. Empty: the default domain.')}
    ${inputField({
      ...field,
      name: 'replicas',
      label: 'Replicas',
      type: 'number',
      value: values.replicas,
      help: 'From 0 (stopped) to 10. Empty: as the size says.',
    })}
    ${selectField({
      ...field,
      name: 'size',
      label: 'Size',
      value: values.size ?? '',
      options: [['', 'your tier’s default'], ...SIZES.map((size) => [size, size] as const)],
    })}
    ${tlsField(errors, values.tls, editing?.spec.tls)}`,
  })
}
