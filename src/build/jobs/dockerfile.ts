/**
 * The one check of a Dockerfile before its build: no `syntax` parser directive. A `# syntax=`
 * line makes BuildKit fetch and run the named frontend image instead of its built-in Dockerfile
 * frontend, so the platform would run a parser it has not pinned. Parser directives are the
 * comment lines before the first instruction; this refuses a `syntax` directive anywhere in that
 * leading block (also after blank lines or other comments, where BuildKit would already ignore
 * it), and in BuildKit's other comment spelling `//`. Pure.
 */

const DIRECTIVE = /^\s*(?:#|\/\/)\s*syntax\s*=\s*(.*)$/i
const COMMENT_OR_BLANK = /^\s*(?:#.*|\/\/.*)?$/

/** Why this Dockerfile is not built, or undefined when it may be. */
export function dockerfileProblem(text: string | undefined): string | undefined {
  if (text === undefined)
    return 'the dockerfile strategy builds the file Dockerfile at the root of the pushed commit, and there is none: add one, or use another build strategy'
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  for (const [index, line] of lines.entries()) {
    if (!COMMENT_OR_BLANK.test(line)) return undefined
    const directive = DIRECTIVE.exec(line)
    if (directive)
      return `Dockerfile line ${index + 1}: the syntax directive (${line.trim()}) is refused: builds use the Dockerfile frontend built into the platform's pinned BuildKit, never a frontend image named by the Dockerfile; remove the line and push again`
  }
  return undefined
}
