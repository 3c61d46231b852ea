/** Typed objects of hostplane's kinds, as read from the API server or a YAML file. */
import type {
  BackupScheduleSpec,
  BackupScheduleStatus,
  BackupSpec,
  BackupStatus,
  BackupTargetSpec,
  BackupTargetStatus,
  RestoreSpec,
  RestoreStatus,
} from './backup.js'
import type { CustomerSpec, CustomerStatus } from './customer.js'
import type { DatabaseServerSpec, DatabaseServerStatus, DatabaseSpec, DatabaseStatus } from './database.js'
import type { ReleaseSpec, ReleaseStatus } from './release.js'
import type { RuntimeSpec, RuntimeStatus } from './runtime.js'
import type { SshKeySpec, SshKeyStatus } from './sshkey.js'
import type { StaticSiteSpec, StaticSiteStatus } from './staticsite.js'
import type { WebspaceSpec, WebspaceStatus } from './webspace.js'
import type { KubeObject } from '../kube/object.js'

export interface Resource<Spec, Status> extends KubeObject {
  spec: Spec
  status?: Status
}

export type StaticSite = Resource<StaticSiteSpec, StaticSiteStatus>
export type Customer = Resource<CustomerSpec, CustomerStatus>
export type Webspace = Resource<WebspaceSpec, WebspaceStatus>
export type Runtime = Resource<RuntimeSpec, RuntimeStatus>
export type Release = Resource<ReleaseSpec, ReleaseStatus>
export type SshKey = Resource<SshKeySpec, SshKeyStatus>
export type DatabaseServer = Resource<DatabaseServerSpec, DatabaseServerStatus>
export type Database = Resource<DatabaseSpec, DatabaseStatus>
export type BackupTarget = Resource<BackupTargetSpec, BackupTargetStatus>
export type Backup = Resource<BackupSpec, BackupStatus>
export type BackupSchedule = Resource<BackupScheduleSpec, BackupScheduleStatus>
export type Restore = Resource<RestoreSpec, RestoreStatus>
