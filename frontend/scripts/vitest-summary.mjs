// Prints one plain closing line, "N passed, N failed", after the default Vitest report, so a
// CI log reader that knows only that line can tell the unit tests ran.
export default class SummaryReporter {
  onTestRunEnd(testModules) {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state
        if (state === 'passed') passed += 1
        else if (state === 'failed') failed += 1
        else skipped += 1
      }
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed += 1
    }
    console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`)
  }
}
