/**
 * The kubelet's last word on a Job's Pod, as tests write it with no kubelet running: every
 * container ran and ended as told (exit code, termination message), and the Pod's phase follows,
 * so the real Job controller completes or fails the Job.
 */
import type { KubeRest } from '../../src/kube/rest.js'
import { resourcePath } from '../../src/kube/rest.js'

export interface ContainerEnd {
  readonly exitCode: number
  readonly message?: string
}

interface PodToFinish {
  readonly metadata: { readonly name: string; readonly namespace?: string }
  readonly spec: {
    readonly initContainers?: readonly { readonly name: string; readonly image: string }[]
    readonly containers: readonly { readonly name: string; readonly image: string }[]
  }
}

/** `others`: how the containers `ends` does not name ended; without it they are still waiting. */
export async function finishPod(
  admin: Pick<KubeRest, 'request'>,
  pod: PodToFinish,
  ends: Readonly<Record<string, ContainerEnd>>,
  others?: ContainerEnd,
): Promise<void> {
  const now = new Date().toISOString()
  const status = (c: { name: string; image: string }) => {
    const end = ends[c.name] ?? others
    return {
      name: c.name,
      image: c.image,
      imageID: c.image,
      ready: false,
      restartCount: 0,
      state: end
        ? {
            terminated: {
              exitCode: end.exitCode,
              reason: end.exitCode ? 'Error' : 'Completed',
              ...(end.message ? { message: end.message } : {}),
              startedAt: now,
              finishedAt: now,
            },
          }
        : { waiting: { reason: 'PodInitializing' } },
    }
  }
  const failed = Object.values(ends).some((end) => end.exitCode !== 0)
  const { name, namespace } = pod.metadata
  await admin.request(
    'PATCH',
    resourcePath({ apiVersion: 'v1', plural: 'pods', namespace, name, subresource: 'status' }),
    {
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          phase: failed ? 'Failed' : 'Succeeded',
          startTime: now,
          ...(pod.spec.initContainers ? { initContainerStatuses: pod.spec.initContainers.map(status) } : {}),
          containerStatuses: pod.spec.containers.map(status),
        },
      },
    },
  )
}
