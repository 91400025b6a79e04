// Adds up vitest's JSON results (and the fault suite's test-artifacts/faults.json) into one closing line: "tests: N passed, N failed, N skipped".
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    missing++;
    console.log(`no test results in ${file}`);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  if (Array.isArray(r.reports)) {
    // The fault suite's figures: each scenario counts as one test.
    for (const s of r.reports) s.problems.length ? failed++ : passed++;
    continue;
  }
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing > 0 || passed === 0 ? 1 : 0);
