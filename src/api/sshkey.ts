/**
 * SshKey: a public key a customer manages in its own namespace, without a platform admin, to
 * push to its Webspaces' repositories on `hostplane gitserver` (docs/gitserver.md). The
 * gitserver writes the status: the key's fingerprint and whether it is accepted. A fingerprint
 * belongs to one identity cluster-wide; the oldest claim wins (Customer sshKeys first).
 */
import { type Static, Type } from '@sinclair/typebox'
import { commonStatus, conditionColumn } from './conditions.js'
import { SSH_KEY } from './customer.js'
import type { KindDefinition } from './kind.js'
import { celMatches, celRules } from './schema-kit.js'

export const SshKeySpec = Type.Object({
  publicKey: Type.String({
    maxLength: 16384,
    description: 'One OpenSSH public key line, such as the content of ~/.ssh/id_ed25519.pub.',
    ...celRules(
      {
        rule: celMatches('self', SSH_KEY),
        message: 'publicKey must be one public key line such as "ssh-ed25519 AAAA… comment", without options',
      },
      { rule: 'self == oldSelf', message: 'publicKey cannot be changed; create another SshKey' },
    ),
  }),
  title: Type.Optional(Type.String({ maxLength: 256, description: 'What the key is for, e.g. "laptop".' })),
})

export const SshKeyStatus = Type.Object({
  ...commonStatus,
  fingerprint: Type.Optional(
    Type.String({ maxLength: 128, description: 'SHA256 fingerprint, as `ssh-keygen -l` prints it.' }),
  ),
})

export type SshKeySpec = Static<typeof SshKeySpec>
export type SshKeyStatus = Static<typeof SshKeyStatus>

export const SshKeyKind: KindDefinition = {
  kind: 'SshKey',
  plural: 'sshkeys',
  singular: 'sshkey',
  shortNames: ['sshk'],
  scope: 'Namespaced',
  description: "A public key that may push to the repositories of the namespace's customer.",
  spec: SshKeySpec,
  status: SshKeyStatus,
  printerColumns: [
    { name: 'Title', type: 'string', jsonPath: '.spec.title' },
    { name: 'Fingerprint', type: 'string', jsonPath: '.status.fingerprint' },
    { name: 'Accepted', type: 'string', jsonPath: conditionColumn('Accepted') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}
