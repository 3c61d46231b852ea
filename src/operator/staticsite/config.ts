/** What the operator is told at startup: where generated objects go and how they are served. */
export interface OperatorConfig {
  /** Namespace of the generated IngressRoutes, Middlewares and Certificates (and of nginx). */
  readonly systemNamespace: string
  /** Default domains are `<name>-<namespace>.<pagesDomain>`; other sites may not claim below it. */
  readonly pagesDomain: string
  /** ClusterIssuer for `tls.mode: auto` when the site names none. */
  readonly defaultIssuer: string
  /** Traefik entry points of sites with TLS. */
  readonly entryPoints: readonly string[]
  /** Traefik entry points of sites with `tls.mode: none`. */
  readonly httpEntryPoints: readonly string[]
  readonly nginx: { readonly service: string; readonly port: number }
  /** wildcard: sites whose domains are all directly below the pages domain share one TLS Secret. */
  readonly tls: { readonly mode: 'individual' } | { readonly mode: 'wildcard'; readonly secretName: string }
}
