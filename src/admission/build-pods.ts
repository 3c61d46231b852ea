/**
 * The admission policies of build Pods (src/build/jobs/render.ts renders the one shape they admit):
 *
 * - `hostplane.dev-build-pods`, bound to the build namespace: every Pod and Job there must be a
 *   hostplane build, container by container: `fetch` (the pinned fetch image), `run-image`
 *   (skopeo), `build` (the pinned CNB builder or rootless BuildKit) as init containers and `push`
 *   (skopeo) as the one container; only emptyDir volumes with a sizeLimit and the push Secret,
 *   which only `push` mounts (no Secret in env either); no ServiceAccount token, no host
 *   namespace, no host port; non-root, never privileged, all capabilities dropped, RuntimeDefault
 *   seccomp and no privilege escalation — except the BuildKit `build` container, which may have
 *   exactly what rootless BuildKit needs (escalation for newuidmap, SETUID and SETGID, seccomp and
 *   AppArmor unconfined) and nothing more; CPU, memory and ephemeral-storage limits on every
 *   container; Jobs run once, with a deadline and a TTL. Pod Security cannot say "restricted but
 *   for this one container", so this policy is the namespace's gate (docs/builds.md).
 * - `hostplane.dev-builders-elsewhere`, bound to every other namespace: a Pod or Job labelled as a
 *   hostplane build, or running the builder or BuildKit image, is refused there (a tenant
 *   namespace above all).
 * Updates are judged only when the spec changes, so the Job controller's label and finalizer
 * updates of a running build's Pod always pass.
 */
import type { Manifest } from '../kube/object.js'
import { celString } from '../api/schema-kit.js'
import { CUSTOMER_LABEL, MANAGED_BY } from '../operator/customer/names.js'
import { BUILD_COMPONENT, COMMIT_LABEL, COMPONENT_LABEL, CONTAINER } from '../build/jobs/names.js'
import type { BuildSettings } from '../build/jobs/settings.js'
import { WEBSPACE_LABEL } from '../api/webspace.js'

export const BUILD_POD_POLICY_NAME = 'hostplane.dev-build-pods'
export const BUILDERS_ELSEWHERE_POLICY_NAME = 'hostplane.dev-builders-elsewhere'

/** The push Secret's volume: the one Secret a build Pod has. */
export const PUSH_SECRET_VOLUME = 'registry-auth'

export type BuildPodPolicyOptions = Pick<BuildSettings, 'namespace' | 'images'>

const list = (values: readonly string[]) => `[${values.map(celString).join(', ')}]`
const has = (object: string, field: string) => `has(${object}.${field})`
/** `field` absent or false. */
const notTrue = (object: string, field: string) => `(!${has(object, field)} || ${object}.${field} == false)`
const label = (key: string) => `variables.labels[${celString(key)}]`
const [[managedByKey, managedByValue]] = Object.entries(MANAGED_BY) as [[string, string]]

/** Variables both policies use: the pod template of a Job, or the Pod itself. */
const podVariables = (images: BuildSettings['images']) => [
  { name: 'meta', expression: "object.kind == 'Job' ? object.spec.template.metadata : object.metadata" },
  { name: 'spec', expression: "object.kind == 'Job' ? object.spec.template.spec : object.spec" },
  // A Job's own spec, typed for Jobs only when the policy runs on one (the type checker reads
  // validations against Pods too, where these fields do not exist).
  { name: 'job', expression: 'object.spec' },
  { name: 'labels', expression: 'has(variables.meta.labels) ? variables.meta.labels : {}' },
  {
    name: 'containers',
    expression:
      '(has(variables.spec.initContainers) ? variables.spec.initContainers : []) + variables.spec.containers',
  },
  {
    name: 'builderLike',
    expression: `(${celString(COMPONENT_LABEL)} in variables.labels && ${label(COMPONENT_LABEL)} == ${celString(BUILD_COMPONENT)} && ${celString(managedByKey)} in variables.labels && ${label(managedByKey)} == ${celString(managedByValue)}) || variables.containers.exists(c, c.image in ${list([images.buildkit, images.builder])})`,
  },
]

/** Only creates, and updates that change the spec (not the Job controller's label and finalizer edits). */
const SPEC_CHANGES = [
  { name: 'spec-changes', expression: "request.operation == 'CREATE' || object.spec != oldObject.spec" },
]

const MATCH = {
  resourceRules: [
    {
      apiGroups: [''],
      apiVersions: ['v1'],
      operations: ['CREATE', 'UPDATE'],
      resources: ['pods', 'pods/ephemeralcontainers'],
    },
    { apiGroups: ['batch'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['jobs'] },
  ],
}

/** A validation refusing with `why`, followed by the names of the containers (or volumes) `bad` lists. */
const rule = (expression: string, why: string, bad?: string) => ({
  expression,
  messageExpression: bad ? `${celString(`${why}: `)} + ${bad}.join(', ')` : celString(why),
  reason: 'Forbidden',
})
/** A rule every container must pass, naming the ones that do not. */
const everyContainer = (check: string, why: string) =>
  rule(
    `variables.containers.all(c, ${check})`,
    why,
    `variables.containers.filter(c, !(${check})).map(c, c.name)`,
  )

export function renderBuildPodPolicies({ namespace, images }: BuildPodPolicyOptions): Manifest[] {
  const labels = { ...MANAGED_BY }
  const prefix = `build namespace ${namespace}`
  const roleImages = `{${[
    [CONTAINER.fetch, [images.fetch]],
    [CONTAINER.runImage, [images.skopeo]],
    [CONTAINER.build, [images.builder, images.buildkit]],
    [CONTAINER.push, [images.skopeo]],
  ]
    .map(([name, allowed]) => `${celString(name as string)}: ${list(allowed as string[])}`)
    .join(', ')}}`
  const rootless = `(c.name == ${celString(CONTAINER.build)} && c.image == ${celString(images.buildkit)})`
  const sc = 'c.securityContext'
  const caps = `${sc}.capabilities`
  const spec = 'variables.spec'
  const podSc = `${spec}.securityContext`

  const validations = [
    rule(
      `${celString(COMPONENT_LABEL)} in variables.labels && ${label(COMPONENT_LABEL)} == ${celString(BUILD_COMPONENT)} && ${celString(managedByKey)} in variables.labels && ${label(managedByKey)} == ${celString(managedByValue)} && ${[CUSTOMER_LABEL, WEBSPACE_LABEL, COMMIT_LABEL].map((key) => `${celString(key)} in variables.labels`).join(' && ')}`,
      `${prefix} runs only hostplane build Jobs: labels ${COMPONENT_LABEL}=${BUILD_COMPONENT}, ${managedByKey}=${managedByValue}, ${CUSTOMER_LABEL}, ${WEBSPACE_LABEL} and ${COMMIT_LABEL} are required`,
    ),
    rule(
      `object.kind != 'Job' || (${has('variables.job', 'backoffLimit')} && variables.job.backoffLimit == 0 && ${has('variables.job', 'activeDeadlineSeconds')} && ${has('variables.job', 'ttlSecondsAfterFinished')})`,
      `${prefix}: a build Job runs once (backoffLimit 0), with activeDeadlineSeconds and ttlSecondsAfterFinished`,
    ),
    rule(
      `${has(spec, 'restartPolicy')} && ${spec}.restartPolicy == 'Never' && !${has(spec, 'ephemeralContainers')}`,
      `${prefix}: build Pods never restart and take no ephemeral containers`,
    ),
    rule(
      `${notTrue(spec, 'hostNetwork')} && ${notTrue(spec, 'hostPID')} && ${notTrue(spec, 'hostIPC')}`,
      `${prefix}: build Pods may not use the host's network, PID or IPC namespace`,
    ),
    rule(
      `${has(spec, 'automountServiceAccountToken')} && ${spec}.automountServiceAccountToken == false`,
      `${prefix}: build Pods get no ServiceAccount token (automountServiceAccountToken: false)`,
    ),
    rule(
      `${has(spec, 'initContainers')} && ${spec}.initContainers.map(c, c.name) in [${list([CONTAINER.fetch, CONTAINER.build])}, ${list([CONTAINER.fetch, CONTAINER.runImage, CONTAINER.build])}] && size(${spec}.containers) == 1 && ${spec}.containers[0].name == ${celString(CONTAINER.push)}`,
      `${prefix}: a build Pod runs the init containers ${CONTAINER.fetch}, [${CONTAINER.runImage},] ${CONTAINER.build} and the one container ${CONTAINER.push}`,
    ),
    everyContainer(
      `c.name in ${roleImages} && c.image in ${roleImages}[c.name]`,
      `${prefix}: containers must run the builder images pinned by digest in the install; not so`,
    ),
    rule(
      `!${has(spec, 'volumes')} || ${spec}.volumes.all(v, (${has('v', 'emptyDir')} && ${has('v.emptyDir', 'sizeLimit')} && !${has('v.emptyDir', 'medium')}) || (${has('v', 'secret')} && v.name == ${celString(PUSH_SECRET_VOLUME)}))`,
      `${prefix}: build Pods may use only emptyDir volumes with a sizeLimit and the push Secret volume ${PUSH_SECRET_VOLUME}; not so`,
      `${spec}.volumes.filter(v, !((${has('v', 'emptyDir')} && ${has('v.emptyDir', 'sizeLimit')} && !${has('v.emptyDir', 'medium')}) || (${has('v', 'secret')} && v.name == ${celString(PUSH_SECRET_VOLUME)}))).map(v, v.name)`,
    ),
    everyContainer(
      `c.name == ${celString(CONTAINER.push)} || ((!${has('c', 'volumeMounts')} || c.volumeMounts.all(m, m.name != ${celString(PUSH_SECRET_VOLUME)})) && !${has('c', 'envFrom')} && (!${has('c', 'env')} || c.env.all(e, !${has('e', 'valueFrom')})))`,
      `${prefix}: only the ${CONTAINER.push} container may see the registry credential (no Secret volume, envFrom or valueFrom elsewhere); not so`,
    ),
    rule(
      `${has(spec, 'securityContext')} && ${has(podSc, 'runAsNonRoot')} && ${podSc}.runAsNonRoot == true && (!${has(podSc, 'runAsUser')} || ${podSc}.runAsUser != 0) && ${has(podSc, 'seccompProfile')} && ${podSc}.seccompProfile.type == 'RuntimeDefault' && !${has(podSc, 'sysctls')} && !${has(podSc, 'seLinuxOptions')}`,
      `${prefix}: a build Pod runs as non-root (runAsNonRoot: true) with the RuntimeDefault seccomp profile, and sets no sysctls or SELinux options`,
    ),
    everyContainer(
      `${has('c', 'securityContext')} && ${notTrue(sc, 'privileged')} && (!${has(sc, 'runAsNonRoot')} || ${sc}.runAsNonRoot == true) && (!${has(sc, 'runAsUser')} || ${sc}.runAsUser != 0) && (!${has(sc, 'procMount')} || ${sc}.procMount == 'Default') && !${has(sc, 'seLinuxOptions')} && !${has('c', 'ports')}`,
      `${prefix}: containers run as non-root, never privileged, with the default /proc and no host port; not so`,
    ),
    everyContainer(
      `${has('c', 'securityContext')} && (${rootless} || (${has(sc, 'allowPrivilegeEscalation')} && ${sc}.allowPrivilegeEscalation == false))`,
      `${prefix}: containers must set allowPrivilegeEscalation: false (only rootless BuildKit's build container may escalate, for newuidmap); not so`,
    ),
    everyContainer(
      `${has('c', 'securityContext')} && ${has(sc, 'capabilities')} && ${has(caps, 'drop')} && ${caps}.drop == ['ALL'] && (!${has(caps, 'add')} || size(${caps}.add) == 0 || (${rootless} && ${caps}.add == ['SETUID', 'SETGID']))`,
      `${prefix}: containers drop ALL capabilities and add none (rootless BuildKit's build container adds exactly SETUID and SETGID); not so`,
    ),
    everyContainer(
      `${has('c', 'securityContext')} && (${rootless} ? (${has(sc, 'seccompProfile')} && ${sc}.seccompProfile.type == 'Unconfined' && (!${has(sc, 'appArmorProfile')} || ${sc}.appArmorProfile.type in ['Unconfined', 'RuntimeDefault'])) : ((!${has(sc, 'seccompProfile')} || ${sc}.seccompProfile.type == 'RuntimeDefault') && (!${has(sc, 'appArmorProfile')} || ${sc}.appArmorProfile.type == 'RuntimeDefault')))`,
      `${prefix}: containers keep the RuntimeDefault seccomp and AppArmor profiles (rootless BuildKit's build container runs seccomp-unconfined, for its user namespace); not so`,
    ),
    everyContainer(
      `${has('c', 'resources')} && ${has('c.resources', 'limits')} && ${has('c.resources', 'requests')} && ['cpu', 'memory', 'ephemeral-storage'].all(r, r in c.resources.limits) && ['cpu', 'memory'].all(r, r in c.resources.requests)`,
      `${prefix}: every container sets CPU and memory requests and CPU, memory and ephemeral-storage limits; not so`,
    ),
  ]

  const policy = (name: string, rules: Record<string, unknown>): Manifest => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name, labels },
    spec: { failurePolicy: 'Fail', matchConstraints: MATCH, matchConditions: SPEC_CHANGES, ...rules },
  })
  const binding = (name: string, operator: 'In' | 'NotIn'): Manifest => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name, labels },
    spec: {
      policyName: name,
      validationActions: ['Deny'],
      matchResources: {
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator, values: [namespace] }],
        },
      },
    },
  })
  return [
    policy(BUILD_POD_POLICY_NAME, { variables: podVariables(images), validations }),
    binding(BUILD_POD_POLICY_NAME, 'In'),
    policy(BUILDERS_ELSEWHERE_POLICY_NAME, {
      variables: podVariables(images),
      validations: [
        {
          expression: '!variables.builderLike',
          messageExpression: `'builder Pods run only in namespace ' + ${celString(namespace)} + ', never in ' + request.namespace + ': this one is labelled as a hostplane build or runs a builder image'`,
          reason: 'Forbidden',
        },
      ],
    }),
    binding(BUILDERS_ELSEWHERE_POLICY_NAME, 'NotIn'),
  ]
}
