/**
 * Semi-annual reviews and annual summaries over two years on the time-skipping server, checked against numbers
 * worked out by hand from the rules: ranking, advanced and backward units, targets, lagging notices, rank changes.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { rehearse, type RehearsalResult } from '../../client/rehearse/run.js';
import { validPlan } from '../fixtures/plans.js';
import { timeSkippingEnv } from '../helpers/temporal.js';
import { testDb } from '../helpers/db.js';

// UTC, no calendar: every day works. Quarter due days: L + 5 (e.g. 2030-04-05); escalations due + 3 and + 10.
const plan = validPlan({
  id: 'reviews-2030',
  title: 'Reviews 2030-2031',
  timezone: 'UTC',
  start: '2030-01-01',
  end: '2031-12-31',
  headquarters: { name: 'HQ', email: 'hq@example.org' },
  leaders: [
    { id: 'la', name: 'Leader A', email: 'la@example.org' },
    { id: 'lc', name: 'Leader C', email: 'lc@example.org' },
  ],
  units: [
    { id: 'a', name: 'Unit A', email: 'a@example.org', leader: 'la' },
    { id: 'b', name: 'Unit B', email: 'b@example.org', leader: 'la' },
    { id: 'c', name: 'Unit C', email: 'c@example.org', leader: 'lc' },
    { id: 'd', name: 'Unit D', email: 'd@example.org', leader: 'lc' },
  ],
  aspects: [{ id: 'x', title: 'Aspect X' }],
  tasks: [
    { id: 't1', aspect: 'x', title: 'Task 1', units: ['a', 'b', 'c'] },
    { id: 't2', aspect: 'x', title: 'Task 2', units: ['c', 'd'], target: { metric: 'km', total: 160, reportedBy: 'd' } },
    { id: 't3', aspect: 'x', title: 'Task 3', units: ['a'], target: { metric: 'sites', total: 80 } },
  ],
  cadence: {
    sendTime: '09:00',
    requestOffsetDays: -10,
    dueOffsetDays: 5,
    reminderDays: [0],
    escalation: [
      { afterDaysOverdue: 3, to: 'unitLeader' },
      { afterDaysOverdue: 10, to: 'headquarters' },
    ],
  },
  assessment: { advancedShare: 0.34, backwardShare: 0.34, progressTolerance: 0.1 },
});

let env: TestWorkflowEnvironment;
let out: string;
let result: RehearsalResult;
const doc = (path: string) => JSON.parse(readFileSync(join(out, path), 'utf8'));

beforeAll(async () => {
  env = await timeSkippingEnv();
  out = mkdtempSync(join(tmpdir(), 'rc-reviews-'));
  result = await rehearse({
    plan,
    env,
    db: await testDb(),
    outDir: out,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    behaviour: {
      default: { submit: { daysAfterRequest: 1 }, status: 'on-track' },
      rules: [
        { unit: 'b', period: '2030-Q1', submit: { daysAfterDue: 2 } },
        { unit: 'b', period: '2030-Q2', submit: { daysAfterDue: 5 } },
        { unit: 'c', task: 't1', submit: 'never' },
        { unit: 'd', period: '2030-Q1', progress: 10 },
        { unit: 'd', period: '2030-Q2', progress: 30, status: 'at-risk' },
        { unit: 'a', task: 't3', period: '2030-Q1', progress: 5 },
        { unit: 'a', task: 't3', period: '2030-Q2', progress: 20 },
      ],
    },
  });
});
afterAll(async () => {
  await env?.teardown();
});

const row = (unitId: string, rank: number, due: number, onTime: number, late: number, missing: number, daysLate: number, escalations: number) => ({
  unitId,
  rank,
  due,
  onTime,
  late,
  missing,
  daysLate,
  escalations,
  onTimeRate: onTime / due,
});

test('2030-H1: ranking, advanced, backward and targets as worked out by hand', () => {
  const h1 = doc('reviews/2030-H1.json');
  // Made on June 30 + 20 days at 09:00 UTC.
  expect(h1.window).toBe('2030-H1');
  expect(h1.at).toBe('2030-07-20T09:00:00.000Z');
  // a: 4 on time. b: Q1 2 days late (before level 1), Q2 5 days late (after level 1 on 07-08). c: t1 missing twice
  // (2 levels each), t2 on time twice. d: 2 on time. a and d tie on everything: unit id decides.
  expect(h1.ranking).toEqual([
    row('a', 1, 4, 4, 0, 0, 0, 0),
    row('d', 2, 2, 2, 0, 0, 0, 0),
    row('c', 3, 4, 2, 0, 2, 0, 4),
    row('b', 4, 2, 0, 2, 0, 7, 1),
  ]);
  // ceil(0.34 x 4) = 2 of each.
  expect(h1.advanced).toEqual(['a', 'd']);
  expect(h1.backward).toEqual(['c', 'b']);
  // t2: 160 x 2/8 = 40 expected, 30 reported by d (< 36): behind. t3: 80 x 2/8 = 20, 20 reported: not behind.
  expect(h1.behindPlan.map((b: { taskId: string; expected: number; actual: number }) => ({ taskId: b.taskId, expected: b.expected, actual: b.actual }))).toEqual([
    { taskId: 't2', expected: 40, actual: 30 },
  ]);
  expect(h1.flagged).toEqual([{ taskId: 't2', unitId: 'd', period: '2030-Q2', status: 'at-risk', problems: null }]);
});

test('lagging notices: one per leader and window, naming all of that leader\'s lagging units', () => {
  const lagging = result.notices.filter((n) => n.kind === 'lagging' && n.window === '2030-H1');
  // b backward; c backward, missing, on a task behind plan; d on a task behind plan.
  expect(lagging).toEqual([
    { at: '2030-07-20T09:00:00.000Z', kind: 'lagging', planId: 'reviews-2030', window: '2030-H1', units: ['b'], to: ['la@example.org'], cc: ['hq@example.org'] },
    { at: '2030-07-20T09:00:00.000Z', kind: 'lagging', planId: 'reviews-2030', window: '2030-H1', units: ['c', 'd'], to: ['lc@example.org'], cc: ['hq@example.org'] },
  ]);
  const reviewNotice = result.notices.find((n) => n.kind === 'review' && n.window === '2030-H1');
  expect(reviewNotice).toMatchObject({ to: ['hq@example.org'], cc: ['la@example.org', 'lc@example.org'] });
});

test('annual summaries: the year\'s quarters, targets over the whole plan, rank change from the second year', () => {
  const y2030 = doc('summaries/2030.json');
  expect(y2030.at).toBe('2031-01-30T09:00:00.000Z');
  expect(y2030.ranking).toEqual([
    row('a', 1, 8, 8, 0, 0, 0, 0),
    row('d', 2, 4, 4, 0, 0, 0, 0),
    row('b', 3, 4, 2, 2, 0, 7, 1),
    row('c', 4, 8, 4, 0, 4, 0, 8),
  ]);
  expect(y2030.backward).toEqual(['b', 'c']);
  // 4 of 8 quarters due: t2 expects 80 (has 30), t3 expects 40 (has 20): both behind.
  expect(y2030.behindPlan.map((b: { taskId: string }) => b.taskId)).toEqual(['t2', 't3']);
  const lagging2030 = result.notices.filter((n) => n.kind === 'lagging' && n.window === '2030').map((n) => n.units);
  expect(lagging2030).toEqual([['a', 'b'], ['c', 'd']]);

  const y2031 = doc('summaries/2031.json');
  expect(y2031.at).toBe('2032-01-30T09:00:00.000Z');
  expect(y2031.ranking.map((r: { unitId: string; rank: number; rankChange: number }) => [r.unitId, r.rank, r.rankChange])).toEqual([
    ['a', 1, 0],
    ['b', 2, 1],
    ['d', 3, -1],
    ['c', 4, 0],
  ]);
  const planSummary = doc('summaries/plan.json');
  // Made at the same moment as the last annual summary: both are made.
  expect(planSummary.at).toBe(y2031.at);
  expect(planSummary.ranking.map((r: { unitId: string; due: number }) => [r.unitId, r.due])).toEqual([
    ['a', 16],
    ['d', 8],
    ['b', 8],
    ['c', 16],
  ]);
  expect(result.notices.filter((n) => n.kind === 'summary').map((n) => n.window)).toEqual(['2030', '2031', 'plan']);
});

test('documents: JSON, Markdown and an HTML page with a heatmap, for every review and summary; a ledger', () => {
  for (const f of ['reviews/2030-H1', 'reviews/2031-H1', 'summaries/2030', 'summaries/2031', 'summaries/plan']) {
    for (const ext of ['json', 'md', 'html']) expect(existsSync(join(out, `${f}.${ext}`)), `${f}.${ext}`).toBe(true);
  }
  const html = readFileSync(join(out, 'summaries/2030.html'), 'utf8');
  expect(html).toContain('Unit C');
  expect((html.match(/class="[^"]*c-M/g) ?? []).length).toBeGreaterThanOrEqual(4);
  const ledger = readFileSync(join(out, 'ledger.csv'), 'utf8');
  expect(ledger.startsWith('\uFEFF')).toBe(true);
  // One row per (aspect, task, unit, quarter): 6 unit-tasks x 8 quarters, plus the header.
  expect(ledger.trim().split('\r\n')).toHaveLength(1 + 6 * 8);
});
