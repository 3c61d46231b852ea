/**
 * The operator's one registry of reasons: every reason it writes to a condition or an Event, and
 * the kinds it writes it on. A reason shared by kinds (a domain claim, a suspended customer) is
 * the same word for all of them. Each kind's conditions.ts takes its view with `reasonsOf`;
 * docs/operator.md (StaticSite) and docs/tenancy.md (Customer, Webspace) list the reasons of each
 * kind, and test/docs/reasons.test.ts fails when the docs and this registry differ.
 */
export type ReasonKind =
  | 'StaticSite'
  | 'Customer'
  | 'Webspace'
  | 'Database'
  | 'DatabaseServer'
  | 'Backup'
  | 'BackupTarget'
  | 'BackupSchedule'
  | 'Restore'

export const OPERATOR_REASONS = {
  // Routed (StaticSite), Deployed (Webspace)
  RouteApplied: ['StaticSite'],
  ObjectsApplied: ['Webspace'],
  NoCustomer: ['Webspace', 'Database', 'Backup', 'BackupSchedule', 'Restore'],
  RuntimeNotFound: ['Webspace'],
  SizeNotOffered: ['Webspace'],
  /** The API server refused a write (src/kube/refusal.ts): a full quota (or the tier quota policy), */
  QuotaExceeded: ['StaticSite', 'Customer', 'Webspace'],
  /** a denying admission policy or webhook, */
  AdmissionDenied: ['StaticSite', 'Customer', 'Webspace'],
  /** an object the API server finds invalid, */
  ObjectInvalid: ['StaticSite', 'Customer', 'Webspace'],
  /** or RBAC that does not let the operator write it. Retried with backoff, not hot. */
  WriteForbidden: ['StaticSite', 'Customer', 'Webspace'],
  DomainNotClaimed: ['StaticSite'],
  /** The namespace's Customer is suspended: the same reason on the Customer, its sites and webspaces. */
  CustomerSuspended: ['StaticSite', 'Customer', 'Webspace', 'Database'],
  /** A reserved name under the pages domain. */
  DomainRefused: ['StaticSite', 'Webspace'],
  /** A domain outside the namespace Customer's spec.domains. */
  DomainNotAllowed: ['StaticSite', 'Webspace'],
  InvalidDefaultDomain: ['StaticSite', 'Webspace'],
  // DomainClaimed
  DomainClaimed: ['StaticSite', 'Webspace'],
  DomainOwnedByOtherNamespace: ['StaticSite', 'Webspace'],
  PathPrefixTaken: ['StaticSite', 'Webspace'],
  /** The customer's limit on distinct domains across its sites and webspaces is reached. */
  DomainQuotaExceeded: ['StaticSite', 'Webspace'],
  // CertificateReady
  CertificateIssued: ['StaticSite'],
  CertificatePending: ['StaticSite'],
  /** The customer's new certificates per hour are used up: the Certificate waits (retried by itself). */
  CertificateRateLimited: ['StaticSite', 'Webspace'],
  /** cert-manager gave up on an attempt (a Challenge, Order or CertificateRequest failed). */
  CertificateFailed: ['StaticSite'],
  /** The Certificate's notAfter has passed. */
  CertificateExpired: ['StaticSite'],
  WildcardCertificate: ['StaticSite'],
  /** tls.mode secret: the site's own Secret is a valid certificate for its domains. */
  TlsSecretValid: ['StaticSite', 'Webspace'],
  /** tls.mode secret: the Secret does not exist in the site's namespace (or may not be read). */
  TlsSecretMissing: ['StaticSite', 'Webspace'],
  /** tls.mode secret: wrong type, tls.crt or tls.key unreadable, or a key of another certificate. */
  TlsSecretInvalid: ['StaticSite', 'Webspace'],
  TlsSecretExpired: ['StaticSite', 'Webspace'],
  TlsSecretDomainMismatch: ['StaticSite', 'Webspace'],
  /** tls.clusterIssuer is not one the namespace's Customer may use; no Certificate is requested. */
  IssuerNotAllowed: ['StaticSite', 'Webspace'],
  TlsDisabled: ['StaticSite'],
  NoRoute: ['StaticSite'],
  // Available / Progressing of a Webspace before its Deployment reports
  DeploymentPending: ['Webspace'],
  // Released (Webspace): which Release runs, and how its rollout went
  /** A new Release is rolling out; rolled back by itself if the Deployment misses its progress deadline. */
  RolloutInProgress: ['Webspace'],
  RolloutComplete: ['Webspace'],
  /** The health gate tripped: the new Release made no progress to Available in time; the previous one runs. */
  RolledBack: ['Webspace'],
  /** spec.release names no Release of the webspace. */
  ReleaseNotFound: ['Webspace'],
  /** spec.release names a Release that failed its rollout before. */
  ReleaseFailed: ['Webspace'],
  /** Releases exist but none of spec.git.branch may run: the prebuilt image runs. */
  NoRelease: ['Webspace'],
  // Provisioned, Suspended (Customer)
  TenantApplied: ['Customer'],
  Deleting: ['Customer'],
  Active: ['Customer'],
  // DomainsExclusive (Customer)
  NoOverlap: ['Customer'],
  /** Overlapping domains that spec.domainOverlap.allowedWith allows (on either customer). */
  OverlapAllowed: ['Customer'],
  /** Overlapping domains nobody allowed: stored before the admission policy refused them. */
  DomainsOverlap: ['Customer'],
  // Ready (when False it carries the reason of the failing condition)
  Ready: ['StaticSite', 'Customer', 'Webspace', 'BackupSchedule'],
  NotSynced: ['StaticSite'],
  WaitingForSync: ['StaticSite'],
  // Ready (Database)
  DatabaseReady: ['Database'],
  /** spec.server (or the server it is on) does not exist or runs another engine. */
  ServerNotFound: ['Database'],
  /** spec.server is not offered to the customer's tier. */
  ServerNotAllowed: ['Database'],
  /** No default server of the engine serves the customer's tier. */
  NoServer: ['Database'],
  /** The server holds its maxDatabases. */
  ServerFull: ['Database'],
  /** The operator cannot log in to the server or run its statements (retried every minute). */
  ServerUnavailable: ['Database', 'DatabaseServer'],
  /** The operator logs in to the server with its admin Secret. */
  ServerReady: ['DatabaseServer'],
  /** A Secret `<name>-database` of another kind exists in the namespace: the operator will not overwrite it. */
  SecretConflict: ['Database', 'Backup', 'BackupSchedule', 'Restore'],
  // WithinQuota (Database)
  WithinQuota: ['Database'],
  OverQuota: ['Database'],
  // Ready (Backup): waiting to start
  /** spec.target names no BackupTarget, or there is no default one. */
  TargetNotFound: ['Backup', 'BackupSchedule', 'Restore'],
  /** The operator runs without --backup-image: it cannot start backup Jobs. */
  BackupsNotConfigured: ['Backup', 'BackupTarget', 'BackupSchedule', 'Restore'],
  /** spec.webspace names no Webspace of the namespace. */
  WebspaceNotFound: ['Backup', 'BackupSchedule', 'Restore'],
  /** The Webspace has no spec.storage: there is no volume to back up. */
  NoStorage: ['Backup', 'BackupSchedule', 'Restore'],
  /** spec.database names no Database of the namespace, or it has no Secret yet. */
  DatabaseNotReady: ['Backup', 'BackupSchedule', 'Restore'],
  /** Another backup Job of the namespace runs: one at a time, within the customer's quota. */
  BackupQueued: ['Backup', 'Restore'],
  // Ready (Backup): running and done
  BackupRunning: ['Backup'],
  BackupSucceeded: ['Backup', 'BackupSchedule'],
  /** The Job failed (both attempts) or ran out of time; the message holds its last words. */
  BackupFailed: ['Backup', 'BackupSchedule'],
  /** The Job succeeded but the restore point holds no file or no table: nothing worth restoring. */
  BackupEmpty: ['Backup', 'BackupSchedule'],
  /** The Job was gone before its answer was read (deleted by hand). */
  JobLost: ['Backup', 'BackupSchedule', 'Restore'],
  // Ready (Restore)
  /** spec.backup names no Backup of the namespace, or it is not done, or it failed. */
  BackupNotFound: ['Restore'],
  /** The Backup holds no files (or no database) to restore into what spec names. */
  NothingToRestore: ['Restore'],
  /** A drill's scratch Database is being made on the server of the Backup's Database. */
  ScratchNotReady: ['Restore'],
  /** The Backup `<name>-before` of what the restore replaces runs first. */
  SavingCurrent: ['Restore'],
  /** That Backup failed: nothing was replaced. */
  SavingCurrentFailed: ['Restore'],
  RestoreRunning: ['Restore'],
  Restored: ['Restore'],
  /** The Job failed, or the restored data lacks what the Backup recorded (status.problems). */
  RestoreFailed: ['Restore'],
  /** A drill restored the Backup into a throwaway place and found everything it recorded. */
  DrillPassed: ['Restore', 'BackupSchedule'],
  /** A drill could not restore the Backup, or found it lacking (status.problems): the Backup cannot be trusted. */
  DrillFailed: ['Restore', 'BackupSchedule'],
  // Scheduled, BackedUp (BackupSchedule); BackedUp False carries the newest Backup's reason
  /** spec.schedule or spec.timeZone cannot be read: the message says what is wrong. */
  InvalidSchedule: ['BackupSchedule'],
  OnSchedule: ['BackupSchedule'],
  /** Scheduled runs did not run (the operator was down past the deadline, or the previous backup still ran). */
  MissedSchedule: ['BackupSchedule'],
  Suspended: ['BackupSchedule'],
  NoBackupYet: ['BackupSchedule'],
  /** Verified (BackupSchedule): no drill has finished yet. */
  NoDrillYet: ['BackupSchedule'],
  // Ready (BackupTarget)
  /** The target's repository proxy has an available replica. */
  ProxyAvailable: ['BackupTarget'],
  /** The proxy's Deployment has no available replica yet (its Pods' events say why). */
  ProxyUnavailable: ['BackupTarget'],
  // Events only
  /** A Webspace apply failed for a reason a retry may fix (retried with backoff; one Event until it succeeds). */
  ApplyFailed: ['Webspace'],
  NamespaceCreated: ['Customer'],
  /** A deleted Database with deletionPolicy Retain: its user was locked, the database kept. */
  DatabaseRetained: ['Database'],
  /** A deleted Database with deletionPolicy Delete: the database and its user were dropped. */
  DatabaseDropped: ['Database'],
  DeletingNamespace: ['Customer'],
  Deleted: ['Customer'],
} as const satisfies Record<string, readonly ReasonKind[]>

export type OperatorReason = keyof typeof OPERATOR_REASONS

/** The reasons written on `K`, each mapped to itself (`REASON.Ready === 'Ready'`). */
export type ReasonsOf<K extends ReasonKind> = {
  readonly [R in OperatorReason as K extends (typeof OPERATOR_REASONS)[R][number] ? R : never]: R
}

export function reasonsOf<K extends ReasonKind>(kind: K): ReasonsOf<K> {
  const kinds: Record<string, readonly ReasonKind[]> = OPERATOR_REASONS
  return Object.fromEntries(
    Object.keys(kinds)
      .filter((reason) => kinds[reason]?.includes(kind))
      .map((reason) => [reason, reason]),
  ) as ReasonsOf<K>
}
