/** The checks behind the update validators, as plain functions of a group's plan, records and the moment. */
import { expect, test } from 'vitest';
import { recordKey } from '../../workflows/contract/ids.js';
import { refusalLine } from '../../workflows/contract/refusals.js';
import type { UnitPeriodRecord } from '../../workflows/contract/status.js';
import { cycleTimeline } from '../../workflows/cycle/timeline.js';
import { decisionRefusals, reportRefusals, type ReportScope } from '../../workflows/cycle/validate.js';
import { yearPlan } from '../fixtures/plans.js';

const plan = yearPlan('validate-2030');
const periods = cycleTimeline(plan, Date.parse('2030-01-01T00:00:00Z'));
const q1 = periods.find((p) => p.schedule.period === '2030-Q1')!;
const record = (over: Partial<UnitPeriodRecord> = {}): UnitPeriodRecord => ({ requestedAt: q1.requestAt, reminders: 0, escalations: 0, revisions: [], deliveryIssues: [], ...over });
const scope = (records: Record<string, UnitPeriodRecord> = {}): ReportScope => ({
  plan,
  tasks: new Map(plan.tasks.map((t) => [t.id, t])),
  units: new Map(plan.units.map((u) => [u.id, u])),
  byPeriod: new Map(periods.map((p) => [p.schedule.period, p])),
  records,
  maxRevisions: 2,
});
const report = (over: Record<string, unknown> = {}) => ({ requestId: 'r1', taskId: 't1', unitId: 'ontime', period: '2030-Q1', status: 'on-track', summary: 'done', ...over });
const key = recordKey('t1', 'ontime', '2030-Q1');
const inQ1 = q1.requestAt + 1;

test('each refusal comes with its field, code and the values its sentence names', () => {
  expect(reportRefusals(scope(), report({ taskId: 'nope' }), inQ1)).toEqual([{ field: 'taskId', code: 'unknownTask', params: { taskId: 'nope', planId: plan.id } }]);
  expect(reportRefusals(scope(), report({ unitId: 'ghost' }), inQ1)[0].code).toBe('unknownUnit');
  expect(reportRefusals(scope(), report({ period: '2031-Q1' }), inQ1).map(refusalLine)).toEqual([`period: 2031-Q1 is not a quarter of plan ${plan.id} (2030-01-01 to 2030-12-31)`]);
  expect(reportRefusals(scope(), report(), inQ1)).toEqual([{ field: 'period', code: 'notRequestedYet', params: { period: '2030-Q1', requestAt: new Date(q1.requestAt).toISOString() } }]);
  expect(reportRefusals(scope(), report({ status: 'fine', summary: '' }), inQ1).map((r) => [r.field, r.code])).toEqual([['status', 'invalid'], ['summary', 'invalid']]);
});

test('an open quarter accepts; a repeated request id is no refusal; closed, locked and too many revisions are', () => {
  expect(reportRefusals(scope({ [key]: record() }), report(), inQ1)).toEqual([]);
  const twice = record({ revisions: [{ requestId: 'r1', arrivedAt: inQ1, status: 'on-track', summary: '' }, { requestId: 'r2', arrivedAt: inQ1, status: 'on-track', summary: '' }] });
  expect(reportRefusals(scope({ [key]: twice }), report({ requestId: 'r1' }), inQ1)).toEqual([]);
  expect(reportRefusals(scope({ [key]: twice }), report({ requestId: 'r3' }), inQ1)[0]).toMatchObject({ field: 'requestId', code: 'tooManyRevisions', params: { max: 2 } });
  expect(reportRefusals(scope({ [key]: record() }), report(), q1.schedule.closeAt)[0]).toMatchObject({ field: 'period', code: 'closed' });
  const accepted = record({ submittedAt: inQ1, revisions: [twice.revisions[0]], decisions: [{ decision: 'accept', at: inQ1 + 5, requestId: 'd1' }] });
  expect(reportRefusals(scope({ [key]: accepted }), report({ requestId: 'r9' }), inQ1 + 10)[0]).toMatchObject({ field: 'period', code: 'locked' });
  // A returned report reopens its quarter for the revision, even past the close.
  const returned = record({ submittedAt: inQ1, revisions: [twice.revisions[0]], awaitingSince: inQ1 + 5, decisions: [{ decision: 'return', at: inQ1 + 5, requestId: 'd1', comment: 'more' }] });
  expect(reportRefusals(scope({ [key]: returned }), report({ requestId: 'r9' }), q1.schedule.closeAt + 1)).toEqual([]);
});

test('decisions: no report yet, locked, awaiting its revision, closed', () => {
  const decision = (over: Record<string, unknown> = {}) => ({ requestId: 'd2', taskId: 't1', unitId: 'ontime', period: '2030-Q1', decision: 'return', comment: 'more', ...over });
  expect(decisionRefusals(scope({ [key]: record() }), decision(), inQ1)[0].code).toBe('noReportYet');
  const submitted = record({ submittedAt: inQ1, revisions: [{ requestId: 'r1', arrivedAt: inQ1, status: 'on-track', summary: '' }] });
  expect(decisionRefusals(scope({ [key]: submitted }), decision(), inQ1)).toEqual([]);
  expect(decisionRefusals(scope({ [key]: submitted }), decision(), q1.schedule.closeAt)[0].code).toBe('closed');
  const awaiting = { ...submitted, awaitingSince: inQ1 + 5, decisions: [{ decision: 'return' as const, at: inQ1 + 5, requestId: 'd1', comment: 'more' }] };
  expect(decisionRefusals(scope({ [key]: awaiting }), decision(), inQ1 + 10)[0]).toMatchObject({ field: 'decision', code: 'awaitingRevision' });
  expect(decisionRefusals(scope({ [key]: awaiting }), decision({ requestId: 'd1' }), inQ1 + 10)).toEqual([]); // a repeat
  expect(decisionRefusals(scope(), decision({ comment: '' }), inQ1)[0]).toMatchObject({ field: 'comment', code: 'invalid' });
});
