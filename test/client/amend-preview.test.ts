/**
 * The preview of an amendment, on a real database: the difference in words, the refusals, and the upcoming notices
 * that move (the timeline in force against the amendment rule's); the amendment's id; the moved lines as a function.
 */
import { describe, expect, test } from 'vitest';
import { amendmentId, movedNotices, previewAmendment } from '../../client/amend.js';
import { recordPlan } from '../../store/records.js';
import { zonedInstant } from '../../workflows/calendar/index.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { refusalLine } from '../../workflows/contract/refusals.js';
import { layoutOf } from '../../workflows/cycle/layout.js';
import { cycleTimeline, type TrackedPeriod } from '../../workflows/cycle/timeline.js';
import { validPlan, yearPlan } from '../fixtures/plans.js';
import { fileDb } from '../helpers/db.js';

const v1 = yearPlan('preview-2030');
const startedAt = Date.parse('2029-12-31T16:00:00Z'); // 2030-01-01 00:00 in Shanghai
const edited = (edit: (p: Record<string, any>) => void, from: Plan = v1): Plan => {
  const copy = JSON.parse(JSON.stringify(from));
  edit(copy);
  return validPlan(copy);
};
const T = zonedInstant('2030-06-01', '10:00', 'Asia/Shanghai');

async function db() {
  const pool = await fileDb();
  await recordPlan(pool, { planId: v1.id, version: 1, plan: v1, startedAt, layout: layoutOf(v1) });
  return pool;
}

describe('amendmentId', () => {
  test('the same plan and reason give the same id, whatever the order of keys or the spaces around the reason', () => {
    const reordered = Object.fromEntries(Object.entries(v1).reverse()) as Plan;
    expect(amendmentId(reordered, '  2031 holidays ')).toBe(amendmentId(v1, '2031 holidays'));
    expect(amendmentId(v1, '2031 holidays')).toMatch(/^amend-[0-9a-f]{64}$/);
    expect(amendmentId(v1, '2031 holidays, again')).not.toBe(amendmentId(v1, '2031 holidays'));
    expect(amendmentId(edited((p) => (p.title = 'Other')), '2031 holidays')).not.toBe(amendmentId(v1, '2031 holidays'));
  });
});

describe('previewAmendment', () => {
  test('another reminder ladder: the difference line, and every upcoming reminder that moves, is added or dropped', async () => {
    const pool = await db();
    const after = edited((p) => (p.cadence.reminderDays = [-5, -1]));
    const preview = await previewAmendment(pool, v1.id, after, T);
    expect(preview).toMatchObject({ planId: v1.id, version: 1, refusals: [], lines: ['cadence.reminderDays: [-3, -1, 0] -> [-5, -1]'] });
    // Worked by hand: a reminder day off work moves back to a working day, duplicates drop (Q3 around National Day).
    expect(preview.moved.map((m) => m.line)).toEqual([
      '2030-Q2 reminder 1 moves from 2030-07-02 09:00 to 2030-06-28 09:00',
      '2030-Q2 reminder 3 is dropped (was 2030-07-05 09:00)',
      '2030-Q3 reminder 2 is dropped (was 2030-10-08 09:00)',
      '2030-Q4 reminder 1 moves from 2031-01-03 09:00 to 2031-01-01 09:00',
      '2030-Q4 reminder 2 moves from 2031-01-06 09:00 to 2031-01-03 09:00',
    ]);
    expect(preview.moved[0]).toEqual({ period: '2030-Q2', kind: 'reminder', number: 1, from: '2030-07-02T01:00:00.000Z', to: '2030-06-28T01:00:00.000Z', line: '2030-Q2 reminder 1 moves from 2030-07-02 09:00 to 2030-06-28 09:00' });
  });

  test('a refused amendment (a changed time zone) gives its located refusal and no moved notices', async () => {
    const pool = await db();
    const preview = await previewAmendment(pool, v1.id, edited((p) => (p.timezone = 'UTC')), T);
    expect(preview.refusals.map(refusalLine)).toEqual(['timezone: cannot change while the plan runs: it is Asia/Shanghai, the file says UTC (every day and instant already recorded is local to it)']);
    expect(preview.moved).toEqual([]);
  });

  test('the plan in force again: nothing to amend', async () => {
    const pool = await db();
    const preview = await previewAmendment(pool, v1.id, v1, T);
    expect(preview.refusals.map(refusalLine)).toEqual(['plan: the file is the same as version 1, the version in force: nothing to amend']);
  });

  test('a plan never started is refused as unknown', async () => {
    const pool = await db();
    await expect(previewAmendment(pool, 'no-such-plan', v1, T)).rejects.toThrow('plan no-such-plan: no such plan has been started');
  });
});

describe('movedNotices', () => {
  const base = cycleTimeline(v1, startedAt);
  const withEvents = (timeline: TrackedPeriod[], period: string, edit: (p: TrackedPeriod) => TrackedPeriod['events']) =>
    timeline.map((p) => (p.schedule.period === period ? { ...p, events: edit(p) } : p));

  test('only notices still to come count: past ones, deadlines and closings never show', () => {
    const later = base.map((p) => ({ ...p, events: p.events.map((e) => (e.kind === 'deadline' || e.kind === 'close' || e.at < T ? { ...e, at: e.at + 60_000 } : e)) }));
    expect(movedNotices(base, later, T, v1.timezone)).toEqual([]);
  });

  test('a ladder of its own for pairs that joined is added, named by its pairs', () => {
    const q3 = base.find((p) => p.schedule.period === '2030-Q3')!;
    const pairs = ['t1|a', 't1|b', 't1|c', 't1|d'];
    const after = withEvents(base, '2030-Q3', (p) => [...p.events, { at: q3.requestAt, kind: 'request', period: '2030-Q3', number: 1, pairs }]);
    expect(movedNotices(base, after, T, v1.timezone).map((m) => m.line)).toEqual(['2030-Q3 request for t1/a, t1/b, t1/c and 1 more is added at 2030-09-20 09:00']);
  });
});
