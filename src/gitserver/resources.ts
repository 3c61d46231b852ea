/** Where the gitserver finds SshKeys. */
import { API_VERSION } from '../api/kind.js'

export const SSHKEYS = { apiVersion: API_VERSION, kind: 'SshKey', plural: 'sshkeys' } as const
