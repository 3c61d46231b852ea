/**
 * HTML as values (STYLE 15): `html\`<p>${text}</p>\`` escapes every interpolated string, so text
 * from a request, a resource or a git log can never become markup, in element text or in a quoted
 * attribute. Only another `html` value is inserted as it is; lists are joined; `false`, `null` and
 * `undefined` leave nothing (for conditional parts). Templates quote every attribute value.
 */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[]

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.text
  if (Array.isArray(value)) return value.map(render).join('')
  if (value === null || value === undefined || value === false) return ''
  return escapeHtml(String(value as string | number | boolean))
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? ''
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '')
  })
  return new SafeHtml(out)
}

/** A link target: a path of this site (not `//`) or an http(s) URL; anything else (javascript:, data:) is `#`. */
export function safeHref(url: string): string {
  if (/^\/(?!\/)/.test(url)) return url
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : '#'
  } catch {
    return '#'
  }
}
