import { BackupKind, BackupScheduleKind, BackupTargetKind, RestoreKind } from './backup.js'
import { CustomerKind } from './customer.js'
import { DatabaseKind, DatabaseServerKind } from './database.js'
import type { KindDefinition } from './kind.js'
import { ReleaseKind } from './release.js'
import { RuntimeKind } from './runtime.js'
import { SshKeyKind } from './sshkey.js'
import { StaticSiteKind } from './staticsite.js'
import { WebspaceKind } from './webspace.js'

/** Every hostplane kind, in the order CRDs are generated and documented. */
export const KINDS: readonly KindDefinition[] = [
  StaticSiteKind,
  CustomerKind,
  WebspaceKind,
  RuntimeKind,
  ReleaseKind,
  SshKeyKind,
  DatabaseServerKind,
  DatabaseKind,
  BackupTargetKind,
  BackupKind,
  BackupScheduleKind,
  RestoreKind,
]

export const kindByName = (kind: string): KindDefinition | undefined => KINDS.find((k) => k.kind === kind)
