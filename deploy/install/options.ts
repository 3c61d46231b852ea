/**
 * What an install may change at synth time, with its defaults. The committed dist/install.yaml is
 * synthesized with the defaults; `npm run synth` reads the HOSTPLANE_* variables below to make a
 * variant (docs/install.md).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DNS_LABEL } from '../../src/api/schema-kit.js'
import { flagDefault } from './cli-flags.js'

export interface InstallOptions {
  /** Operator and syncer image. @default ghcr.io/hostplane/hostplane:<package.json version> */
  readonly image: string
  /** Unprivileged nginx, pinned by tag. @default docker.io/nginxinc/nginx-unprivileged:1.28.0-bookworm */
  readonly nginxImage: string
  /** Namespace of the ingress controller, the only source of site and webhook traffic. @default the operator's `--ingress-namespace` default */
  readonly ingressNamespace: string
  /** Namespace whose pods may scrape /metrics. @default monitoring */
  readonly monitoringNamespace: string
  /** StorageClass of the sites volume; it must offer ReadWriteMany. @default the cluster's default class */
  readonly storageClass?: string
  /** Size of the sites volume. @default 10Gi */
  readonly sitesStorage: string
  /**
   * Default domains are `<name>-<namespace>.<pagesDomain>`: passed to the operator as
   * `--pages-domain` and fixed in the domain admission policy. @default pages.example.com
   */
  readonly pagesDomain: string
  /** ClusterIssuer of sites that name none: `--default-issuer`, and allowed to every customer by the issuer policy. @default the operator's `--default-issuer` default */
  readonly defaultIssuer: string
  /** Comma-separated ClusterIssuers every customer may name besides the default: `--tenant-cluster-issuers` and the issuer policy. @default none */
  readonly tenantClusterIssuers?: string
}

/** The tenant issuers of the options as a list. */
export const tenantClusterIssuers = (options: InstallOptions): string[] =>
  options.tenantClusterIssuers?.split(',') ?? []

/** Where generated objects, nginx and the components live: the operator's and syncer's own default. */
export const SYSTEM_NAMESPACE = flagDefault('operator', '--system-namespace')

export const REPO_ROOT = join(import.meta.dirname, '..', '..')

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version

export const DEFAULT_OPTIONS: InstallOptions = {
  image: `ghcr.io/hostplane/hostplane:${version}`,
  nginxImage: 'docker.io/nginxinc/nginx-unprivileged:1.28.0-bookworm',
  ingressNamespace: flagDefault('operator', '--ingress-namespace'),
  monitoringNamespace: 'monitoring',
  sitesStorage: '10Gi',
  pagesDomain: 'pages.example.com',
  defaultIssuer: flagDefault('operator', '--default-issuer'),
}

/** The synth-time variables and the option each sets. */
export const OPTION_VARIABLES = {
  HOSTPLANE_IMAGE: 'image',
  HOSTPLANE_NGINX_IMAGE: 'nginxImage',
  HOSTPLANE_INGRESS_NAMESPACE: 'ingressNamespace',
  HOSTPLANE_MONITORING_NAMESPACE: 'monitoringNamespace',
  HOSTPLANE_STORAGE_CLASS: 'storageClass',
  HOSTPLANE_SITES_STORAGE: 'sitesStorage',
  HOSTPLANE_PAGES_DOMAIN: 'pagesDomain',
  HOSTPLANE_DEFAULT_ISSUER: 'defaultIssuer',
  HOSTPLANE_TENANT_CLUSTER_ISSUERS: 'tenantClusterIssuers',
} as const satisfies Record<string, keyof InstallOptions>

const IMAGE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:\w[\w.-]{0,127}|@sha256:[0-9a-f]{64})$/
const NAMESPACE = new RegExp(DNS_LABEL)
const OBJECT_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/
const VALID: Record<keyof InstallOptions, readonly [RegExp, string]> = {
  image: [IMAGE, 'an image reference such as registry/repository:tag or @sha256:<digest>'],
  nginxImage: [IMAGE, 'an image reference such as registry/repository:tag or @sha256:<digest>'],
  ingressNamespace: [NAMESPACE, 'a namespace name'],
  monitoringNamespace: [NAMESPACE, 'a namespace name'],
  storageClass: [OBJECT_NAME, 'a StorageClass name'],
  sitesStorage: [/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/, 'a size such as 10Gi'],
  pagesDomain: [
    /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/,
    'a domain name such as pages.example.com',
  ],
  defaultIssuer: [OBJECT_NAME, 'a ClusterIssuer name'],
  tenantClusterIssuers: [
    new RegExp(`^${OBJECT_NAME.source.slice(1, -1)}(,${OBJECT_NAME.source.slice(1, -1)})*$`),
    'comma-separated ClusterIssuer names',
  ],
}

/** The defaults overridden by whichever HOSTPLANE_* variables are set; a bad value throws naming its variable. */
export function optionsFromEnv(env: Readonly<Record<string, string | undefined>>): InstallOptions {
  const options: Partial<Record<keyof InstallOptions, string>> = { ...DEFAULT_OPTIONS }
  const problems: string[] = []
  for (const [variable, option] of Object.entries(OPTION_VARIABLES)) {
    const value = env[variable]?.trim()
    if (!value) continue
    const [pattern, what] = VALID[option]
    if (pattern.test(value)) options[option] = value
    else problems.push(`${variable} must be ${what}, got ${value}`)
  }
  if (problems.length) throw new Error(problems.join('\n'))
  return options as InstallOptions
}
