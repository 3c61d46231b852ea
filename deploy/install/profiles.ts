/**
 * The committed install profiles, each synthesized to dist/<name>/ by `npm run synth`
 * (profile-files.ts) and documented in docs/install.md.
 * - generic: any Kubernetes with a ReadWriteMany StorageClass as its default and Traefik in the
 *   `traefik` namespace.
 * - k3s: k3s as it comes (seed 002's cluster): its bundled Traefik in kube-system, matched by its
 *   pod labels; the default `local-path` class, which is ReadWriteOnce, so `single-node` storage.
 * - k3s-mirror: the same k3s on several nodes without ReadWriteMany storage: the syncer on its own
 *   `local-path` claim, each nginx replica on any node with its own copy (`mirror` storage).
 */
import type { HostplaneProps } from './options.js'

/**
 * The labels k3s's bundled Traefik pods carry. k3s installs the Traefik Helm chart as release
 * `traefik` in `kube-system`; the chart's selector labels are `app.kubernetes.io/name: traefik` and
 * `app.kubernetes.io/instance: <release>-<namespace>` (its `traefik.labelselector` template).
 */
export const K3S_TRAEFIK_POD_LABELS = {
  'app.kubernetes.io/name': 'traefik',
  'app.kubernetes.io/instance': 'traefik-kube-system',
} as const

/** A placeholder every profile uses: sites without domains answer under it until it is patched. */
const PAGES_DOMAIN = 'pages.example.com'

export const PROFILES = {
  generic: { pagesDomain: PAGES_DOMAIN },
  k3s: {
    pagesDomain: PAGES_DOMAIN,
    ingress: { namespace: 'kube-system', podLabels: K3S_TRAEFIK_POD_LABELS },
    storage: { mode: 'single-node', storageClass: 'local-path' },
  },
  'k3s-mirror': {
    pagesDomain: PAGES_DOMAIN,
    ingress: { namespace: 'kube-system', podLabels: K3S_TRAEFIK_POD_LABELS },
    storage: { mode: 'mirror', storageClass: 'local-path' },
  },
} as const satisfies Record<string, HostplaneProps>

export type ProfileName = keyof typeof PROFILES

/**
 * What each profile's `push-to-deploy` Component adds (profile-files.ts): the gitserver and the
 * install's registry, whose host is a placeholder like the pages domain (docs/install.md says
 * which three objects name it).
 */
export const PUSH_TO_DEPLOY = {
  gitserver: { enabled: true },
  registry: { host: `registry.${PAGES_DOMAIN}` },
} as const satisfies Partial<HostplaneProps>

/**
 * What each profile's `panel` Component adds (profile-files.ts): `hostplane panel` at a placeholder
 * host with a placeholder provider, which an overlay patches (docs/install.md says which objects
 * name them; the client secret is a Secret the overlay adds).
 */
export const PANEL = {
  panel: {
    host: `panel.${PAGES_DOMAIN}`,
    oidc: { issuer: 'https://id.example.com/realms/hosting', clientId: 'hostplane-panel' },
  },
} as const satisfies Partial<HostplaneProps>
