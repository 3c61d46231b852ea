import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { renderBackupJob, renderRestoreJob } from './job.js'

const IMAGE = `registry.test/hostplane@sha256:${'a'.repeat(64)}`
const input = {
  backup: { name: 'nightly-1', namespace: 'sh-acme', uid: 'uid-1' },
  customer: 'acme',
  target: 'offsite',
  group: 'nightly',
}

interface JobShape {
  metadata: { name: string; labels: Record<string, string>; ownerReferences: { kind: string; uid: string }[] }
  spec: {
    backoffLimit: number
    template: {
      metadata: { labels: Record<string, string> }
      spec: {
        automountServiceAccountToken: boolean
        securityContext: Record<string, unknown>
        containers: {
          args: string[]
          volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[]
        }[]
        volumes: {
          name: string
          secret?: { secretName: string }
          persistentVolumeClaim?: { claimName: string; readOnly: boolean }
        }[]
      }
    }
  }
}
const shape = (job: unknown) => job as JobShape

describe('the backup Job', () => {
  it('runs hostplane backup run for the Backup as its restore point, in its group, answering in the termination log', () => {
    const job = shape(
      renderBackupJob(
        { ...input, webspace: { name: 'shop', claim: 'shop' }, databaseSecret: 'shop-database' },
        { image: IMAGE },
      ),
    )
    assert.equal(job.metadata.name, 'backup-nightly-1')
    assert.deepEqual(job.spec.template.spec.containers[0]?.args, [
      'backup',
      'run',
      '--repository=/var/run/hostplane/repository',
      '--point=nightly-1',
      '--cache-dir=/tmp/restic-cache',
      '--answer-file=/dev/termination-log',
      '--group=nightly',
      '--volume=/data',
      '--database=/var/run/hostplane/database',
    ])
    assert.deepEqual(
      job.metadata.ownerReferences.map((o) => [o.kind, o.uid]),
      [['Backup', 'uid-1']],
    )
    assert.equal(job.spec.template.metadata.labels['hostplane.dev/backup'], 'nightly-1')
  })

  it('mounts the volume read-only, the Secrets of the repository and the database, and no ServiceAccount token', () => {
    const job = shape(
      renderBackupJob(
        { ...input, webspace: { name: 'shop', claim: 'shop' }, databaseSecret: 'shop-database' },
        { image: IMAGE },
      ),
    )
    const pod = job.spec.template.spec
    assert.equal(pod.automountServiceAccountToken, false)
    assert.equal(pod.securityContext.runAsNonRoot, true)
    assert.deepEqual(
      pod.volumes.map((v) => v.secret?.secretName ?? v.persistentVolumeClaim?.claimName ?? v.name),
      ['tmp', 'hostplane-backup-offsite', 'shop-database', 'shop'],
    )
    assert.equal(pod.volumes.find((v) => v.name === 'data')?.persistentVolumeClaim?.readOnly, true)
    assert.equal(pod.containers[0]?.volumeMounts.find((m) => m.name === 'data')?.readOnly, true)
  })

  it('backs up only what the Backup names', () => {
    const databaseOnly = shape(
      renderBackupJob({ ...input, databaseSecret: 'shop-database' }, { image: IMAGE }),
    )
    const args = databaseOnly.spec.template.spec.containers[0]?.args ?? []
    assert.ok(args.includes('--database=/var/run/hostplane/database') && !args.includes('--volume=/data'))
    assert.ok(!databaseOnly.spec.template.spec.volumes.some((v) => v.persistentVolumeClaim))
  })

  it('runs hostplane backup restore --replace over the database, naming the Backup of what was there as the way back', () => {
    const restore = {
      restore: { name: 'undo', namespace: 'sh-acme', uid: 'uid-2' },
      customer: 'acme',
      target: 'offsite',
      point: 'nightly-1',
      databaseSecret: 'shop-database',
    }
    const argsOf = (job: unknown) => shape(job).spec.template.spec.containers[0]?.args
    assert.deepEqual(argsOf(renderRestoreJob({ ...restore, before: 'undo-before' }, { image: IMAGE })), [
      'backup',
      'restore',
      '--repository=/var/run/hostplane/repository',
      '--point=nightly-1',
      '--cache-dir=/tmp/restic-cache',
      '--answer-file=/dev/termination-log',
      '--replace',
      '--database=/var/run/hostplane/database',
      '--before=undo-before',
    ])
    assert.ok(!argsOf(renderRestoreJob(restore, { image: IMAGE }))?.some((arg) => arg.startsWith('--before')))
  })
})
