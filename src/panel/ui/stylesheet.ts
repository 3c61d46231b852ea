/**
 * The panel's one stylesheet, kept in the code so the process serves it from its own build
 * (nothing is loaded from elsewhere): readable on a phone (one column below 40em), visible focus
 * for keyboard users, contrast above WCAG AA, status words with a text as well as a colour, and
 * long values (commit ids, keys, log lines) wrapped rather than scrolled sideways.
 */
export const STYLESHEET = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #4d5660; --line: #c9d0d6; --accent: #0b57a4;
  --ok: #17663a; --problem: #a4161a; --pending: #7a5200; --bg: #ffffff; --soft: #f3f5f7; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, main:focus-visible, pre:focus-visible {
  outline: 3px solid #f0a500; outline-offset: 2px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.skip { position: absolute; left: -999px; top: 0; background: var(--ink); color: #fff; padding: .5em 1em; }
.skip:focus { left: 0; z-index: 1; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: .5em 2em; padding: .75em 1.25em; border-bottom: 1px solid var(--line); background: var(--soft); }
.brand { margin: 0; font-weight: 700; }
.banner { flex-basis: calc(100% + 2.5em); margin: -.75em -1.25em 0; padding: .5em 1.25em; background: #fff3cd; border-bottom: 2px solid var(--pending); }
.account { margin-left: auto; display: flex; flex-wrap: wrap; align-items: center; gap: .5em 1em; }
nav ul { display: flex; flex-wrap: wrap; gap: .25em 1.25em; list-style: none; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; color: var(--ink); }
main { max-width: 70em; margin: 0 auto; padding: 1em 1.25em 3em; }
h1 { font-size: 1.6em; margin: .3em 0 .6em; }
h2 { font-size: 1.25em; margin: 1.5em 0 .5em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .45em .6em; border-bottom: 1px solid var(--line); }
th { font-weight: 600; background: var(--soft); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .92em; overflow-wrap: anywhere; }
.word { font-weight: 600; }
.word.ok { color: var(--ok); }
.word.problem { color: var(--problem); }
.word.pending { color: var(--pending); }
.notice { padding: .6em .9em; border-left: 4px solid var(--ok); background: var(--soft); }
.notice.problem { border-left-color: var(--problem); }
.muted { color: var(--muted); }
form.inline { display: inline; }
button { font: inherit; padding: .4em .9em; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
label { display: block; font-weight: 600; margin: .8em 0 .2em; }
input, select, textarea { font: inherit; padding: .4em .5em; border: 1px solid var(--muted); border-radius: 4px; width: 100%; max-width: 32em; }
textarea { min-height: 5em; }
input[aria-invalid="true"], select[aria-invalid="true"], textarea[aria-invalid="true"] { border: 2px solid var(--problem); }
.field-error { color: var(--problem); margin: .2em 0 0; }
.help { color: var(--muted); margin: .2em 0 0; font-size: .95em; }
.actions { display: flex; flex-wrap: wrap; gap: .5em 1em; align-items: center; margin: 1.2em 0; }
.actions form { margin: 0; }
button.danger { background: var(--problem); border-color: var(--problem); }
a.button { display: inline-block; padding: .4em .9em; border: 1px solid var(--accent); border-radius: 4px; text-decoration: none; }
.secret { display: block; padding: .6em; background: var(--soft); border: 1px solid var(--line); font-size: 1em; }
pre.log { background: var(--ink); color: #f3f5f7; padding: .8em; border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 30em; overflow-y: auto; }
meter { width: 8em; vertical-align: middle; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3em 1.2em; }
dt { font-weight: 600; }
dd { margin: 0; }
@media (max-width: 40em) {
  table, thead, tbody, tr, th, td { display: block; }
  thead { position: absolute; left: -999px; }
  tr { border-bottom: 1px solid var(--line); padding: .4em 0; }
  td { border: 0; padding: .15em 0; }
  td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
  dl { grid-template-columns: 1fr; }
  dt { margin-top: .5em; }
}
`
