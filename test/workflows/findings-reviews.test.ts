/**
 * Reviews of a plan with inspection findings and a weighted assessment, rehearsed over a year on the time-skipping
 * server: the half-year review and the annual summary show each unit's findings figures as worked out by hand, rank
 * by score, keep a unit with an overdue finding out of the advanced and tell its leader; the ledger has the findings.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { rehearse, type RehearsalResult } from '../../client/rehearse/run.js';
import { FINDING_LEDGER_COLUMNS } from '../../client/ledger.js';
import { yearPlan } from '../fixtures/plans.js';
import { testDb } from '../helpers/db.js';
import { timeSkippingEnv } from '../helpers/temporal.js';

// The findings of test/workflows/findings.test.ts (worked out there), with a coverage and assessment weights.
const plan = yearPlan('findings-reviews-2030', {
  assessment: { advancedShare: 1, backwardShare: 0.2, progressTolerance: 0.1, weights: { timeliness: 40, progress: 30, quality: 10, findings: 20 } },
  inspections: {
    cadence: { rectifyDays: 30, reminderDays: [-7, -1], verifyDays: 5, reworkDays: 15 },
    coverage: { targets: ['c1', 'c2', 'c3'], by: '2030-12-31' },
    rounds: [
      {
        id: '2030-r1',
        title: 'First inspection round',
        feedbackDay: '2030-04-03',
        covers: ['c1', 'c2'],
        findings: [
          { id: 'f-ontime', title: 'Approvals overdue', unit: 'ontime' },
          { id: 'f-late', title: 'Ledger incomplete', unit: 'late' },
          { id: 'f-never', title: 'No rectification plan', unit: 'silent' },
          { id: 'f-reject', title: 'Weak evidence', unit: 'ontime', verifier: 'late' },
          { id: 'f-reopen', title: 'Problem came back', unit: 'late', recheckAfterDays: 30 },
          { id: 'f-undecided', title: 'Verifier silent', unit: 'ontime', verifier: 'silent', deadline: '2030-05-20' },
        ],
      },
    ],
  },
});

let env: TestWorkflowEnvironment;
let out: string;
let result: RehearsalResult;
const doc = (path: string) => JSON.parse(readFileSync(join(out, path), 'utf8'));

beforeAll(async () => {
  env = await timeSkippingEnv();
  out = mkdtempSync(join(tmpdir(), 'rc-findings-reviews-'));
  result = await rehearse({
    plan,
    env,
    db: await testDb(),
    outDir: out,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    behaviour: {
      default: { submit: { daysAfterRequest: 2 }, status: 'on-track' },
      rules: [{ unit: 'late', submit: { daysAfterDue: 4 } }],
      findings: {
        default: { claim: { daysAfterAssigned: 10 }, verify: { decision: 'accept', daysAfterClaim: 2 }, recheck: 'pass' },
        rules: [
          { finding: 'f-late', claim: { daysAfterDeadline: 4 } },
          { unit: 'silent', claim: 'never' },
          { finding: 'f-reject', verify: { decision: 'reject-once', daysAfterClaim: 3 } },
          { finding: 'f-reopen', recheck: 'reopen-once' },
          { finding: 'f-undecided', verify: { decision: 'never' } },
        ],
      },
    },
  });
}, 300_000);

afterAll(async () => {
  await env?.teardown();
});

// Every first deadline (05-03, f-undecided 05-20) is in Q2, so H1 and the year count the same findings:
// - ontime: f-ontime closed on time; f-reject closed on time in round 2 (the closure's round decides); f-undecided
//   claimed, never decided (neither closed nor overdue): 2 of 3 closed on time.
// - late: f-late closed 4 days late; f-reopen reopened at re-check, reclosed on time in round 2: 1 of 2, 1 reopening.
// - silent: f-never overdue: 0 of 1.
const FINDINGS = {
  ontime: { due: 3, closedOnTime: 2, closedLate: 0, overdue: 0, reopened: 0 },
  late: { due: 2, closedOnTime: 1, closedLate: 1, overdue: 0, reopened: 1 },
  silent: { due: 1, closedOnTime: 0, closedLate: 0, overdue: 1, reopened: 0 },
};
// Scores: no targets and no decisions, so progress and quality take the average of timeliness (T) and findings (F):
// ontime T 1, F 2/3 -> 40 + 40 x 5/6 + 20 x 2/3 = 86.67; silent T 1, F 0 -> 40 + 40 x 1/2 = 60;
// late T 0 (every report late), F 1/2 -> 40 x 1/4 + 20 x 1/2 = 20.
const SCORES = { ontime: 40 + (40 * 5) / 6 + (20 * 2) / 3, silent: 60, late: 20 };

for (const [path, at] of [
  ['reviews/2030-H1.json', '2030-07-22T01:00:00.000Z'], // 06-30 + 20 = Sat 07-20, moved to Mon 07-22, 09:00 local
  ['summaries/2030.json', '2031-01-30T01:00:00.000Z'],
] as const) {
  test(`${path}: findings figures, closure rates, scores and the overdue unit kept out of the advanced`, () => {
    const r = doc(path);
    expect(r.at).toBe(at);
    expect(r.ranking.map((u: { unitId: string }) => u.unitId)).toEqual(['ontime', 'silent', 'late']);
    for (const u of r.ranking) {
      const unitId = u.unitId as keyof typeof FINDINGS;
      expect(u.findings, unitId).toEqual(FINDINGS[unitId]);
      expect(u.closureRate, unitId).toBeCloseTo(FINDINGS[unitId].closedOnTime / FINDINGS[unitId].due, 9);
      expect(u.score, unitId).toBeCloseTo(SCORES[unitId], 9);
    }
    expect(r.ranking[0].scoreParts.progress).toEqual({ weight: 30, measured: null, used: (1 + 2 / 3) / 2 });
    expect(r.findings.units.map((u: { unitId: string; overdue: number }) => [u.unitId, u.overdue])).toEqual([['ontime', 0], ['late', 0], ['silent', 1]]);
    // advancedShare 1: every clean unit would be named; silent reported on time but has an overdue finding.
    expect(r.advanced).toEqual(['ontime']);
    expect(r.backward).toEqual(['late']);
    expect(r.laggingWithoutLeader).toEqual([]);
    expect(r.lagging).toEqual([
      { leaderId: 'l1', units: [{ unitId: 'late', reasons: [{ kind: 'backward', rank: 3, of: 3 }] }] },
      { leaderId: 'l2', units: [{ unitId: 'silent', reasons: [{ kind: 'overdueFindings', count: 1 }] }] },
    ]);
    expect(r.weights).toEqual({ timeliness: 40, progress: 30, quality: 10, findings: 20 });
  });
}

test('coverage per window: the round of 04-03 covered two of three targets, both in the year', () => {
  expect(doc('reviews/2030-H1.json').findings.coverage).toEqual({ targets: 3, covered: 2, coveredInWindow: 2, by: '2030-12-31', uncovered: ['c3'], late: false });
  expect(doc('summaries/2030.json').findings.coverage).toMatchObject({ covered: 2, uncovered: ['c3'], late: true });
});

test("the silent unit's leader is told of its overdue finding", () => {
  const lagging = result.notices.filter((n) => n.kind === 'lagging' && n.window === '2030-H1');
  expect(lagging.map((n) => [n.to, n.units])).toEqual([
    [['l1@example.org'], ['late']],
    [['l2@example.org'], ['silent']],
  ]);
});

test('the documents show the findings columns and explain each score by its parts', () => {
  const md = readFileSync(join(out, 'reviews/2030-H1.md'), 'utf8');
  expect(md).toContain('| Findings due | Closed on time | Closed late | Findings overdue | Reopened | Closure rate | Score |');
  expect(md).toContain('## Inspection findings');
  expect(md).toContain('Coverage: 2 of 3 targets inspected (2 of them in this window); all are due by 2030-12-31.');
  expect(md).toContain('## Assessment scores');
  // ontime: timeliness 100, progress and quality the average 83.3, findings 66.7.
  expect(md).toContain('86.7 = (40 × 100.0 + 30 × 83.3\\* + 10 × 83.3\\* + 20 × 66.7) ÷ 100');
  const html = readFileSync(join(out, 'summaries/2030.html'), 'utf8');
  expect(html).toMatch(/<tr data-unit="silent" class="overdue"><td>Silent Unit <span class="id">\(silent\)<\/span><\/td><td class="num">1<\/td><td class="num">0<\/td><td class="num">0<\/td><td class="num">1<\/td>/);
  expect(html).toContain('1 inspection finding overdue');
});

test('the ledger: findings.csv beside ledger.csv, one row per finding, parsed back', () => {
  const file = join(out, 'findings.csv');
  expect(existsSync(file)).toBe(true);
  const text = readFileSync(file, 'utf8');
  expect(text.startsWith('\uFEFF')).toBe(true);
  const [header, ...lines] = text.slice(1).trim().split('\r\n').map((l) => l.split(','));
  expect(header).toEqual([...FINDING_LEDGER_COLUMNS]);
  const rows = lines.map((l) => Object.fromEntries(header.map((k, i) => [k, l[i]])));
  expect(rows.map((r) => [r.findingId, r.unitId, r.state, r.round, r.closedOnTime, r.daysLate, r.lastAction, r.lastActionBy])).toEqual([
    ['f-ontime', 'ontime', 'closed', '1', 'true', '0', 'accept', 'headquarters'],
    ['f-late', 'late', 'closed', '1', 'false', '4', 'accept', 'headquarters'],
    ['f-never', 'silent', 'overdue', '1', '', '', '', ''],
    ['f-reject', 'ontime', 'closed', '2', 'true', '0', 'accept', 'late'],
    ['f-reopen', 'late', 'verified', '2', 'true', '0', 'recheck: pass', 'headquarters'],
    ['f-undecided', 'ontime', 'claimed', '1', '', '', 'claim', 'ontime'],
  ]);
  expect(rows.find((r) => r.findingId === 'f-reopen')).toMatchObject({ reopened: '1', claims: '2', deadlineDay: '2030-05-31', verifier: 'headquarters' });
  expect(rows.find((r) => r.findingId === 'f-never')).toMatchObject({ reminders: '2', escalations: '2', closedAt: '' });
});
