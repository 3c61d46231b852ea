/**
 * The provider admin's Customer pages: every Customer with its state in words and an Act as
 * button, the form that creates one, and one Customer's page where its tier and size change and
 * where it is suspended or brought back. Forms keep what was typed and show the API server's
 * refusals next to their fields (form.ts). Pure.
 */
import { type CustomerSpec, SIZES, TIERS } from '../../api/customer.js'
import type { CustomerView } from '../schemas.js'
import { ACT_AS_PATH, adminPage } from './admin-frame.js'
import { actionButton, csrfField, dataTable, statusWord } from './components.js'
import {
  type FormErrors,
  type FormValues,
  generalErrors,
  inputField,
  listOf,
  NO_ERRORS,
  selectField,
  trimmed,
} from './form.js'
import type { Viewer } from './frame.js'
import { type Html, html, pathOf } from './html.js'
import type { PageProps } from './page.js'

export const CUSTOMER_FIELDS = ['name', 'displayName', 'email', 'tier', 'size', 'domains'] as const
export const CUSTOMER_CHANGE_FIELDS = ['tier', 'size'] as const

const options = (values: readonly string[]) => values.map((value) => [value, value] as const)

const actAsButton = (viewer: Viewer, customer: string) =>
  actionButton({
    action: ACT_AS_PATH,
    csrf: viewer.csrfToken,
    label: 'Act as',
    which: customer,
    fields: { customer },
    look: 'secondary',
  })

export function customersPage(
  viewer: Viewer,
  customers: readonly CustomerView[],
  notice?: PageProps['notice'],
): Html {
  return adminPage(viewer, {
    title: 'Customers',
    section: 'customers',
    ...(notice ? { notice } : {}),
    body: [
      html`<p class="actions"><a class="button" href="/admin/customers/new">New customer</a></p>`,
      customers.length === 0
        ? html`<p>No customers yet.</p>`
        : dataTable(customers, [
            {
              header: 'Customer',
              cell: (c) =>
                html`<a href="${pathOf('admin', 'customers', c.name)}">${c.name}</a><br /><span class="muted"
                    >${c.spec.displayName}</span
                  >`,
            },
            { header: 'Tier and size', cell: (c) => `${c.spec.tier}, ${c.spec.size}` },
            { header: 'Namespace', cell: (c) => c.namespace },
            {
              header: 'State',
              cell: (c) => html`${statusWord(c.status.ready)}<br />${statusWord(c.status.suspended)}`,
            },
            { header: 'Support', cell: (c) => actAsButton(viewer, c.name) },
          ]),
    ],
  })
}

/** A new Customer's spec from the create form; the API server judges it. */
export const customerSpec = (form: FormValues): CustomerSpec => ({
  displayName: trimmed(form.displayName),
  email: trimmed(form.email),
  tier: trimmed(form.tier) as CustomerSpec['tier'],
  size: trimmed(form.size) as CustomerSpec['size'],
  ...(listOf(form.domains).length > 0 ? { domains: listOf(form.domains) } : {}),
  suspended: false,
})

export function newCustomerPage(
  viewer: Viewer,
  { values, errors = NO_ERRORS }: { readonly values: FormValues; readonly errors?: FormErrors },
): Html {
  return adminPage(viewer, {
    title: 'New customer',
    section: 'customers',
    body: html`${generalErrors(errors)}
      <form method="post" action="/admin/customers">
        ${csrfField(viewer.csrfToken)}
        ${inputField({
          name: 'name',
          label: 'Name',
          value: values.name,
          errors,
          required: true,
          maxlength: 40,
          help: 'Lowercase letters, digits and dashes; its namespace is sh-<name> or ded-<name>.',
        })}
        ${inputField({ name: 'displayName', label: 'Display name', value: values.displayName, errors, required: true })}
        ${inputField({ name: 'email', label: 'Contact email', value: values.email, errors, required: true })}
        ${selectField({ name: 'tier', label: 'Tier', value: values.tier ?? 'shared', options: options(TIERS), errors })}
        ${selectField({ name: 'size', label: 'Size', value: values.size ?? 'small', options: options(SIZES), errors })}
        ${inputField({
          name: 'domains',
          label: 'Domains it may claim',
          value: values.domains,
          errors,
          help: 'Suffixes, separated by commas or spaces: the domain and its subdomains.',
        })}
        <p class="actions">
          <button type="submit">Create customer</button> <a href="/admin/customers">Cancel</a>
        </p>
      </form>`,
  })
}

export interface CustomerPageProps {
  readonly values?: FormValues
  readonly errors?: FormErrors
  readonly notice?: PageProps['notice']
}

export function customerPage(viewer: Viewer, customer: CustomerView, props: CustomerPageProps = {}): Html {
  const { spec } = customer
  const { values = { tier: spec.tier, size: spec.size }, errors = NO_ERRORS, notice } = props
  const path = pathOf('admin', 'customers', customer.name)
  return adminPage(viewer, {
    title: `Customer ${customer.name}`,
    section: 'customers',
    ...(notice ? { notice } : {}),
    body: html`<dl>
        <dt>Display name</dt>
        <dd>${spec.displayName}</dd>
        <dt>Contact</dt>
        <dd>${spec.email}</dd>
        <dt>Namespace</dt>
        <dd>${customer.namespace}</dd>
        <dt>Domains</dt>
        <dd>${spec.domains?.length ? spec.domains.join(', ') : html`<span class="muted">none</span>`}</dd>
        <dt>State</dt>
        <dd>
          ${statusWord(customer.status.ready)} ${statusWord(customer.status.provisioned)}
          ${statusWord(customer.status.suspended)}
        </dd>
      </dl>
      <p class="actions">${actAsButton(viewer, customer.name)}</p>
      <h2>Tier and size</h2>
      ${generalErrors(errors)}
      <form method="post" action="${path}">
        ${csrfField(viewer.csrfToken)}
        <input type="hidden" name="resourceVersion" value="${customer.resourceVersion}" />
        ${selectField({ name: 'tier', label: 'Tier', value: values.tier, options: options(TIERS), errors })}
        ${selectField({ name: 'size', label: 'Size', value: values.size, options: options(SIZES), errors })}
        <p class="actions"><button type="submit">Change tier and size</button></p>
      </form>
      <h2>Suspension</h2>
      <p>
        ${
          spec.suspended
            ? 'Suspended: every site and webspace of this customer is offline.'
            : 'Suspending takes every site and webspace of this customer offline until it is brought back.'
        }
      </p>
      ${actionButton({
        action: `${path}/suspension`,
        csrf: viewer.csrfToken,
        label: spec.suspended ? 'Bring back online' : 'Suspend',
        fields: { suspended: String(!spec.suspended) },
        ...(spec.suspended ? {} : { look: 'danger' as const }),
      })}`,
  })
}
