/** Prints one closing line "e2e: N passed, N failed" after a Playwright run. */
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

export default class SummaryReporter implements Reporter {
  private passed = 0;
  private failed = 0;
  private skipped = 0;

  onTestEnd(test: TestCase, result: TestResult): void {
    // Count a test once, by its final outcome (retries would otherwise double-count).
    if (result.retry < test.retries && result.status !== 'passed' && result.status !== 'skipped') return;
    if (result.status === 'passed') this.passed++;
    else if (result.status === 'skipped') this.skipped++;
    else this.failed++;
  }

  onEnd(_result: FullResult): void {
    const skipped = this.skipped ? `, ${this.skipped} skipped` : '';
    process.stdout.write(`\ne2e: ${this.passed} passed, ${this.failed} failed${skipped}\n`);
  }
}
