/** When a report arrived: the stamp where it entered, within the bounds a workflow accepts, as plain functions. */
import { expect, test } from 'vitest';
import { ARRIVAL_WINDOW_MS, CLOCK_SKEW_MS, arrivalOf, revisionInstant } from '../../workflows/contract/arrival.js';
import { recordKey } from '../../workflows/contract/ids.js';
import type { UnitPeriodRecord } from '../../workflows/contract/status.js';
import { cycleTimeline } from '../../workflows/cycle/timeline.js';
import { reportRefusals, type ReportScope } from '../../workflows/cycle/validate.js';
import { yearPlan } from '../fixtures/plans.js';

const plan = yearPlan('arrival-2030');
const periods = cycleTimeline(plan, Date.parse('2030-01-01T00:00:00Z'));
const q1 = periods.find((p) => p.schedule.period === '2030-Q1')!;
const key = recordKey('t1', 'ontime', '2030-Q1');
const scope = (record: Partial<UnitPeriodRecord> = {}): ReportScope => ({
  plan,
  tasks: new Map(plan.tasks.map((t) => [t.id, t])),
  units: new Map(plan.units.map((u) => [u.id, u])),
  byPeriod: new Map(periods.map((p) => [p.schedule.period, p])),
  records: { [key]: { requestedAt: q1.requestAt, reminders: 0, escalations: 0, revisions: [], deliveryIssues: [], ...record } },
  maxRevisions: 50,
});
const iso = (ms: number) => new Date(ms).toISOString();
const report = (receivedAt?: number) => ({ requestId: 'r1', taskId: 't1', unitId: 'ontime', period: '2030-Q1', status: 'on-track', summary: 'done', ...(receivedAt !== undefined ? { receivedAt: iso(receivedAt) } : {}) });

test('an unstamped report arrives at the workflow clock; a stamp counts within the window, and never in the future', () => {
  const now = Date.parse('2030-03-31T12:00:00Z');
  expect(arrivalOf(undefined, now)).toEqual({ at: now });
  expect(arrivalOf(iso(now - ARRIVAL_WINDOW_MS), now)).toEqual({ at: now - ARRIVAL_WINDOW_MS });
  expect(arrivalOf(iso(now - ARRIVAL_WINDOW_MS - 1), now)).toEqual({ problem: 'stale', at: now - ARRIVAL_WINDOW_MS - 1 });
  expect(arrivalOf(iso(now + CLOCK_SKEW_MS), now)).toEqual({ at: now });
  expect(arrivalOf(iso(now + CLOCK_SKEW_MS + 1), now)).toEqual({ problem: 'future', at: now + CLOCK_SKEW_MS + 1 });
  // Offsets other than Z name the same instant.
  expect(arrivalOf('2030-03-31T19:59:58+08:00', now)).toEqual({ at: now - 2_000 });
});

test('a report stamped before the quarter closed is accepted after the close; one stamped after is refused', () => {
  const close = q1.schedule.closeAt;
  expect(reportRefusals(scope(), report(close - 1_000), close + 4_000)).toEqual([]);
  expect(reportRefusals(scope(), report(close + 10), close + 4_000)[0]).toMatchObject({ field: 'period', code: 'closed' });
});

test('a copy that reaches the workflow after the window, or stamped ahead of its clock, or before the request, is refused', () => {
  const t = q1.requestAt + 86_400_000;
  expect(reportRefusals(scope(), report(t - ARRIVAL_WINDOW_MS - 1), t)).toEqual([
    { field: 'receivedAt', code: 'arrivedTooLate', params: { receivedAt: iso(t - ARRIVAL_WINDOW_MS - 1), now: iso(t) } },
  ]);
  expect(reportRefusals(scope(), report(t + 60_000), t)[0]).toMatchObject({ field: 'receivedAt', code: 'receivedInFuture' });
  expect(reportRefusals(scope(), report(q1.requestAt - 1), q1.requestAt + 1_000)[0]).toMatchObject({ field: 'period', code: 'notRequestedYet' });
  expect(reportRefusals(scope(), { ...report(), receivedAt: 'yesterday' }, t)[0]).toMatchObject({ field: 'receivedAt', code: 'invalid' });
  // A repeat is answered with its first receipt whatever its stamp says (the sender asks what became of it).
  const seen = { submittedAt: t, revisions: [{ requestId: 'r1', arrivedAt: t, status: 'on-track' as const, summary: '' }] };
  expect(reportRefusals(scope(seen), report(t - 3_600_000), t + 3_600_000)).toEqual([]);
});

test('a revision is never recorded before what the report already holds', () => {
  const record = { revisions: [{ arrivedAt: 5_000 }], decisions: [{ at: 7_000 }] };
  expect(revisionInstant(9_000, record)).toBe(9_000);
  expect(revisionInstant(6_000, record)).toBe(7_000);
  expect(revisionInstant(1_000, { revisions: [] })).toBe(1_000);
});
