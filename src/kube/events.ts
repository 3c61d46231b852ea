/**
 * Kubernetes Events about an object (`kubectl describe` shows them). Recording is best effort:
 * a failed Event is logged and never fails the work it reports on.
 */
import { hostname } from 'node:os'
import type { Logger } from '../ops/log.js'
import type { KubeObject } from './object.js'
import type { KubeRest } from './rest.js'

export interface EventNote {
  readonly type: 'Normal' | 'Warning'
  /** CamelCase, the same reason as the condition it accompanies. */
  readonly reason: string
  readonly message: string
}

const MAX_MESSAGE = 1024

export class EventRecorder {
  constructor(
    private readonly rest: KubeRest,
    private readonly component: string,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(object: KubeObject, note: EventNote): Promise<void> {
    const namespace = object.metadata.namespace ?? 'default'
    const time = this.now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')
    try {
      await this.rest.request('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: `${object.metadata.name}.`, namespace },
          involvedObject: {
            apiVersion: object.apiVersion,
            kind: object.kind,
            name: object.metadata.name,
            namespace,
            uid: object.metadata.uid,
            resourceVersion: object.metadata.resourceVersion,
          },
          type: note.type,
          reason: note.reason,
          message: note.message.slice(0, MAX_MESSAGE),
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: hostname(),
          firstTimestamp: time,
          lastTimestamp: time,
          count: 1,
        },
      })
    } catch (error) {
      this.log.warn(
        { err: error, object: `${namespace}/${object.metadata.name}`, reason: note.reason },
        'could not record an event',
      )
    }
  }
}
