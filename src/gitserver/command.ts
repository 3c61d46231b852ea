/**
 * The one thing a client may ask the gitserver: run git's receive-pack (push) or upload-pack
 * (fetch) on `<customer>/<webspace>.git`. The exec line is parsed strictly, exactly in the form
 * git's own SSH transport sends (`git-upload-pack '<path>'`, the path single-quoted, with a
 * leading `/` for ssh:// URLs); anything else is refused, so no path, option or quoting trick
 * reaches git. The two names are DNS labels, so `..`, absolute paths to elsewhere and shell
 * metacharacters cannot match; the repository is then looked up by these names, never by path.
 */
import { MAX_CUSTOMER_NAME } from '../api/customer.js'
import { MAX_WEBSPACE_NAME } from '../api/webspace.js'

export type GitService = 'git-receive-pack' | 'git-upload-pack'

export interface GitCommand {
  readonly service: GitService
  readonly customer: string
  readonly webspace: string
}

export type ParsedCommand =
  { readonly ok: true; readonly command: GitCommand } | { readonly ok: false; readonly message: string }

const LINE = /^(git-receive-pack|git-upload-pack) '\/?([a-z0-9-]+)\/([a-z0-9-]+?)(?:\.git)?'$/
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

const USAGE =
  'only git push and fetch of <customer>/<webspace>.git are served here (git@<host>:<customer>/<webspace>.git)'

export function parseGitCommand(line: string): ParsedCommand {
  const match = LINE.exec(line)
  if (!match) return { ok: false, message: USAGE }
  const [, service, customer = '', webspace = ''] = match
  if (
    !LABEL.test(customer) ||
    !LABEL.test(webspace) ||
    customer.length > MAX_CUSTOMER_NAME ||
    webspace.length > MAX_WEBSPACE_NAME
  )
    return { ok: false, message: USAGE }
  return { ok: true, command: { service: service as GitService, customer, webspace } }
}
