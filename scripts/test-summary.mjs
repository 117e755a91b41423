// Prints vitest's totals as one plain line ("N passed, N failed, N skipped") for CI logs.
import { existsSync, readFileSync } from 'node:fs';
const file = '.vitest-results.json';
if (!existsSync(file)) {
  console.log('tests: 0 passed, 1 failed');
  process.exit(0);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
// A file that crashed or failed to load has no failed test of its own: count it as one.
const failed = r.numFailedTests || (r.success ? 0 : Math.max(r.numFailedTestSuites, 1));
console.log(`tests: ${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
