/**
 * Prints, at the end of a run, how many tests each engine passed, then why each failed test failed: the lines a
 * reader looks for first when one engine breaks and the others do not, kept last because CI shows the tail of
 * a long run's output.
 */
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

/** How much of a failure the tail repeats: the error's first lines and the test's own last output. */
const ERROR_LINES = 25;
const OUTPUT_LINES = 20;

const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');
const firstLines = (text: string, n: number) => plain(text).split('\n').slice(0, n).join('\n');

export default class EngineReport implements Reporter {
  private counts = new Map<string, Record<'passed' | 'failed' | 'skipped', number>>();
  private failures: string[] = [];

  onTestEnd(test: TestCase, result: TestResult) {
    // the final attempt decides (retries are off, so there is one)
    if (result.retry < test.retries && result.status != 'passed') return;
    const engine = test.parent.project()?.name || 'unknown';
    const count = this.counts.get(engine) || { passed: 0, failed: 0, skipped: 0 };
    const outcome = result.status == 'passed' ? 'passed' : result.status == 'skipped' ? 'skipped' : 'failed';
    count[outcome]++;
    this.counts.set(engine, count);
    if (outcome == 'failed') this.failures.push(describe(engine, test, result));
  }

  onEnd(_result: FullResult) {
    const lines = [...this.counts].map(([engine, { passed, failed, skipped }]) =>
      `${engine}: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
    if (this.failures.length) console.log('\nwhy they failed\n' + this.failures.join('\n\n'));
    console.log('\nend-to-end tests by engine\n' + lines.join('\n'));
  }

  printsToStdio() {
    return false;
  }
}

function describe(engine: string, test: TestCase, result: TestResult) {
  const where = `[${engine}] ${test.location.file.split('/').slice(-2).join('/')}:${test.location.line} › ${test.title}`;
  const errors = result.errors.map((error) => firstLines(error.stack || error.message || String(error.value), ERROR_LINES));
  const output = plain(result.stdout.map(String).join('')).trimEnd().split('\n').slice(-OUTPUT_LINES).join('\n');
  return [`${where} (${result.status}, ${result.duration} ms)`, ...errors, ...(output ? ['its output:', output] : [])]
    .map((block) => block.replace(/^/gm, '  ')).join('\n');
}
