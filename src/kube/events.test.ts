import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger } from '../ops/log.js'
import { EventRecorder, recordConditionChanges } from './events.js'
import type { KubeObject } from './object.js'

function recorder() {
  const reasons: string[] = []
  const events = new EventRecorder({
    applier: { create: async (_ref, object) => void reasons.push((object as { reason: string }).reason) },
    controller: 'hostplane.dev/operator',
    instance: 'test',
    log: silentLogger(),
  })
  return { events, reasons }
}

const customer: KubeObject = {
  apiVersion: 'hostplane.dev/v1alpha1',
  kind: 'Customer',
  metadata: { name: 'acme', uid: 'uid-1' },
}

const ready = (reason: string, status: 'True' | 'False') => [
  { type: 'Ready', status, reason, message: reason, lastTransitionTime: '2026-11-22T00:00:00Z' },
]

describe('recordConditionChanges', () => {
  it('reports one transition once, even when two reconciles both start from the old status', async () => {
    const { events, reasons } = recorder()
    const before = ready('Active', 'True')
    await recordConditionChanges(events, customer, before, ready('CustomerSuspended', 'False'), ['Ready'])
    await recordConditionChanges(events, customer, before, ready('CustomerSuspended', 'False'), ['Ready'])
    assert.deepEqual(reasons, ['CustomerSuspended'])
  })

  it('reports every real transition, back and forth', async () => {
    const { events, reasons } = recorder()
    await recordConditionChanges(events, customer, undefined, ready('Active', 'True'), ['Ready'])
    await recordConditionChanges(
      events,
      customer,
      ready('Active', 'True'),
      ready('CustomerSuspended', 'False'),
      ['Ready'],
    )
    await recordConditionChanges(
      events,
      customer,
      ready('CustomerSuspended', 'False'),
      ready('Active', 'True'),
      ['Ready'],
    )
    assert.deepEqual(reasons, ['Active', 'CustomerSuspended', 'Active'])
  })

  it('keeps objects apart: the same transition of another object is reported', async () => {
    const { events, reasons } = recorder()
    const other = { ...customer, metadata: { name: 'other', uid: 'uid-2' } }
    await recordConditionChanges(events, customer, undefined, ready('Active', 'True'), ['Ready'])
    await recordConditionChanges(events, other, undefined, ready('Active', 'True'), ['Ready'])
    assert.deepEqual(reasons, ['Active', 'Active'])
  })
})
