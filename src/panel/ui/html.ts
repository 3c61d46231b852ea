/**
 * The one way the panel writes HTML: the `html` tagged template escapes every interpolated value
 * for both text and quoted attributes, unless it is already Html (a component's output). Arrays
 * are joined, `undefined`, `null` and `false` are nothing, so a page composes small components
 * without concatenating strings. An attribute that holds a URL takes `href(…)`, which lets through
 * only http(s) URLs and paths of this site. Pure.
 */

/** HTML that is safe to send: built only by `html`. */
export class Html {
  /** @internal Use `html`; a string given here is sent as it is. */
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

export type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[]

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
}

/** Text made safe inside an element and inside a quoted attribute value. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c)

function render(value: Interpolation): string {
  if (value instanceof Html) return value.value
  if (Array.isArray(value)) return (value as readonly Interpolation[]).map(render).join('')
  if (value === undefined || value === null || value === false) return ''
  return escapeHtml(String(value))
}

export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): Html {
  return new Html(
    strings.reduce(
      (out, literal, i) => out + literal + (i < values.length ? render(values[i] as Interpolation) : ''),
      '',
    ),
  )
}

/** A URL for an href or action: an absolute http(s) URL or a path of this site, else `#`. */
export function href(url: string): string {
  if (/^\/(?![/\\])/.test(url)) return url
  return /^https?:\/\//i.test(url) && URL.canParse(url) ? url : '#'
}

/** A path of the panel with each segment escaped for the URL (names come from the API server). */
export const pathOf = (...segments: readonly string[]): string =>
  `/${segments.map((s) => encodeURIComponent(s)).join('/')}`
