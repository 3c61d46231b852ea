/**
 * The security contexts of hostplane's own Pods (the install's components, the backup proxy), as
 * Pod Security `restricted` admits them: the image's user (scripts/image/recipe.ts), never root,
 * no privilege escalation, no capability, a read-only root, the runtime's seccomp profile.
 */

/** One non-root UID and GID for every container; the sites volume is group-owned by it (fsGroup). */
export const HOSTPLANE_USER = 10001

export const restrictedPodSecurity = () => ({
  runAsNonRoot: true,
  runAsUser: HOSTPLANE_USER,
  runAsGroup: HOSTPLANE_USER,
  fsGroup: HOSTPLANE_USER,
  seccompProfile: { type: 'RuntimeDefault' },
})

export const restrictedContainerSecurity = () => ({
  runAsNonRoot: true,
  runAsUser: HOSTPLANE_USER,
  runAsGroup: HOSTPLANE_USER,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
})
