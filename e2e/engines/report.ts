/**
 * Prints, at the end of a run, how many tests each engine passed: the line a reader looks for first when one
 * engine breaks and the others do not.
 */
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

export default class EngineReport implements Reporter {
  private counts = new Map<string, Record<'passed' | 'failed' | 'skipped', number>>();

  onTestEnd(test: TestCase, result: TestResult) {
    // the final attempt decides (retries are off, so there is one)
    if (result.retry < test.retries && result.status != 'passed') return;
    const engine = test.parent.project()?.name || 'unknown';
    const count = this.counts.get(engine) || { passed: 0, failed: 0, skipped: 0 };
    count[result.status == 'passed' ? 'passed' : result.status == 'skipped' ? 'skipped' : 'failed']++;
    this.counts.set(engine, count);
  }

  onEnd(_result: FullResult) {
    const lines = [...this.counts].map(([engine, { passed, failed, skipped }]) =>
      `${engine}: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
    console.log('\nend-to-end tests by engine\n' + lines.join('\n'));
  }

  printsToStdio() {
    return false;
  }
}
