// A node:test reporter that writes one JSON line per finished test, so the runner can report
// how many tests ran per file (and so against the real API server) and how many were skipped.
export default async function* testCounts(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue
    const { data } = event
    // A suite counts only when it was skipped whole (its tests then report nothing themselves).
    if (data.details?.type === 'suite' && !data.skip) continue
    yield `${JSON.stringify({
      file: data.file,
      name: data.name,
      passed: event.type === 'test:pass',
      skipped: Boolean(data.skip || data.todo),
    })}\n`
  }
}
