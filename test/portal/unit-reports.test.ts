/** The list of a unit's reports as a plain function: which are open, their order, lateness, and scope. */
import { describe, expect, test } from 'vitest';
import { DUE_SOON_DAYS, isOpenReport, unitReports } from '../../client/portal/unit-reports.js';
import { unitScopeOf } from '../../client/portal/routes/unit-page.js';
import type { PeriodStatus, PlanStatus } from '../../workflows/contract/status.js';
import { validPlan } from '../fixtures/plans.js';
import { planAroundNow } from '../helpers/dev-server.js';

const DAY = 86_400_000;
const NOW = Date.parse('2027-02-10T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function period(p: string, over: Partial<PeriodStatus>): PeriodStatus {
  return {
    period: p,
    state: 'scheduled',
    requestedAt: null,
    dueAt: iso(NOW + 60 * DAY),
    submittedAt: null,
    daysLate: null,
    reminders: 0,
    escalations: 0,
    revisions: 0,
    reportStatus: null,
    progress: null,
    deliveryIssues: [],
    review: null,
    revisionDueAt: null,
    round: 0,
    ...over,
  };
}

const around = planAroundNow('p', NOW);
const plan = validPlan({
  ...around.plan,
  tasks: [
    { id: 't1', aspect: 'a', title: 'One', units: ['alpha'] },
    { id: 't2', aspect: 'a', title: 'Two', units: ['alpha', 'beta'] },
    { id: 't3', aspect: 'a', title: 'Three', units: ['alpha'] },
  ],
});

const status: PlanStatus = {
  planId: 'p',
  tasks: [
    {
      taskId: 't1',
      units: [
        {
          unitId: 'alpha',
          periods: [
            period('2027-Q1', { state: 'late', submittedAt: iso(NOW - 3 * DAY), daysLate: 2, dueAt: iso(NOW - 5 * DAY), revisions: 1 }),
            period('2027-Q2', { state: 'scheduled', dueAt: iso(NOW + (DUE_SOON_DAYS - 1) * DAY) }),
          ],
        },
      ],
    },
    {
      taskId: 't2',
      units: [
        { unitId: 'alpha', periods: [period('2027-Q1', { state: 'overdue', requestedAt: iso(NOW - 20 * DAY), dueAt: iso(NOW - 3 * DAY) }), period('2027-Q2', { dueAt: iso(NOW + 80 * DAY) })] },
        { unitId: 'beta', periods: [period('2027-Q1', { state: 'requested', dueAt: iso(NOW + 2 * DAY) })] },
      ],
    },
    {
      taskId: 't3',
      units: [
        {
          unitId: 'alpha',
          periods: [
            period('2027-Q1', { state: 'submitted', submittedAt: iso(NOW - 9 * DAY), daysLate: 0, review: 'returned', revisionDueAt: iso(NOW + 4 * DAY), dueAt: iso(NOW - 8 * DAY), revisions: 1, round: 1 }),
            period('2027-Q2', { state: 'requested', dueAt: iso(NOW + 1 * DAY) }),
          ],
        },
      ],
    },
  ],
};

describe("a unit's reports", () => {
  test('open ones first (earliest deadline first), then the ones due soon, then the rest by quarter; only the given units', () => {
    const list = unitReports(plan, status, new Set(['alpha']), NOW);
    expect(list.map((r) => `${r.taskId} ${r.status.period}`)).toEqual(['t2 2027-Q1', 't3 2027-Q2', 't3 2027-Q1', 't1 2027-Q2', 't1 2027-Q1', 't2 2027-Q2']);
    expect(list.map((r) => r.open)).toEqual([true, true, true, false, false, false]);
    expect(list.find((r) => r.taskId === 't1' && r.status.period === '2027-Q2')!.dueSoon).toBe(true);
    expect(list.find((r) => r.taskId === 't2' && r.status.period === '2027-Q2')!.dueSoon).toBe(false);
    expect(list.every((r) => r.unitId === 'alpha')).toBe(true);
    expect(unitReports(plan, status, new Set(['alpha', 'beta']), NOW).filter((r) => r.unitId === 'beta')).toHaveLength(1);
  });

  test('lateness: as recorded once submitted, so far while open; a returned report counts from its revision due day', () => {
    const list = unitReports(plan, status, new Set(['alpha']), NOW);
    const of = (t: string, p: string) => list.find((r) => r.taskId === t && r.status.period === p)!;
    expect(of('t1', '2027-Q1').daysLate).toBe(2);
    expect(of('t2', '2027-Q1').daysLate).toBeGreaterThanOrEqual(3);
    expect(of('t3', '2027-Q1')).toMatchObject({ open: true, deadline: iso(NOW + 4 * DAY), daysLate: 0 });
    expect(of('t3', '2027-Q2').daysLate).toBe(0);
  });

  test('which reports are open', () => {
    expect(['requested', 'overdue', 'escalated'].map((state) => isOpenReport(period('q', { state: state as PeriodStatus['state'] })))).toEqual([true, true, true]);
    expect(['scheduled', 'submitted', 'late', 'untracked'].map((state) => isOpenReport(period('q', { state: state as PeriodStatus['state'] })))).toEqual([false, false, false, false]);
    expect(isOpenReport(period('q', { state: 'late', review: 'returned', revisionDueAt: iso(NOW) }))).toBe(true);
    expect(isOpenReport(period('q', { state: 'late', review: 'accepted' }))).toBe(false);
  });

  test('a unit scope names exactly one plan and unit, nothing narrower', () => {
    expect(unitScopeOf({ p: 'unit-link', plan: 'p', unit: 'alpha', exp: 1 })).toEqual({ plan: 'p', unit: 'alpha' });
    expect(unitScopeOf({ p: 'unit-link', plan: 'p', unit: 'alpha', task: 't1', exp: 1 })).toBeNull();
    expect(unitScopeOf({ p: 'unit-link', plan: 'p', unit: 'alpha', period: '2027-Q1', exp: 1 })).toBeNull();
    expect(unitScopeOf({ p: 'unit-link', plan: 'p', exp: 1 })).toBeNull();
    expect(unitScopeOf({ p: 'unit-link', plan: '', unit: 'alpha', exp: 1 })).toBeNull();
  });
});
