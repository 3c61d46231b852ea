/**
 * What a person sees when sign-in is refused: the sentence of the error's code, the code itself
 * (to quote to support), and a way to start again. A JSON client gets the panel's error body.
 * Pure; every value is escaped.
 */
import type { SignInError } from './errors.js'

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)

export function refusalPage(error: SignInError, signInPath: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Not signed in — hostplane</title></head>
<body>
<main>
<h1>Not signed in</h1>
<p role="alert">${escapeHtml(error.message)}</p>
<p>Error code: <code>${escapeHtml(error.code)}</code></p>
<p><a href="${escapeHtml(signInPath)}">Sign in again</a></p>
</main>
</body>
</html>
`
}

export const refusalBody = (error: SignInError) => ({ error: { code: error.code, message: error.message } })
