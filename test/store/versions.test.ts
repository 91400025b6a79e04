/**
 * The versions of a plan on a real database: an amendment is recorded once, moves the plan forward only, completes a
 * row recordPlan wrote first, and the history, the version by request id and the plan in force (with its track) read back.
 */
import { describe, expect, test } from 'vitest';
import { recordPlan, storedPlan } from '../../store/records.js';
import { planHistory, recordPlanVersion, storedVersion, storedVersionByRequest } from '../../store/versions.js';
import { planDifference } from '../../workflows/amend/diff.js';
import type { PlanTrack, PlanVersionRecord } from '../../workflows/contract/amend.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { layoutOf } from '../../workflows/cycle/layout.js';
import { cycleTimeline } from '../../workflows/cycle/timeline.js';
import { validPlan, yearPlan } from '../fixtures/plans.js';
import { testDb } from '../helpers/db.js';

const startedAt = Date.parse('2030-01-01T00:00:00Z');
const v1 = yearPlan('versions-2030');
const edited = (edit: (p: Record<string, any>) => void, from: Plan = v1): Plan => {
  const copy = JSON.parse(JSON.stringify(from));
  edit(copy);
  return validPlan(copy);
};
const v2 = edited((p) => p.calendar.holidays.push('2030-12-31'));
const v3 = edited((p) => (p.title = 'Year cycle 2030, third version'), v2);

const track = (plan: Plan, version: number, at: number): PlanTrack => ({ version, at, timeline: cycleTimeline(plan, startedAt), joined: {}, left: {}, retiredTasks: [], retiredUnits: [] });
const version = (plan: Plan, before: Plan, n: number, at: number, requestId: string): PlanVersionRecord => ({
  planId: plan.id, version: n, plan, effectiveAt: at, startedAt, reason: `reason ${n}`, by: n === 2 ? 'HQ desk' : null, requestId,
  difference: planDifference(before, plan), track: track(plan, n, at), layout: layoutOf(plan),
});
const T2 = Date.parse('2030-05-10T02:00:00Z');
const T3 = Date.parse('2030-08-01T02:00:00Z');

async function started() {
  const db = await testDb();
  await recordPlan(db, { planId: v1.id, version: 1, plan: v1, startedAt, layout: layoutOf(v1) });
  return db;
}

describe('recordPlanVersion', () => {
  test('records version 2 once and moves the plan to it; the plan in force comes with its track', async () => {
    const db = await started();
    expect((await storedPlan(db, v1.id))?.track).toBeUndefined();
    const r = version(v2, v1, 2, T2, 'amend-a');
    await recordPlanVersion(db, r);
    await recordPlanVersion(db, r);
    const stored = await storedPlan(db, v1.id);
    expect(stored).toMatchObject({ version: 2, startedAt, plan: v2, track: { version: 2, at: T2 } });
    expect(stored?.track?.timeline).toEqual(r.track.timeline);
    const { rows } = await db.query('SELECT plan_id, current_version, started_at, title FROM plans');
    expect(rows).toEqual([{ plan_id: v1.id, current_version: 2, started_at: new Date(startedAt), title: 'Year cycle 2030' }]);
    expect((await db.query('SELECT count(*)::int AS n FROM plan_versions')).rows[0].n).toBe(2);
  });

  test('a late retry of an older version never moves the plan back', async () => {
    const db = await started();
    await recordPlanVersion(db, version(v2, v1, 2, T2, 'amend-a'));
    await recordPlanVersion(db, version(v3, v2, 3, T3, 'amend-b'));
    await recordPlanVersion(db, version(v2, v1, 2, T2, 'amend-a'));
    await recordPlan(db, { planId: v1.id, version: 1, plan: v1, startedAt, layout: layoutOf(v1) });
    const stored = await storedPlan(db, v1.id);
    expect([stored?.version, stored?.plan.title, stored?.track?.version]).toEqual([3, 'Year cycle 2030, third version', 3]);
    expect((await db.query('SELECT title, layout FROM plans')).rows[0]).toEqual({ title: 'Year cycle 2030, third version', layout: layoutOf(v3) });
  });

  test('a version row recordPlan wrote first (no reason, no track) is completed, and the plan in force then has its track', async () => {
    const db = await started();
    await recordPlan(db, { planId: v1.id, version: 2, plan: v2, startedAt, layout: layoutOf(v2) });
    const early = await storedPlan(db, v1.id);
    expect([early?.version, early?.track]).toEqual([2, undefined]);
    await recordPlanVersion(db, version(v2, v1, 2, T2, 'amend-a'));
    expect((await storedPlan(db, v1.id))?.track?.version).toBe(2);
    expect(await storedVersion(db, v1.id, 2)).toMatchObject({ reason: 'reason 2', requestId: 'amend-a', effectiveAt: new Date(T2).toISOString() });
    // A completed row is not written again by a later, different record of the same version.
    await recordPlanVersion(db, { ...version(v2, v1, 2, T2, 'amend-a'), reason: 'another reason' });
    expect((await storedVersion(db, v1.id, 2))?.reason).toBe('reason 2');
  });

  test('one request id is one version: a second version with the same id is refused by the database', async () => {
    const db = await started();
    await recordPlanVersion(db, version(v2, v1, 2, T2, 'amend-a'));
    await expect(recordPlanVersion(db, version(v3, v2, 3, T3, 'amend-a'))).rejects.toThrow(/plan_versions_by_request/);
    expect((await storedPlan(db, v1.id))?.version).toBe(2);
  });
});

describe('planHistory and storedVersionByRequest', () => {
  test('every version, oldest first, with who, why and the difference; the plan only when asked', async () => {
    const db = await started();
    await recordPlanVersion(db, version(v2, v1, 2, T2, 'amend-a'));
    await recordPlanVersion(db, version(v3, v2, 3, T3, 'amend-b'));
    const history = await planHistory(db, v1.id);
    expect(history).toEqual([
      { version: 1, effectiveAt: new Date(startedAt).toISOString(), by: null, reason: null, requestId: null, difference: null },
      { version: 2, effectiveAt: new Date(T2).toISOString(), by: 'HQ desk', reason: 'reason 2', requestId: 'amend-a', difference: planDifference(v1, v2) },
      { version: 3, effectiveAt: new Date(T3).toISOString(), by: null, reason: 'reason 3', requestId: 'amend-b', difference: planDifference(v2, v3) },
    ]);
    expect((await planHistory(db, v1.id, { withPlan: true })).map((h) => h.plan?.title)).toEqual(['Year cycle 2030', 'Year cycle 2030', 'Year cycle 2030, third version']);
    expect(await planHistory(db, 'no-such-plan')).toEqual([]);
    expect(await storedVersionByRequest(db, v1.id, 'amend-b')).toEqual(history[2]);
    expect(await storedVersionByRequest(db, v1.id, 'amend-x')).toBeUndefined();
    expect(await storedVersionByRequest(db, 'other-plan', 'amend-a')).toBeUndefined();
  });
});
