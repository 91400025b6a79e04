/** The rule of time of an amendment (workflows/amend/timeline.ts) and the track (workflows/amend/track.ts), as functions. */
import { describe, expect, test } from 'vitest';
import { amendTimeline } from '../../workflows/amend/timeline.js';
import { nextTrack, pairTracked, statusPlanOf } from '../../workflows/amend/track.js';
import { zonedInstant } from '../../workflows/calendar/index.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { cycleTimeline, type TrackedPeriod } from '../../workflows/cycle/timeline.js';
import { validPlan } from '../fixtures/plans.js';

const NY = 'America/New_York';
// Every day a working day (no calendar): the instants are the cadence's offsets at 09:30 New York time.
function plan(over: Record<string, unknown> = {}): Plan {
  return validPlan({
    id: 'p', title: 'P', timezone: NY, start: '2027-01-01', end: '2027-12-31',
    headquarters: { name: 'HQ', email: 'hq@example.org' },
    leaders: [{ id: 'l', name: 'L', email: 'l@example.org' }],
    units: [{ id: 'u', name: 'U', email: 'u@example.org', leader: 'l' }, { id: 'v', name: 'V', email: 'v@example.org', leader: 'l' }],
    aspects: [{ id: 'a', title: 'A' }],
    tasks: [{ id: 't', aspect: 'a', title: 'T', units: ['u'] }],
    cadence: { sendTime: '09:30', requestOffsetDays: -10, dueOffsetDays: 5, reminderDays: [-3, -1], escalation: [{ afterDaysOverdue: 2, to: 'unitLeader' }, { afterDaysOverdue: 6, to: 'headquarters' }], closeAfterDays: 20 },
    ...over,
  });
}
const at = (day: string, time = '09:30') => zonedInstant(day, time, NY);
const START = at('2026-12-01');
const notices = (p: TrackedPeriod | undefined) => (p?.events ?? []).filter((e) => e.kind !== 'deadline' && e.kind !== 'close').map((e) => `${new Date(e.at).toISOString()} ${e.kind} ${e.number}${e.pairs ? ` [${e.pairs.join(',')}]` : ''}`);
const q = (t: TrackedPeriod[], id: string) => t.find((p) => p.schedule.period === id);
const iso = (day: string, time = '09:30') => new Date(at(day, time)).toISOString();

describe('amendTimeline', () => {
  // 2027-Q2 (last day 06-30; due 07-05; request 06-20; reminders 07-02, 07-04; escalations 07-07, 07-11; closes 07-26).
  const before = cycleTimeline(plan(), START);
  const more = plan({ cadence: { ...plan().cadence, reminderDays: [-4, -2, 0] } });

  test('a quarter requested before T keeps its request; later notices follow the new schedule from T, reminders numbered on', () => {
    const T = at('2027-07-02', '12:00'); // reminder 1 of 07-02 09:30 went out
    const after = amendTimeline({ previous: before, plan: more, startedAt: START, at: T, doneThrough: at('2027-07-02') });
    // New reminders 07-01 (before T: not sent), 07-03, 07-05: numbered 2 and 3. Escalations as before.
    expect(notices(q(after, '2027-Q2'))).toEqual([
      `${iso('2027-07-03')} reminder 2`, `${iso('2027-07-05')} reminder 3`, `${iso('2027-07-07')} escalation 1`, `${iso('2027-07-11')} escalation 2`,
    ]);
    expect(q(after, '2027-Q2')!.requestAt).toBe(q(before, '2027-Q2')!.requestAt);
  });

  test('an escalation level already sent is not sent again, even where the new schedule puts it later', () => {
    const later = plan({ cadence: { ...plan().cadence, escalation: [{ afterDaysOverdue: 4, to: 'unitLeader' }, { afterDaysOverdue: 8, to: 'headquarters' }] } });
    const T = at('2027-07-08'); // level 1 of 07-07 sent
    const after = amendTimeline({ previous: before, plan: later, startedAt: START, at: T, doneThrough: at('2027-07-07') });
    expect(notices(q(after, '2027-Q2'))).toEqual([`${iso('2027-07-13')} escalation 2`]);
  });

  test('a quarter closed at T keeps its schedule; a quarter not requested at T follows the new version entirely', () => {
    const T = at('2027-08-01');
    const after = amendTimeline({ previous: before, plan: more, startedAt: START, at: T, doneThrough: T - 1 });
    expect(q(after, '2027-Q2')).toEqual(q(before, '2027-Q2'));
    expect(notices(q(after, '2027-Q3'))).toEqual([
      `${iso('2027-09-20')} request 1`, `${iso('2027-10-01')} reminder 1`, `${iso('2027-10-03')} reminder 2`, `${iso('2027-10-05')} reminder 3`,
      `${iso('2027-10-07')} escalation 1`, `${iso('2027-10-11')} escalation 2`,
    ]);
  });

  test('a quarter whose new request instant has passed but that was not requested gets its request at T', () => {
    const earlier = plan({ cadence: { ...plan().cadence, requestOffsetDays: -20 } });
    const T = at('2027-09-15'); // Q3 was to be requested 09-20; the new version says 09-10
    const after = amendTimeline({ previous: before, plan: earlier, startedAt: START, at: T, doneThrough: T - 1 });
    expect(notices(q(after, '2027-Q3'))[0]).toBe(`${new Date(T).toISOString()} request 1`);
  });

  test('pairs that join a requested quarter get a ladder of their own, as if the plan had started at T', () => {
    const T = at('2027-07-03');
    const after = amendTimeline({ previous: before, plan: plan(), startedAt: START, at: T, doneThrough: T - 1, joining: ['t|v'] });
    expect(notices(q(after, '2027-Q2'))).toEqual([
      `${new Date(T).toISOString()} request 1 [t|v]`, `${iso('2027-07-04')} reminder 2`, `${iso('2027-07-04')} reminder 2 [t|v]`,
      `${iso('2027-07-07')} escalation 1`, `${iso('2027-07-07')} escalation 1 [t|v]`, `${iso('2027-07-11')} escalation 2`, `${iso('2027-07-11')} escalation 2 [t|v]`,
    ]);
    // After the due day has ended, a joining pair is not tracked in that quarter.
    const late = amendTimeline({ previous: before, plan: plan(), startedAt: START, at: at('2027-07-06', '12:00'), doneThrough: at('2027-07-06', '12:00') - 1, joining: ['t|v'] });
    expect(notices(q(late, '2027-Q2')).filter((n) => n.includes('[t|v]'))).toEqual([]);
  });

  test('a later end adds quarters under the new version; nothing is placed at or before what was acted on', () => {
    const longer = plan({ end: '2028-03-31' });
    const T = at('2027-07-03');
    const after = amendTimeline({ previous: before, plan: longer, startedAt: START, at: T, doneThrough: T + 5 });
    expect(after.map((p) => p.schedule.period)).toEqual(['2027-Q1', '2027-Q2', '2027-Q3', '2027-Q4', '2028-Q1']);
    // Q1 closed before T and keeps its (past) events; every quarter open at T has nothing new at or before them.
    const open = after.filter((p) => p.schedule.period !== '2027-Q1').flatMap((p) => p.events);
    expect(open.filter((e) => e.at <= T + 5 && (e.kind === 'request' || e.kind === 'reminder' || e.kind === 'escalation'))).toEqual([]);
    expect(q(after, '2027-Q1')).toEqual(q(before, '2027-Q1'));
  });
});

describe('nextTrack and what status reads', () => {
  const v1 = plan({ tasks: [{ id: 't', aspect: 'a', title: 'T', units: ['u'] }, { id: 'old', aspect: 'a', title: 'Old', units: ['v'] }] });
  const v2 = plan({ units: [plan().units[0], { id: 'w', name: 'W', email: 'w@example.org', leader: 'l' }], tasks: [{ id: 't', aspect: 'a', title: 'T', units: ['w'] }, { id: 'new', aspect: 'a', title: 'New', units: ['u'] }] });
  const T = at('2027-07-03');
  const track = nextTrack({ before: v1, after: v2, startedAt: START, at: T, version: 2 });

  test('records who joined and left when, and keeps the retired task and the unit it named', () => {
    expect(track.joined).toEqual({ 't|w': T, 'new|u': T });
    expect(track.left).toEqual({ 't|u': T, 'old|v': T });
    expect(track.retiredTasks).toEqual([{ id: 'old', aspect: 'a', title: 'Old', units: ['v'], retiredAt: T }]);
    expect(track.retiredUnits.map((u) => u.id)).toEqual(['v']);
  });

  test('the plan status shows keeps the units that left and the retired tasks after the version in force', () => {
    const shown = statusPlanOf(v2, track);
    expect(shown.tasks.map((t) => `${t.id}:${t.units.join(',')}`)).toEqual(['t:w,u', 'new:u', 'old:v']);
    expect(shown.units.map((u) => u.id)).toEqual(['u', 'w', 'v']);
  });

  test('a pair is tracked in a quarter when it has a record, or joined before its due day ended and has not left', () => {
    const q2 = q(track.timeline, '2027-Q2')!;
    const q3 = q(track.timeline, '2027-Q3')!;
    expect(pairTracked(track, 't', 'w', q2, false)).toBe(true); // joined on 07-03, Q2 due 07-05
    expect(pairTracked(track, 't', 'u', q3, false)).toBe(false); // left before Q3's request
    expect(pairTracked(track, 't', 'u', q2, true)).toBe(true); // its Q2 record stays
    expect(pairTracked(track, 'new', 'u', q(track.timeline, '2027-Q1')!, false)).toBe(false); // Q1 ended before it joined
  });

  test('a second amendment that takes a pair back lifts its leaving', () => {
    const v3 = plan({ units: v2.units, tasks: [{ id: 't', aspect: 'a', title: 'T', units: ['w', 'u'] }, v2.tasks[1]] });
    const T3 = at('2027-10-01');
    const third = nextTrack({ track, before: v2, after: v3, startedAt: START, at: T3, version: 3 });
    expect(third.left['t|u']).toBeUndefined();
    expect(third.joined['t|u']).toBe(T3);
    expect(third.version).toBe(3);
  });
});
