/**
 * The flags of everything that writes a sites root — revisions kept and the limits of a published
 * tree — shared by `hostplane syncer` and `hostplane mirror`, so a mirror refuses exactly what its
 * syncer would never publish.
 */
import type { Command } from 'commander'
import type { SiteLimits } from '../syncer/tree-filter.js'
import { flag, parseSize, positive } from './flags.js'

export interface PublishFlags {
  keepRevisions: number
  maxSiteSize: number
  maxFileSize: number
  maxFiles: number
}

export function addPublishOptions(command: Command): Command {
  return command
    .addOption(
      flag('--keep-revisions <n>', 'published revisions kept per site for rollback', {
        env: true,
        parse: positive,
        default: '3',
      }),
    )
    .addOption(
      flag('--max-site-size <size>', 'largest published site', {
        env: true,
        parse: parseSize,
        default: '1GiB',
      }),
    )
    .addOption(
      flag('--max-file-size <size>', 'largest published file', {
        env: true,
        parse: parseSize,
        default: '100MiB',
      }),
    )
    .addOption(
      flag('--max-files <n>', 'most files in a published site', {
        env: true,
        parse: positive,
        default: '100000',
      }),
    )
}

export const siteLimitsOf = (flags: PublishFlags): SiteLimits => ({
  maxSiteBytes: flags.maxSiteSize,
  maxFileBytes: flags.maxFileSize,
  maxFiles: flags.maxFiles,
})
