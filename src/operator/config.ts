/**
 * What the operator is told at startup, one object for all its controllers: where generated
 * objects go, how sites and webspaces are served, and where traffic into tenants comes from.
 * Each controller takes the fields it needs by these names (a `Pick`), so a field has one name
 * from the flag to the render function.
 */
export interface OperatorConfig {
  /** Namespace of the generated IngressRoutes, Middlewares and Certificates (and of nginx). */
  readonly systemNamespace: string
  /** Default domains are `<name>-<namespace>.<pagesDomain>`; other sites may not claim below it. */
  readonly pagesDomain: string
  /**
   * Branch previews of webspaces that enable them are served at
   * `<branch>--<webspace>-<namespace>.<previewDomain>`; without it, no previews are deployed.
   */
  readonly previewDomain?: string
  /** ClusterIssuer for `tls.mode: auto` (sites) and `tls` (webspaces) when the object names none. */
  readonly defaultIssuer: string
  /**
   * ClusterIssuers every customer's sites and webspaces may name in `tls.clusterIssuer` besides
   * the default; a Customer's `spec.clusterIssuers` adds its own. Any other issuer is refused.
   */
  readonly tenantClusterIssuers: readonly string[]
  /** Traefik entry points of sites and webspaces with TLS. */
  readonly entryPoints: readonly string[]
  /** Traefik entry points of sites with `tls.mode: none`. */
  readonly httpEntryPoints: readonly string[]
  readonly nginx: { readonly service: string; readonly port: number }
  /** wildcard: sites whose domains are all directly below the pages domain share one TLS Secret. */
  readonly tls: { readonly mode: 'individual' } | { readonly mode: 'wildcard'; readonly secretName: string }
  /** Namespace of the ingress controller, the only source of traffic into tenant pods. */
  readonly ingressNamespace: string
  /**
   * Labels of the ingress controller's pods, when the namespace holds other pods too (k3s runs
   * Traefik in kube-system): tenant pods then admit only those pods of the namespace.
   */
  readonly ingressPodLabels?: Readonly<Record<string, string>>
  /**
   * The ServiceAccounts (in the system namespace) of the operator itself and of the syncer, which
   * each customer namespace's RoleBindings name: the operator reads TLS Secrets there, the syncer
   * git credentials and webhook secrets.
   */
  readonly serviceAccounts: { readonly operator: string; readonly syncer: string }
  /**
   * host[:port] of the tenants' registry: each customer namespace then holds the pull Secret
   * `hostplane-registry-pull`, which Webspace Deployments of images in this registry name in
   * `imagePullSecrets`.
   */
  readonly registry?: string
  /**
   * The hostplane image (by digest) whose `hostplane backup` the backup Jobs run in customer
   * namespaces; without it, the image of the operator's own Pod (own-image.ts), and outside a Pod
   * Backups wait (BackupsNotConfigured).
   */
  readonly backupImage?: string
}
