/**
 * The install's entry for a user's own cdk8s app: the `Hostplane` construct, its options, and the
 * profiles the repository synthesizes (docs/install.md, "Your own cdk8s app").
 */
export { Hostplane, PART_OF } from './hostplane.js'
export type {
  Component,
  GitServerOption,
  HostplaneProps,
  ImageOption,
  IngressOption,
  InstallOptions,
  IssuersOption,
  ReplicaVolumeOption,
  StorageMode,
  StorageOption,
} from './options.js'
export { DEFAULT_RESOURCES, IMAGE_REPOSITORY, NGINX_IMAGE_REPOSITORY } from './options.js'
export { K3S_TRAEFIK_POD_LABELS, type ProfileName, PROFILES } from './profiles.js'
