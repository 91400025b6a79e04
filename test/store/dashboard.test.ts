/**
 * The dashboard's SQL aggregation on a real database: every stored record's state in SQL equals `periodState()` at
 * several moments around its deadline and its revision's deadline, and the summary's counts, its lagging units and
 * the drill-down equal what `planStatus()` (the whole plan's status, computed in JS) gives at the same moments; also
 * for an amended plan (its timeline in force, the tasks and pairs it retired, the pairs that joined, withdrawn reports).
 */
import type pg from 'pg';
import { beforeAll, describe, expect, test } from 'vitest';
import { laggingUnits, isLagging } from '../../client/portal/heatmap.js';
import { planStatus } from '../../client/plans.js';
import { aspectDrillDown, dashboardSummary, planStartedAt, type StateCounts } from '../../store/dashboard.js';
import { recordPlan, recordProgress } from '../../store/records.js';
import { recordPlanVersion } from '../../store/versions.js';
import { planDifference } from '../../workflows/amend/diff.js';
import { nextTrack, statusPlanOf } from '../../workflows/amend/track.js';
import { recordKey } from '../../workflows/contract/ids.js';
import { PERIOD_STATES, type PeriodState, type PlanStatus, type UnitPeriodRecord } from '../../workflows/contract/status.js';
import { layoutOf } from '../../workflows/cycle/layout.js';
import { quarterDue } from '../../workflows/cycle/extension.js';
import { periodState } from '../../workflows/cycle/status.js';
import { cycleTimeline, type TrackedPeriod } from '../../workflows/cycle/timeline.js';
import { validPlan, yearPlan } from '../fixtures/plans.js';
import { testDb } from '../helpers/db.js';

const DAY = 86_400_000;
const plan = yearPlan('dash-2030', {
  aspects: [
    { id: 'a', title: 'Aspect A' },
    { id: 'b', title: 'Aspect B' },
  ],
  tasks: [
    { id: 't1', aspect: 'a', title: 'Task One', units: ['ontime', 'late', 'silent'] },
    { id: 't2', aspect: 'a', title: 'Task Two', units: ['ontime', 'late'] },
    { id: 't3', aspect: 'b', title: 'Task Three', units: ['late', 'silent'] },
  ],
});
// Started after Q1's due day: Q1 is untracked; Q4 gets no record here, so it stays scheduled.
const startedAt = Date.parse('2030-05-01T00:00:00Z');
const timeline = cycleTimeline(plan, startedAt);
const quarter = (id: string) => timeline.find((p) => p.schedule.period === id)!;
const q2 = quarter('2030-Q2');
const q3 = quarter('2030-Q3');
const revisionDeadline = q2.schedule.deadline + 10 * DAY;

/** A requested record of quarter `p`, changed by `over`. */
function rec(p: TrackedPeriod, over: Partial<UnitPeriodRecord> = {}): UnitPeriodRecord {
  return { requestedAt: p.requestAt, reminders: 0, escalations: 0, revisions: [], deliveryIssues: [], sent: [{ kind: 'request', number: 1, round: 0, at: p.requestAt }], ...over };
}
const revision = (p: TrackedPeriod, id: string, at: number) => ({ requestId: id, arrivedAt: at, status: 'on-track', summary: `Report ${id}.`, progress: 50 });
const submitted = (p: TrackedPeriod, daysLate = 0, id = 'r1') => {
  const at = p.schedule.deadline - DAY + daysLate * DAY;
  return { submittedAt: at, daysLate, revisions: [revision(p, id, at)] };
};
const returned = (p: TrackedPeriod, extra: Partial<UnitPeriodRecord> = {}, deadline: number | undefined = revisionDeadline): Partial<UnitPeriodRecord> => {
  const at = p.schedule.deadline + DAY;
  return {
    ...submitted(p),
    decisions: [{ decision: 'return', at, requestId: 'd1', comment: 'More figures.', by: 'Desk', ...(deadline !== undefined ? { revisionDueDay: '2030-07-20', revisionDeadline: deadline } : {}) }],
    awaitingSince: at,
    ...extra,
  };
};

/** Q3 extended (延期) at `at` to a new deadline 10 days after the quarter's, after escalation level 1 was sent. */
const extendedDeadline = q3.schedule.deadline + 10 * DAY;
const extendedQ3 = (at = q3.schedule.deadline + 4 * DAY): Partial<UnitPeriodRecord> => ({
  extensions: [{ requestId: 'x1', at, until: '2030-10-18', dueDay: '2030-10-18', deadline: extendedDeadline, previousDueDay: '2030-10-08', closeAt: q3.schedule.closeAt, round: 0, reason: 'Typhoon' }],
});
const escalatedAt = (at: number, number = 1) => ({ kind: 'escalation', number, round: 0, at });

/** (task, unit, quarter, record, kind): every state, and the returned cases. */
const cases: [string, string, TrackedPeriod, UnitPeriodRecord, string][] = [
  ['t1', 'ontime', q2, rec(q2, submitted(q2)), 'submitted'],
  ['t1', 'late', q2, rec(q2, submitted(q2, 3)), 'late'],
  ['t1', 'silent', q2, rec(q2, { escalations: 1, escalatedAt: [q2.schedule.deadline + 3 * DAY], sent: [{ kind: 'escalation', number: 1, round: 0, at: q2.schedule.deadline + 3 * DAY }] }), 'escalated'],
  ['t2', 'ontime', q2, rec(q2, { ...submitted(q2), decisions: [{ decision: 'accept', at: q2.schedule.deadline, requestId: 'd1' }] }), 'accepted'],
  ['t2', 'late', q2, rec(q2, returned(q2)), 'returned, awaiting'],
  ['t3', 'late', q2, rec(q2, returned(q2, { sent: [{ kind: 'escalation', number: 1, round: 1, at: revisionDeadline + 3 * DAY }] })), 'returned, its round escalated'],
  ['t3', 'silent', q2, rec(q2, returned(q2, { escalations: 1, sent: [{ kind: 'escalation', number: 1, round: 0, at: q2.schedule.deadline - DAY / 2 }] })), 'returned, escalated before the return only'],
  ['t1', 'ontime', q3, rec(q3), 'requested'],
  ['t1', 'late', q3, rec(q3, returned(q3, {}, undefined)), 'returned without a revision deadline'],
  [
    't2',
    'late',
    q3,
    rec(q3, { ...submitted(q3, 2, 'r2'), revisions: [revision(q3, 'r1', q3.schedule.deadline - DAY), revision(q3, 'r2', q3.schedule.deadline + 2 * DAY)], decisions: [{ decision: 'return', at: q3.schedule.deadline, requestId: 'd1', revisionDeadline }] }),
    'returned, then revised late',
  ],
  ['t3', 'silent', q3, rec(q3, { deliveryIssues: [{ kind: 'request', number: 1, at: new Date(q3.requestAt).toISOString(), reason: 'refused' }] }), 'requested, mail refused'],
  [
    't1',
    'silent',
    q3,
    rec(q3, { escalations: 1, escalatedAt: [q3.schedule.deadline + 3 * DAY], sent: [{ kind: 'request', number: 1, round: 0, at: q3.requestAt }, escalatedAt(q3.schedule.deadline + 3 * DAY)], ...extendedQ3() }),
    'escalated, then extended: requested, then overdue against its new day',
  ],
  [
    't3',
    'late',
    q3,
    rec(q3, {
      escalations: 2,
      sent: [{ kind: 'request', number: 1, round: 0, at: q3.requestAt }, escalatedAt(q3.schedule.deadline + 3 * DAY), escalatedAt(extendedDeadline + 3 * DAY, 2)],
      ...extendedQ3(),
    }),
    'escalated, extended, and escalated again after its new day',
  ],
];

const around = (t: number) => [t - 1, t, t + 1];
const moments = [
  q2.requestAt,
  ...around(q2.schedule.deadline),
  ...around(revisionDeadline),
  ...around(q3.schedule.deadline),
  ...around(extendedDeadline),
  q3.schedule.deadline + 30 * DAY,
];

/** Counts per state over all quarters, and per quarter, from a whole plan's status. */
function countsOf(status: PlanStatus, keep: (taskId: string, unitId: string) => boolean) {
  const all = Object.fromEntries(PERIOD_STATES.map((s) => [s, 0])) as StateCounts;
  const byPeriod: Record<string, StateCounts> = Object.fromEntries(timeline.map((p) => [p.schedule.period, { ...all }]));
  let lagging = 0;
  for (const t of status.tasks)
    for (const u of t.units) {
      if (!keep(t.taskId, u.unitId)) continue;
      for (const p of u.periods) {
        all[p.state]++;
        byPeriod[p.period][p.state]++;
        if (isLagging(p)) lagging++;
      }
    }
  return { counts: all, byPeriod, laggingRecords: lagging };
}
const aspectOf = (taskId: string) => plan.tasks.find((t) => t.id === taskId)!.aspect;

let db: pg.Pool;
beforeAll(async () => {
  db = await testDb();
  await recordPlan(db, { planId: plan.id, version: 1, plan, startedAt, layout: layoutOf(plan) });
  await recordProgress(db, {
    planId: plan.id,
    changes: cases.map(([taskId, unitId, p, record]) => ({
      taskId, unitId, period: p.schedule.period, aspectId: aspectOf(taskId), deadline: quarterDue(p, record).deadline, record,
      texts: record.revisions.map((v) => ({ requestId: v.requestId, summary: `${v.summary} In full.` })),
    })),
  });
});

describe('the state of a record in SQL', () => {
  test('equals periodState() for every record at every moment around its deadlines', async () => {
    const seen = new Set<PeriodState>();
    for (const now of moments) {
      const cells = new Map<string, PeriodState>();
      for (const aspect of plan.aspects) {
        const drill = (await aspectDrillDown(db, plan.id, aspect.id, now))!;
        for (const t of drill.tasks) for (const u of t.units) for (const c of u.cells) cells.set(recordKey(t.taskId, u.unitId, c.period), c.state);
      }
      for (const [taskId, unitId, p, record, kind] of cases) {
        const expected = periodState(p, record, now);
        seen.add(expected);
        expect(cells.get(recordKey(taskId, unitId, p.schedule.period)), `${kind} at ${new Date(now).toISOString()}`).toBe(expected);
      }
    }
    // The cases cover every state a record can be in.
    expect([...seen].sort()).toEqual(['escalated', 'late', 'overdue', 'requested', 'submitted']);
  });
});

describe('the summary', () => {
  test("counts per aspect, unit and quarter, and the lagging units, equal the whole plan's status at each moment", async () => {
    expect(await planStartedAt(db, plan.id)).toBe(startedAt);
    expect(await planStartedAt(db, 'nope')).toBeUndefined();
    for (const now of moments) {
      const status = await planStatus(db, plan.id, {}, now);
      const summary = await dashboardSummary(db, plan, startedAt, now);
      const at = new Date(now).toISOString();
      expect(summary.periods).toEqual(timeline.map((p) => ({ period: p.schedule.period, tracked: p.tracked })));
      expect(summary.laggingUnits, at).toEqual(plan.units.map((u) => u.id).filter((u) => laggingUnits(status).has(u)));
      expect({ counts: summary.totals.counts, byPeriod: summary.totals.byPeriod, laggingRecords: summary.totals.laggingRecords }, at).toEqual(countsOf(status, () => true));
      expect(summary.totals.pairs).toBe(7);
      for (const a of summary.aspects) {
        expect({ counts: a.counts, byPeriod: a.byPeriod, laggingRecords: a.laggingRecords }, `${a.aspectId} ${at}`).toEqual(countsOf(status, (t) => aspectOf(t) === a.aspectId));
        for (const u of a.units) {
          const own = countsOf(status, (t, unit) => aspectOf(t) === a.aspectId && unit === u.unitId);
          expect({ counts: u.counts, byPeriod: u.byPeriod, laggingRecords: u.laggingRecords }, `${a.aspectId}/${u.unitId} ${at}`).toEqual(own);
          expect(u.lagging).toBe(own.laggingRecords > 0);
        }
      }
      for (const u of summary.units) {
        const own = countsOf(status, (_t, unit) => unit === u.unitId);
        expect({ counts: u.counts, byPeriod: u.byPeriod, laggingRecords: u.laggingRecords }, `${u.unitId} ${at}`).toEqual(own);
        expect(u.lagging).toBe(laggingUnits(status).has(u.unitId));
      }
    }
    const early = await dashboardSummary(db, plan, startedAt, q2.requestAt);
    expect(early.aspects.map((a) => [a.aspectId, a.tasks, a.pairs, a.units.map((u) => `${u.unitId}:${u.pairs}`)])).toEqual([
      ['a', 2, 5, ['ontime:2', 'late:2', 'silent:1']],
      ['b', 1, 2, ['late:1', 'silent:1']],
    ]);
    expect(early.units.map((u) => [u.unitId, u.pairs, u.counts.untracked, u.counts.scheduled])).toEqual([
      ['ontime', 2, 2, 3],
      ['late', 3, 3, 3],
      ['silent', 2, 2, 2],
    ]);
  });
});

describe('the drill-down', () => {
  test("one aspect's tasks only, every cell as planStatus has it; the lagging filter keeps the units lagging in that aspect", async () => {
    for (const now of moments) {
      const status = await planStatus(db, plan.id, {}, now);
      for (const aspect of plan.aspects) {
        const tasks = status.tasks.filter((t) => aspectOf(t.taskId) === aspect.id);
        const lagging = new Set(tasks.flatMap((t) => t.units.filter((u) => u.periods.some(isLagging)).map((u) => u.unitId)));
        const expected = (only?: Set<string>) =>
          tasks
            .map((t) => ({
              taskId: t.taskId,
              title: plan.tasks.find((x) => x.id === t.taskId)!.title,
              units: t.units
                .filter((u) => !only || only.has(u.unitId))
                .map((u) => ({ unitId: u.unitId, cells: u.periods.map((p) => ({ period: p.period, state: p.state, review: p.review, awaitingRevision: p.review === 'returned' && p.revisionDueAt !== null })) })),
            }))
            .filter((t) => t.units.length);
        const all = (await aspectDrillDown(db, plan.id, aspect.id, now, { plan, startedAt }))!;
        expect(all.tasks, `${aspect.id} ${new Date(now).toISOString()}`).toEqual(expected());
        expect(all.laggingUnits).toEqual(plan.units.map((u) => u.id).filter((u) => lagging.has(u)));
        const some = (await aspectDrillDown(db, plan.id, aspect.id, now, { laggingOnly: true }))!;
        expect(some.tasks, `${aspect.id} lagging ${new Date(now).toISOString()}`).toEqual(expected(lagging));
        expect(some.laggingUnits).toEqual(all.laggingUnits);
      }
    }
    // Before any deadline nothing lags; long after, aspect b's two units both do.
    expect((await aspectDrillDown(db, plan.id, 'a', q2.requestAt, { laggingOnly: true }))!.tasks.flatMap((t) => t.units.map((u) => u.unitId))).toEqual(['late', 'silent', 'late']);
    expect((await aspectDrillDown(db, plan.id, 'b', q3.schedule.deadline + 30 * DAY, { laggingOnly: true }))!.laggingUnits).toEqual(['late', 'silent']);
    expect(await aspectDrillDown(db, plan.id, 'nope', Date.now())).toBeUndefined();
    expect(await aspectDrillDown(db, 'no-plan', 'a', Date.now())).toBeUndefined();
  });

  test('reads only the aspect through the dashboard index', async () => {
    const c = await db.connect();
    try {
      await c.query('SET enable_seqscan = off');
      const { rows } = await c.query(`EXPLAIN SELECT unit_id FROM report_records WHERE plan_id = $1 AND aspect_id = $2`, [plan.id, 'a']);
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('report_records_dashboard');
    } finally {
      c.release();
    }
  });
});

/**
 * An amended plan: version 2, applied at T while 2030-Q3 is in progress, retires t2, takes `silent` off t1 and adds
 * `newbie` to it, moves t3 to aspect a, adds t4, and makes 2030-10-08 a holiday (Q3's due day moves to 10-09). The
 * records are as the groups leave them: Q3's written before T keep the old due day and t3's keep aspect b; the
 * quarters in progress of the pairs taken off are withdrawn.
 */
describe('an amended plan', () => {
  const v1 = yearPlan('dash-amend-2030', {
    units: [...plan.units, { id: 'newbie', name: 'New Unit', email: 'newbie@example.org', leader: 'l2' }],
    aspects: plan.aspects,
    tasks: plan.tasks,
  });
  const v2 = validPlan({
    ...v1,
    tasks: [
      { id: 't1', aspect: 'a', title: 'Task One', units: ['ontime', 'late', 'newbie'] },
      { id: 't3', aspect: 'a', title: 'Task Three', units: ['late', 'silent'] },
      { id: 't4', aspect: 'b', title: 'Task Four', units: ['ontime'] },
    ],
    calendar: { ...v1.calendar!, holidays: [...v1.calendar!.holidays, '2030-10-08'] },
  });
  const before = cycleTimeline(v1, startedAt);
  const old = (id: string) => before.find((p) => p.schedule.period === id)!;
  const T = old('2030-Q3').requestAt + 3 * DAY;
  const track = nextTrack({ before: v1, after: v2, startedAt, at: T, version: 2 });
  const now3 = track.timeline.find((p) => p.schedule.period === '2030-Q3')!;
  const o2 = old('2030-Q2');
  const o3 = old('2030-Q3');
  const withdrawn = { withdrawnAt: T };
  const joinedRec = (p: TrackedPeriod): UnitPeriodRecord => ({ ...rec(p), requestedAt: T, sent: [{ kind: 'request', number: 1, round: 0, at: T }] });
  /** (task, unit, quarter as written, record, aspect written, kind). */
  const amendedCases: [string, string, TrackedPeriod, UnitPeriodRecord, string, string][] = [
    ['t1', 'ontime', o2, rec(o2, submitted(o2)), 'a', 'Q2 submitted'],
    ['t1', 'silent', o2, rec(o2, { escalations: 1, sent: [escalatedAt(o2.schedule.deadline + 3 * DAY)] }), 'a', 'Q2 escalated, the pair left since'],
    ['t2', 'ontime', o2, rec(o2, submitted(o2)), 'a', 'Q2 submitted, the task retired since'],
    ['t2', 'late', o2, rec(o2, submitted(o2, 3)), 'a', 'Q2 late, the task retired since'],
    ['t3', 'late', o2, rec(o2, returned(o2)), 'b', 'Q2 returned, the task moved to aspect a since'],
    ['t1', 'ontime', o3, rec(o3), 'a', 'Q3 requested under the old due day'],
    ['t1', 'late', o3, rec(o3, submitted(o3, 2)), 'a', 'Q3 late'],
    ['t1', 'silent', o3, rec(o3, withdrawn), 'a', 'Q3 withdrawn (the pair left)'],
    ['t2', 'ontime', o3, rec(o3, { ...submitted(o3, -3), ...withdrawn }), 'a', 'Q3 submitted, then withdrawn (the task retired)'],
    ['t2', 'late', o3, rec(o3, { ...returned(o3, {}, o3.schedule.deadline + 12 * DAY), ...withdrawn }), 'a', 'Q3 returned and awaiting, then withdrawn'],
    ['t3', 'late', o3, rec(o3), 'b', 'Q3 requested, still naming aspect b'],
    ['t3', 'silent', o3, rec(o3, { escalations: 1, sent: [escalatedAt(o3.schedule.deadline + 3 * DAY)] }), 'b', 'Q3 escalated, still naming aspect b'],
    ['t1', 'newbie', now3, joinedRec(now3), 'a', 'Q3 requested at T (joined)'],
    ['t4', 'ontime', now3, joinedRec(now3), 'b', 'Q3 requested at T (a new task)'],
  ];
  const aspectIn = (taskId: string) => statusPlanOf(v2, track).tasks.find((t) => t.id === taskId)!.aspect;
  const momentsAmended = [T, ...around(o2.schedule.deadline), ...around(o3.schedule.deadline), ...around(now3.schedule.deadline), now3.schedule.deadline + 30 * DAY];

  beforeAll(async () => {
    await recordPlan(db, { planId: v1.id, version: 1, plan: v1, startedAt, layout: layoutOf(v1) });
    await recordProgress(db, {
      planId: v1.id,
      changes: amendedCases.map(([taskId, unitId, p, record, aspectId]) => ({
        taskId, unitId, period: p.schedule.period, aspectId, deadline: quarterDue(p, record).deadline, record,
        texts: record.revisions.map((v) => ({ requestId: v.requestId, summary: v.summary })),
      })),
    });
    await recordPlanVersion(db, {
      planId: v1.id, version: 2, plan: v2, effectiveAt: T, startedAt, reason: 'Holiday; t2 retired; newbie joins t1', by: 'Desk', requestId: 'amend-dash',
      difference: planDifference(v1, v2), track, layout: layoutOf(v2),
    });
  });

  test('the timeline in force moved the due day of the quarter in progress', () => {
    expect(now3.schedule.deadline).toBeGreaterThan(o3.schedule.deadline);
    expect(track.left).toHaveProperty(['t1|silent']);
    expect(track.joined).toHaveProperty(['t1|newbie']);
  });

  test("every cell of the drill-down and every count of the summary equal the whole plan's status at each moment", async () => {
    const seen = new Set<PeriodState>();
    for (const now of momentsAmended) {
      const at = new Date(now).toISOString();
      const status = await planStatus(db, v1.id, {}, now);
      const shown = statusPlanOf(v2, track);
      for (const t of status.tasks) for (const u of t.units) for (const p of u.periods) seen.add(p.state);
      // The drill-down of each aspect, read from the database (the version in force and its track).
      for (const aspect of shown.aspects) {
        const drill = (await aspectDrillDown(db, v1.id, aspect.id, now))!;
        const expected = status.tasks
          .filter((t) => aspectIn(t.taskId) === aspect.id)
          .map((t) => ({
            taskId: t.taskId,
            title: shown.tasks.find((x) => x.id === t.taskId)!.title,
            units: t.units.map((u) => ({ unitId: u.unitId, cells: u.periods.map((p) => ({ period: p.period, state: p.state, review: p.review, awaitingRevision: p.review === 'returned' && p.revisionDueAt !== null })) })),
          }));
        expect(drill.tasks, `${aspect.id} ${at}`).toEqual(expected);
      }
      const summary = await dashboardSummary(db, v2, startedAt, now, track);
      const periods = track.timeline.map((p) => p.schedule.period);
      const countsIn = (keep: (taskId: string, unitId: string) => boolean) => {
        const all = Object.fromEntries(PERIOD_STATES.map((s) => [s, 0])) as StateCounts;
        const byPeriod: Record<string, StateCounts> = Object.fromEntries(periods.map((p) => [p, { ...all }]));
        let lagging = 0;
        for (const t of status.tasks)
          for (const u of t.units) {
            if (!keep(t.taskId, u.unitId)) continue;
            for (const p of u.periods) {
              all[p.state]++;
              byPeriod[p.period][p.state]++;
              if (isLagging(p)) lagging++;
            }
          }
        return { counts: all, byPeriod, laggingRecords: lagging };
      };
      const pick = (b: { counts: StateCounts; byPeriod: Record<string, StateCounts>; laggingRecords: number }) => ({ counts: b.counts, byPeriod: b.byPeriod, laggingRecords: b.laggingRecords });
      expect(pick(summary.totals), at).toEqual(countsIn(() => true));
      for (const a of summary.aspects) {
        expect(pick(a), `${a.aspectId} ${at}`).toEqual(countsIn((t) => aspectIn(t) === a.aspectId));
        for (const u of a.units) expect(pick(u), `${a.aspectId}/${u.unitId} ${at}`).toEqual(countsIn((t, unit) => aspectIn(t) === a.aspectId && unit === u.unitId));
      }
      for (const u of summary.units) expect(pick(u), `${u.unitId} ${at}`).toEqual(countsIn((_t, unit) => unit === u.unitId));
      expect(summary.laggingUnits, at).toEqual(shown.units.map((u) => u.id).filter((u) => laggingUnits(status).has(u)));
    }
    // Withdrawn, and untracked for the pairs that left or joined later, are among the states counted.
    expect([...seen]).toEqual(expect.arrayContaining(['withdrawn', 'untracked', 'scheduled', 'requested', 'overdue', 'escalated', 'late', 'submitted']));
  });

  test("the SQL state of every record equals periodState() on the timeline in force, withdrawn ones too", async () => {
    const inForce = (id: string) => track.timeline.find((p) => p.schedule.period === id)!;
    let withdrawnSeen = 0;
    for (const now of momentsAmended) {
      const cells = new Map<string, PeriodState>();
      for (const aspect of ['a', 'b']) {
        const drill = (await aspectDrillDown(db, v1.id, aspect, now))!;
        for (const t of drill.tasks) for (const u of t.units) for (const c of u.cells) cells.set(recordKey(t.taskId, u.unitId, c.period), c.state);
      }
      for (const [taskId, unitId, p, record, , kind] of amendedCases) {
        const expected = periodState(inForce(p.schedule.period), record, now);
        if (expected === 'withdrawn') withdrawnSeen++;
        expect(cells.get(recordKey(taskId, unitId, p.schedule.period)), `${kind} at ${new Date(now).toISOString()}`).toBe(expected);
      }
    }
    expect(withdrawnSeen).toBe(3 * momentsAmended.length);
    // The counts say the same: totals of the quarter in progress with its withdrawn reports.
    const summary = await dashboardSummary(db, v2, startedAt, T, track);
    expect(summary.totals.byPeriod['2030-Q3'].withdrawn).toBe(3);
  });
});
