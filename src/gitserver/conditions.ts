/** The SshKey condition the gitserver owns and its reasons (the Event reasons are the same). */
export const ACCEPTED = 'Accepted'

export const KEY_REASONS = {
  accepted: 'Accepted',
  /** DSA, or RSA below 2048 bits. */
  weak: 'Weak',
  /** The fingerprint is claimed by an older key (a Customer's sshKeys or an older SshKey). */
  duplicate: 'Duplicate',
  /** Not a key the gitserver can verify, or in a namespace of no Customer. */
  invalid: 'Invalid',
} as const
