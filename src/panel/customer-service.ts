/**
 * What a customer can do, for one Identity, over the client that impersonates the customer: the
 * JSON API and (later) the HTML pages both call this, so neither can do what the other refuses,
 * and Kubernetes RBAC decides every read and write. Every object is addressed in the customer's
 * own namespace, read from its Customer; a Kubernetes error becomes a PanelError by the rule of
 * errors.ts (another customer's object is as missing as no object). Every change goes through
 * `audited`, so the audit log (audit/audit-log.ts) records it with its outcome, here and only here.
 */
import { API_VERSION } from '../api/kind.js'
import type { Backup, Customer, Release, SshKey, StaticSite, Webspace } from '../api/resources.js'
import { type DownloadPart, downloadProblem, repositoryOf } from '../backup/download.js'
import type { ResticRepository } from '../backup/restic.js'
import type { StaticSiteSpec } from '../api/staticsite.js'
import { type BuildStatus, WEBSPACE_LABEL, type WebspaceSpec } from '../api/webspace.js'
import type { KubeList, KubeObject } from '../kube/object.js'
import { type KubeRest, resourcePath } from '../kube/rest.js'
import { selfSubjectReview } from '../kube/self-subject-review.js'
import { repositorySecretName } from '../operator/backup/owned.js'
import { customerNamespace } from '../operator/customer/names.js'
import { AdminService } from './admin-service.js'
import type { AuditTrail } from './audit/audit-log.js'
import type { AuditAction } from './audit/entry.js'
import { kubeCall, PanelError } from './errors.js'
import { actingAdmin, type Identity } from './identity.js'
import type { PanelClients } from './kube-clients.js'
import { keptRevision, requestSync, rollbackSite } from '../syncer/site-requests.js'
import { domainClaimWord, quotaLines } from './account-words.js'
import type {
  BackupView,
  DomainsView,
  MeView,
  ReleaseView,
  SiteView,
  SshKeyView,
  UsageView,
  WebspaceView,
} from './schemas.js'
import { createToken, revokeToken } from './tokens/token-changes.js'
import type { TokenRecord, TokenStore } from './tokens/token-store.js'
import { actorView, backupView, releaseView, siteView, sshKeyView, webspaceView } from './views.js'

const PLURALS = {
  StaticSite: 'staticsites',
  Webspace: 'webspaces',
  Release: 'releases',
  SshKey: 'sshkeys',
  Backup: 'backups',
} as const

type Kind = keyof typeof PLURALS

interface ResourceQuota extends KubeObject {
  status?: { hard?: Record<string, string>; used?: Record<string, string> }
}

/** The domains an object is served on: its own, or the default one its status.url shows. */
const domainsUsed = (object: StaticSite | Webspace): readonly string[] => {
  if (object.spec.domains?.length) return object.spec.domains
  const url = object.status?.url
  return url && URL.canParse(url) ? [new URL(url).hostname] : []
}

export interface PanelServiceOptions {
  readonly clients: PanelClients
  readonly tokens: TokenStore
  /** Where every change is recorded; provider admins read it from `auditNamespace`. */
  readonly audit: AuditTrail
  readonly auditNamespace: string
  /** How long a customer's namespace is remembered. @default 60000 */
  readonly namespaceTtlMs?: number
  readonly clock?: () => number
}

interface Secret extends KubeObject {
  readonly data?: Readonly<Record<string, string>>
}

/** What a download asks for. */
export interface DownloadWanted {
  readonly part: DownloadPart
  readonly path?: string
}

/** Where a Succeeded Backup's part is: its snapshot in the customer's repository. */
export interface DownloadSource extends DownloadWanted {
  readonly backup: string
  readonly snapshot: string
  readonly repository: ResticRepository
}

/** The panel's services; `forIdentity` gives the one that acts for a caller. */
export class PanelService {
  private readonly namespaces = new Map<string, { readonly namespace: string; readonly until: number }>()

  constructor(private readonly options: PanelServiceOptions) {}

  /** The service acting as the identity's customer; an admin acting as no customer has none (403). */
  forIdentity(identity: Identity): CustomerService {
    const { actingAs } = identity
    if (actingAs === undefined) throw new PanelError('HP_ERR_PANEL_NOT_A_CUSTOMER')
    const client = this.options.clients.forCustomer(actingAs, actingAdmin(identity))
    return new CustomerService(identity, actingAs, client, this)
  }

  /** The admin service of a provider admin; anyone else is refused (403). */
  forAdmin(identity: Identity): AdminService {
    if (!identity.actor.admin) throw new PanelError('HP_ERR_PANEL_NOT_ADMIN')
    const { clients, audit, auditNamespace } = this.options
    return new AdminService(identity, clients.forAdmin(identity.actor.subject), audit, auditNamespace)
  }

  /** @internal The customer's namespace, remembered for a while: it never moves once recorded. */
  async namespaceOf(customer: string, fetch: () => Promise<Customer>): Promise<string> {
    const { namespaceTtlMs = 60_000, clock = Date.now } = this.options
    const known = this.namespaces.get(customer)
    if (known && known.until > clock()) return known.namespace
    const namespace = customerNamespace(await fetch())
    if (this.namespaces.size > 10_000) this.namespaces.clear()
    this.namespaces.set(customer, { namespace, until: clock() + namespaceTtlMs })
    return namespace
  }

  get tokens(): TokenStore {
    return this.options.tokens
  }

  get audit(): AuditTrail {
    return this.options.audit
  }
}

interface Change {
  readonly action: AuditAction
  readonly kind: Kind
  readonly name?: string
  readonly detail?: Readonly<Record<string, string>>
}

export class CustomerService {
  constructor(
    readonly identity: Identity,
    /** The customer every request acts as. */
    readonly customer: string,
    private readonly rest: KubeRest,
    private readonly panel: PanelService,
  ) {}

  private call<T>(named: boolean, send: () => Promise<T>): Promise<T> {
    return kubeCall(named, send)
  }

  /** Runs `change` recorded in the audit log, with the object in the customer's namespace. */
  private async audited<T>(
    { action, kind, name, detail }: Change,
    change: () => Promise<T>,
    named?: (value: T) => string,
  ): Promise<T> {
    // A namespace that cannot be read is left out of the entry, and the change then fails on it
    // and is recorded refused.
    const namespace = await this.panel
      .namespaceOf(this.customer, () => this.customerObject())
      .catch(() => undefined)
    const object = { kind, ...(namespace ? { namespace } : {}), ...(name !== undefined ? { name } : {}) }
    return this.panel.audit.record(
      this.identity,
      { action, object, ...(detail ? { detail } : {}) },
      change,
      named,
    )
  }

  private customerObject(): Promise<Customer> {
    return this.call(true, () =>
      this.rest.request<Customer>(
        'GET',
        resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: this.customer }),
      ),
    )
  }

  private async path(kind: Kind, name?: string): Promise<string> {
    const namespace = await this.panel.namespaceOf(this.customer, () => this.customerObject())
    return resourcePath({ apiVersion: API_VERSION, plural: PLURALS[kind], namespace, name })
  }

  private async list<T extends KubeObject>(kind: Kind, labelSelector?: string): Promise<T[]> {
    const path = await this.path(kind)
    const list = await this.call(false, () =>
      this.rest.request<KubeList<T>>('GET', path, { query: { labelSelector } }),
    )
    return list.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
  }

  private async get<T extends KubeObject>(kind: Kind, name: string): Promise<T> {
    const path = await this.path(kind, name)
    return this.call(true, () => this.rest.request<T>('GET', path))
  }

  private async create<T extends KubeObject>(kind: Kind, name: string, spec: unknown): Promise<T> {
    const path = await this.path(kind)
    return this.call(false, () =>
      this.rest.request<T>('POST', path, {
        query: { fieldValidation: 'Strict' },
        body: { apiVersion: API_VERSION, kind, metadata: { name }, spec },
      }),
    )
  }

  private async replaceSpec<T extends KubeObject>(
    kind: Kind,
    name: string,
    spec: unknown,
    resourceVersion: string | undefined,
  ): Promise<T> {
    const current = await this.get<T>(kind, name)
    const path = await this.path(kind, name)
    return this.call(true, () =>
      this.rest.request<T>('PUT', path, {
        query: { fieldValidation: 'Strict' },
        body: {
          apiVersion: API_VERSION,
          kind,
          metadata: {
            ...current.metadata,
            resourceVersion: resourceVersion ?? current.metadata.resourceVersion,
          },
          spec,
        },
      }),
    )
  }

  private async remove(kind: Kind, name: string): Promise<void> {
    const path = await this.path(kind, name)
    await this.call(true, () => this.rest.request('DELETE', path))
  }

  async me(): Promise<MeView> {
    const customer = await this.customerObject()
    const { username, groups } = await this.call(false, () => selfSubjectReview(this.rest))
    return {
      actor: actorView(this.identity.actor),
      actingAs: this.customer,
      customer: customer.metadata.name,
      displayName: customer.spec.displayName,
      tier: customer.spec.tier,
      size: customer.spec.size,
      namespace: customerNamespace(customer),
      domains: customer.spec.domains ?? [],
      suspended: customer.spec.suspended,
      kubernetes: { username, groups: [...groups] },
    }
  }

  async listSites(): Promise<SiteView[]> {
    return (await this.list<StaticSite>('StaticSite')).map(siteView)
  }

  async getSite(name: string): Promise<SiteView> {
    return siteView(await this.get<StaticSite>('StaticSite', name))
  }

  createSite(name: string, spec: StaticSiteSpec): Promise<SiteView> {
    return this.audited({ action: 'staticsite.create', kind: 'StaticSite', name }, async () =>
      siteView(await this.create<StaticSite>('StaticSite', name, spec)),
    )
  }

  updateSite(name: string, spec: StaticSiteSpec, resourceVersion?: string): Promise<SiteView> {
    return this.audited({ action: 'staticsite.update', kind: 'StaticSite', name }, async () =>
      siteView(await this.replaceSpec<StaticSite>('StaticSite', name, spec, resourceVersion)),
    )
  }

  deleteSite(name: string): Promise<void> {
    return this.audited({ action: 'staticsite.delete', kind: 'StaticSite', name }, () =>
      this.remove('StaticSite', name),
    )
  }

  /** Asks the syncer to sync the site now, as `hostplane sync` does; `token` is echoed once handled. */
  syncSite(name: string, token: string): Promise<SiteView> {
    return this.audited({ action: 'staticsite.sync', kind: 'StaticSite', name }, async () => {
      const path = await this.path('StaticSite', name)
      return siteView(await this.call(true, () => requestSync(this.rest, path, token)))
    })
  }

  /** Serves one of the site's kept revisions again (spec.ref becomes its commit id). */
  rollbackSite(name: string, commit: string): Promise<SiteView> {
    return this.audited({ action: 'staticsite.rollback', kind: 'StaticSite', name, detail: { commit } }, () =>
      this.rollbackSiteNow(name, commit),
    )
  }

  private async rollbackSiteNow(name: string, commit: string): Promise<SiteView> {
    const site = await this.get<StaticSite>('StaticSite', name)
    if (!keptRevision(site, commit)) {
      const kept = (site.status?.revisions ?? []).map((r) => r.commit.slice(0, 12)).join(', ')
      throw new PanelError('HP_ERR_PANEL_INVALID', `StaticSite ${name} keeps no revision ${commit}`, [
        {
          field: 'commit',
          message: kept ? `not a kept revision: pick one of ${kept}` : 'the site keeps no revisions yet',
        },
      ])
    }
    const path = await this.path('StaticSite', name)
    return siteView(await this.call(true, () => rollbackSite(this.rest, path, commit)))
  }

  /** The suffixes the customer may claim, and every domain its sites and webspaces use with its claim. */
  async domains(): Promise<DomainsView> {
    const [customer, sites, webspaces] = await Promise.all([
      this.customerObject(),
      this.list<StaticSite>('StaticSite'),
      this.list<Webspace>('Webspace'),
    ])
    const used = [
      ...sites.map((site) => ({ kind: 'StaticSite' as const, object: site })),
      ...webspaces.map((webspace) => ({ kind: 'Webspace' as const, object: webspace })),
    ].flatMap(({ kind, object }) => {
      const claim = domainClaimWord(object.status?.conditions, object.metadata.generation)
      return domainsUsed(object).map((domain) => ({ domain, kind, object: object.metadata.name, claim }))
    })
    return { allowed: customer.spec.domains ?? [], used }
  }

  /** The namespace's ResourceQuota: what the customer uses of each of its limits. */
  async usage(): Promise<UsageView> {
    const namespace = await this.panel.namespaceOf(this.customer, () => this.customerObject())
    const quotas = await this.call(false, () =>
      this.rest.request<KubeList<ResourceQuota>>(
        'GET',
        resourcePath({ apiVersion: 'v1', plural: 'resourcequotas', namespace }),
      ),
    )
    return { items: quotas.items.flatMap((quota) => quotaLines(quota.status)) }
  }

  private releasesOf(webspace?: string): Promise<Release[]> {
    return this.list<Release>('Release', webspace ? `${WEBSPACE_LABEL}=${webspace}` : undefined)
  }

  async listWebspaces(): Promise<WebspaceView[]> {
    const [webspaces, releases] = await Promise.all([this.list<Webspace>('Webspace'), this.releasesOf()])
    return webspaces.map((w) =>
      webspaceView(
        w,
        releases.filter((r) => r.spec.webspace === w.metadata.name),
      ),
    )
  }

  async getWebspace(name: string): Promise<WebspaceView> {
    const webspace = await this.get<Webspace>('Webspace', name)
    return webspaceView(webspace, await this.releasesOf(name))
  }

  createWebspace(name: string, spec: WebspaceSpec): Promise<WebspaceView> {
    return this.audited({ action: 'webspace.create', kind: 'Webspace', name }, async () =>
      webspaceView(await this.create<Webspace>('Webspace', name, spec)),
    )
  }

  async updateWebspace(name: string, spec: WebspaceSpec, resourceVersion?: string): Promise<WebspaceView> {
    const webspace = await this.audited({ action: 'webspace.update', kind: 'Webspace', name }, () =>
      this.replaceSpec<Webspace>('Webspace', name, spec, resourceVersion),
    )
    return webspaceView(webspace, await this.releasesOf(name))
  }

  deleteWebspace(name: string): Promise<void> {
    return this.audited({ action: 'webspace.delete', kind: 'Webspace', name }, () =>
      this.remove('Webspace', name),
    )
  }

  /** The webspace's latest build as the gitserver records it, and the version to watch it from. */
  async webspaceBuild(name: string): Promise<{ build?: BuildStatus; resourceVersion: string }> {
    const webspace = await this.get<Webspace>('Webspace', name)
    return {
      ...(webspace.status?.build ? { build: webspace.status.build } : {}),
      resourceVersion: webspace.metadata.resourceVersion ?? '',
    }
  }

  /**
   * Calls `onBuild` with the webspace's build each time the webspace changes after
   * `resourceVersion`, until `signal` aborts, the webspace is deleted or the API server ends the
   * watch (after `timeoutSeconds`); resolves with the last version seen, to watch on from.
   */
  async watchWebspaceBuild(
    name: string,
    resourceVersion: string,
    onBuild: (build: BuildStatus | undefined) => void,
    { signal, timeoutSeconds }: { signal: AbortSignal; timeoutSeconds: number },
  ): Promise<{ resourceVersion: string; deleted: boolean }> {
    const path = await this.path('Webspace')
    let last = { resourceVersion, deleted: false }
    await this.call(true, () =>
      this.rest.watch(
        path,
        { fieldSelector: `metadata.name=${name}`, resourceVersion, timeoutSeconds },
        (event) => {
          const { type, object } = event as { type?: string; object?: Webspace }
          if (!object?.metadata || (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED')) return
          last = {
            resourceVersion: object.metadata.resourceVersion ?? last.resourceVersion,
            deleted: type === 'DELETED',
          }
          onBuild(object.status?.build)
        },
        { signal, idleTimeoutMs: (timeoutSeconds + 30) * 1000 },
      ),
    )
    return last
  }

  /** The customer's Releases, newest first; of one webspace when it is named. */
  async listReleases(webspace?: string): Promise<ReleaseView[]> {
    // A webspace that is not the customer's is as missing as one that does not exist.
    if (webspace) await this.get<Webspace>('Webspace', webspace)
    const [releases, webspaces] = await Promise.all([
      this.releasesOf(webspace),
      this.list<Webspace>('Webspace'),
    ])
    const running = new Map(webspaces.map((w) => [w.metadata.name, w.status?.release]))
    return releases
      .filter((r) => !webspace || r.spec.webspace === webspace)
      .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))
      .map((r) => releaseView(r, running.get(r.spec.webspace)))
  }

  /** Runs `release` on `webspace` (its spec.release) until the customer picks another or clears it. */
  rollback(webspace: string, release: string): Promise<WebspaceView> {
    return this.audited(
      { action: 'webspace.rollback', kind: 'Webspace', name: webspace, detail: { release } },
      () => this.rollbackNow(webspace, release),
    )
  }

  private async rollbackNow(webspace: string, release: string): Promise<WebspaceView> {
    await this.get<Webspace>('Webspace', webspace)
    const chosen = await this.get<Release>('Release', release).catch((error: unknown) => {
      if (error instanceof PanelError && error.code === 'HP_ERR_PANEL_NOT_FOUND') return undefined
      throw error
    })
    if (chosen?.spec.webspace !== webspace) {
      throw new PanelError('HP_ERR_PANEL_INVALID', `webspace ${webspace} has no Release ${release}`, [
        { field: 'release', message: `no Release ${release} of webspace ${webspace}` },
      ])
    }
    const path = await this.path('Webspace', webspace)
    const patched = await this.call(true, () =>
      this.rest.request<Webspace>('PATCH', path, {
        body: { spec: { release } },
        contentType: 'application/merge-patch+json',
      }),
    )
    return webspaceView(patched, await this.releasesOf(webspace))
  }

  async listSshKeys(): Promise<SshKeyView[]> {
    return (await this.list<SshKey>('SshKey')).map(sshKeyView)
  }

  createSshKey(name: string, publicKey: string, title?: string): Promise<SshKeyView> {
    return this.audited({ action: 'sshkey.create', kind: 'SshKey', name }, async () =>
      sshKeyView(await this.create<SshKey>('SshKey', name, { publicKey, ...(title ? { title } : {}) })),
    )
  }

  deleteSshKey(name: string): Promise<void> {
    return this.audited({ action: 'sshkey.delete', kind: 'SshKey', name }, () => this.remove('SshKey', name))
  }

  /** The customer's Backups, newest first. */
  async listBackups(): Promise<BackupView[]> {
    const backups = await this.list<Backup>('Backup')
    return backups
      .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))
      .map(backupView)
  }

  /**
   * Finds what `wanted` of Backup `name` is and hands it to `deliver` (which streams it), recorded
   * in the audit log as a read of the Backup with its outcome. Everything is read as the customer:
   * the Backup (another customer's is missing) and its repository's Secret in the customer's
   * namespace, which the customer may read itself — the panel gains no authority.
   */
  downloadBackup(
    name: string,
    wanted: DownloadWanted,
    deliver: (source: DownloadSource) => Promise<void>,
  ): Promise<void> {
    const detail = { part: wanted.part, ...(wanted.path !== undefined ? { path: wanted.path } : {}) }
    return this.audited({ action: 'backup.download', kind: 'Backup', name, detail }, async () =>
      deliver(await this.downloadSource(name, wanted)),
    )
  }

  private async downloadSource(name: string, { part, path }: DownloadWanted): Promise<DownloadSource> {
    const problem = downloadProblem(part, path)
    if (problem)
      throw new PanelError('HP_ERR_PANEL_BAD_REQUEST', problem, [{ field: 'path', message: problem }])
    const backup = await this.get<Backup>('Backup', name)
    const { phase, target } = backup.status ?? {}
    if (phase !== 'Succeeded')
      throw new PanelError(
        'HP_ERR_PANEL_BACKUP_NOT_READY',
        `Backup ${name} is ${phase ?? 'not started yet'}: only a Succeeded Backup can be downloaded`,
      )
    const snapshot = (part === 'files' ? backup.status?.files : backup.status?.database)?.snapshot
    if (!snapshot || !target)
      throw new PanelError('HP_ERR_PANEL_NOT_FOUND', `Backup ${name} holds no ${part}`)
    const secretName = repositorySecretName(target)
    const namespace = await this.panel.namespaceOf(this.customer, () => this.customerObject())
    const secret = await this.call(true, () =>
      this.rest.request<Secret>(
        'GET',
        resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace, name: secretName }),
      ),
    ).catch((error: unknown) => {
      if (!(error instanceof PanelError) || error.code !== 'HP_ERR_PANEL_NOT_FOUND') throw error
      throw new PanelError(
        'HP_ERR_PANEL_REPOSITORY_UNAVAILABLE',
        `the repository Secret ${secretName} of BackupTarget ${target} is missing`,
      )
    })
    const decode = (key: string) => {
      const value = secret.data?.[key]
      return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8').trim()
    }
    const repository = repositoryOf({ repository: decode('repository'), password: decode('password') })
    if (typeof repository === 'string')
      throw new PanelError('HP_ERR_PANEL_REPOSITORY_UNAVAILABLE', `${secretName}: ${repository}`)
    return { backup: name, part, ...(path !== undefined ? { path } : {}), snapshot, repository }
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.panel.tokens.list(this.customer)
  }

  createToken(description: string): Promise<{ token: string; record: TokenRecord }> {
    return createToken(this.panel.audit, this.identity, this.panel.tokens, this.customer, description)
  }

  revokeToken(id: string): Promise<void> {
    return revokeToken(this.panel.audit, this.identity, this.panel.tokens, this.customer, id)
  }
}
