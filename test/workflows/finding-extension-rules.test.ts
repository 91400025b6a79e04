/**
 * The rules of a finding's extension (延期) as pure functions, in New York (clocks forward on 2027-03-14) with
 * Memorial Day 05-31 and Independence Day (observed) 07-05 as holidays and Sat 06-05 a make-up working day: the new
 * deadline day moved forward, the ladder counted from it (reminders numbered after those sent, a level sent not
 * again), the old ladder stopped, state and lateness from the new day, the status, repeats and every refusal.
 */
import { describe, expect, test } from 'vitest';
import { checkFindingExtension, type FindingAction, type FindingExtensionRequest } from '../../workflows/contract/finding.js';
import { applyExtension, extendedDeadlineDay, extensionLadder, extensionRefusals, markSent, MAX_EXTENSIONS_PER_FINDING, seenExtension, sentInRound } from '../../workflows/findings/extension.js';
import { applyAction, assign, findingState, findingStatus, plannedFindings, stillDue, type FindingEvent } from '../../workflows/findings/record.js';
import { roundLadder } from '../../workflows/findings/schedule.js';
import { validPlan } from '../fixtures/plans.js';

const plan = validPlan({
  id: 'ext-rules',
  title: 'Extension rules',
  timezone: 'America/New_York',
  start: '2027-01-01',
  end: '2027-12-31',
  headquarters: { name: 'HQ', email: 'hq@example.org' },
  leaders: [{ id: 'l1', name: 'L', email: 'l1@example.org' }],
  units: [
    { id: 'u1', name: 'Unit 1', email: 'u1@example.org', leader: 'l1' },
    { id: 'u2', name: 'Unit 2', email: 'u2@example.org', leader: 'l1' },
  ],
  aspects: [{ id: 'a', title: 'A' }],
  tasks: [{ id: 't', aspect: 'a', title: 'T', units: ['u1'] }],
  cadence: { sendTime: '08:30', requestOffsetDays: -10, dueOffsetDays: 5, escalation: [{ afterDaysOverdue: 2, to: 'unitLeader' }, { afterDaysOverdue: 9, to: 'headquarters' }] },
  calendar: { workweek: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: ['2027-05-31', '2027-07-05'], extraWorkdays: ['2027-06-05'] },
  inspections: {
    cadence: { rectifyDays: 30, reminderDays: [-7, -1, 0, 3], verifyDays: 5, reworkDays: 10 },
    rounds: [
      { id: 'w', title: 'Winter', feedbackDay: '2027-03-01', findings: [{ id: 'fw', title: 'FW', unit: 'u1', deadline: '2027-03-05' }] },
      { id: 'r1', title: 'R1', feedbackDay: '2027-05-01', findings: [{ id: 'f1', title: 'F1', unit: 'u1' }, { id: 'f2', title: 'F2', unit: 'u1', verifier: 'u2' }] },
    ],
  },
});
const [pw, p1, p2] = plannedFindings(plan);
/** 08:30 New York: 13:30Z in winter (EST), 12:30Z in summer (EDT). */
const ny = (day: string, time = '08:30') => Date.parse(new Date(`${day}T${time}:00-0${day < '2027-03-14' ? 5 : 4}:00`).toISOString());
const A = ny('2027-05-03');
const iso = (ms: number) => new Date(ms).toISOString();
const brief = (events: FindingEvent[]) => events.map((e) => [iso(e.at), e.kind, e.number]);
const ext = (until: string, requestId = `x-${until}`, reason = 'Flooded archive'): FindingExtensionRequest => ({ requestId, findingId: 'f1', until, reason });
const act = (a: Record<string, unknown>) => ({ requestId: `a-${Math.random()}`, findingId: 'f1', actor: 'u1', links: [], ...a }) as unknown as FindingAction;

/** f1 assigned at A, with the steps of its ladder before `now` sent. */
function f1At(now: number) {
  const { record, events } = assign(plan, p1, A);
  for (const e of events) if ((e.kind === 'reminder' || e.kind === 'escalation') && e.at < now && stillDue(record, e)) {
    if (e.kind === 'reminder') record.reminders++;
    else record.escalations++;
    markSent(record, e);
  }
  return { record, events };
}

describe('the new deadline day', () => {
  test('is the day asked for on a working day (a make-up Saturday is one); else the next working day', () => {
    expect(extendedDeadlineDay(plan, '2027-06-08')).toBe('2027-06-08');
    expect(extendedDeadlineDay(plan, '2027-06-05')).toBe('2027-06-05');
    expect(extendedDeadlineDay(plan, '2027-07-03')).toBe('2027-07-06'); // Sat, Sun, Independence Day (observed) Mon
    expect(extendedDeadlineDay(plan, '2027-05-29')).toBe('2027-06-01'); // Sat, Sun, Memorial Day
  });
});

describe('the ladder after an extension', () => {
  // f1: A = Mon 05-03, D = Tue 06-01 (05-31 is a holiday); its ladder R1 05-25, R2 05-28, R3 06-01, E1 06-03,
  // R4 06-04, E2 06-10 (worked out in findings-rules.test.ts).
  test('before the deadline, one reminder sent: extended to Sat 07-03, due Tue 07-06; reminders numbered from 2, both levels to come', () => {
    const now = ny('2027-05-26', '10:00');
    const { record } = f1At(now);
    expect(sentInRound(record)).toEqual({ remindersSent: 1, levelsSent: [] });
    const { receipt, events } = applyExtension(plan, record, ext('2027-07-03'), now);
    expect(receipt).toEqual({
      findingId: 'f1', extension: 1, at: iso(now), until: '2027-07-03', dueDay: '2027-07-06', dueAt: '2027-07-07T04:00:00.000Z', previousDueDay: '2027-06-01', round: 1, state: 'open', duplicate: false,
    });
    // -7 Tue 06-29; -1 Mon 07-05 (holiday) back over the weekend to Fri 07-02; 0 Tue 07-06; +3 Fri 07-09;
    // +2 Thu 07-08; +9 Thu 07-15.
    expect(brief(events)).toEqual([
      [iso(now), 'finding-extended', 1],
      [iso(ny('2027-06-29')), 'reminder', 2],
      [iso(ny('2027-07-02')), 'reminder', 3],
      [iso(ny('2027-07-06')), 'reminder', 4],
      [iso(ny('2027-07-08')), 'escalation', 1],
      [iso(ny('2027-07-09')), 'reminder', 5],
      [iso(ny('2027-07-15')), 'escalation', 2],
    ]);
    expect(events[0]).toMatchObject({ reason: 'Flooded archive', extension: 1, round: 1 });
    expect(events.every((e) => e.extension === 1)).toBe(true);
    expect(events.find((e) => e.kind === 'escalation' && e.number === 2)?.escalateTo).toBe('headquarters');
  });

  test('overdue after escalation level 1: extended to Fri 06-11; a reminder not after today is dropped, level 1 not again', () => {
    const now = ny('2027-06-04', '10:00'); // R1-R4 and E1 sent
    const { record } = f1At(now);
    expect(findingState(record, now)).toBe('overdue');
    expect(sentInRound(record)).toEqual({ remindersSent: 4, levelsSent: [1] });
    const { receipt, events } = applyExtension(plan, record, ext('2027-06-11'), now);
    expect(receipt).toMatchObject({ dueDay: '2027-06-11', previousDueDay: '2027-06-01', state: 'open' });
    // -7 Fri 06-04 is today: dropped; -1 Thu 06-10, 0 Fri 06-11, +3 Mon 06-14; +9 Sun 06-20 -> Mon 06-21.
    expect(brief(events)).toEqual([
      [iso(now), 'finding-extended', 1],
      [iso(ny('2027-06-10')), 'reminder', 5],
      [iso(ny('2027-06-11')), 'reminder', 6],
      [iso(ny('2027-06-14')), 'reminder', 7],
      [iso(ny('2027-06-21')), 'escalation', 2],
    ]);
  });

  test('across the clock change: a winter finding extended on Mon 03-08 to Wed 03-17 is reminded at 13:30Z before it, 12:30Z after', () => {
    // fw: A = Mon 03-01, D = Fri 03-05; R1 Thu 03-04, R2 Fri 03-05, E1 (Sun 03-07 ->) and R3 Mon 03-08 sent.
    const { record, events: first } = assign(plan, pw, ny('2027-03-01'));
    expect(brief(first.slice(1))).toEqual(brief(roundLadder(plan, '2027-03-01', '2027-03-05').map((s) => ({ ...s, findingId: 'fw', round: 1 }))));
    const now = ny('2027-03-08', '10:00');
    for (const e of first) if ((e.kind === 'reminder' || e.kind === 'escalation') && e.at < now) markSent(record, e);
    const { events } = applyExtension(plan, record, { ...ext('2027-03-17'), findingId: 'fw' }, now);
    expect(brief(events)).toEqual([
      [iso(now), 'finding-extended', 1],
      ['2027-03-10T13:30:00.000Z', 'reminder', 4],
      ['2027-03-16T12:30:00.000Z', 'reminder', 5],
      ['2027-03-17T12:30:00.000Z', 'reminder', 6],
      ['2027-03-22T12:30:00.000Z', 'reminder', 7],
      ['2027-03-26T12:30:00.000Z', 'escalation', 2],
    ]);
  });

  test('the old ladder stops, and a later extension stops the earlier one; a rejection\'s new round has its own', () => {
    const now = ny('2027-05-26', '10:00');
    const { record, events: old } = f1At(now);
    const first = applyExtension(plan, record, ext('2027-06-08'), now).events;
    const r2 = old.find((e) => e.kind === 'reminder' && e.number === 2)!;
    expect(stillDue(record, r2)).toBe(false);
    expect(first.filter((e) => e.kind !== 'finding-extended').every((e) => stillDue(record, e))).toBe(true);
    const second = applyExtension(plan, record, ext('2027-06-15'), now + 60_000).events;
    expect(first.filter((e) => e.kind !== 'finding-extended').some((e) => stillDue(record, e))).toBe(false);
    expect(second.filter((e) => e.kind !== 'finding-extended').every((e) => stillDue(record, e))).toBe(true);
    expect(second[0]).toMatchObject({ kind: 'finding-extended', number: 2 });
    // A claim, rejected: round 2 counts from the rejection's day, its ladder untouched by round 1's extensions.
    applyAction(plan, p1, record, act({ action: 'claim', evidence: 'done' }), ny('2027-06-01', '11:00'));
    const { events } = applyAction(plan, p1, record, act({ action: 'reject', actor: 'headquarters', reason: 'no' }), ny('2027-06-02', '11:00'));
    const ladder2 = events.filter((e) => e.kind === 'reminder' || e.kind === 'escalation');
    expect(ladder2.length).toBeGreaterThan(0);
    expect(ladder2.every((e) => e.round === 2 && e.extension === undefined && stillDue(record, e))).toBe(true);
    expect(sentInRound(record)).toEqual({ remindersSent: 0, levelsSent: [] });
  });

  test('a record kept before rounds counted their notices follows on from its totals while in round 1', () => {
    const { record } = assign(plan, p1, A);
    record.reminders = 3;
    record.escalations = 1;
    expect(sentInRound(record)).toEqual({ remindersSent: 3, levelsSent: [1] });
  });

  test('a ladder without a calendar day left is only its notice: extended late on the new deadline day itself', () => {
    const now = ny('2027-06-08', '20:00');
    const events = extensionLadder(plan, now, '2027-06-08', { findingId: 'f1', round: 1, extension: 1, remindersSent: 4, levelsSent: [1, 2] });
    // 0 and -1, -7 are not after today; +3 Fri 06-11 is.
    expect(brief(events)).toEqual([[iso(now), 'finding-extended', 1], [iso(ny('2027-06-11')), 'reminder', 5]]);
  });
});

describe('state, lateness and status count from the new deadline day', () => {
  test('overdue no more; a claim by the new day is on time, one after it late by the days since it', () => {
    const now = ny('2027-06-04', '10:00');
    const { record } = f1At(now);
    applyExtension(plan, record, ext('2027-06-11'), now);
    expect(findingState(record, ny('2027-06-11', '23:59'))).toBe('open');
    expect(findingState(record, Date.parse('2027-06-12T04:00:00.000Z'))).toBe('overdue');
    const late = structuredClone(record);
    applyAction(plan, p1, record, act({ action: 'claim', evidence: 'done' }), ny('2027-06-11', '17:00'));
    applyAction(plan, p1, record, act({ action: 'accept', actor: 'headquarters' }), ny('2027-06-14', '10:00'));
    expect(record).toMatchObject({ closedOnTime: true, daysLate: 0 });
    applyAction(plan, p1, late, act({ action: 'claim', evidence: 'done' }), ny('2027-06-14', '17:00'));
    applyAction(plan, p1, late, act({ action: 'accept', actor: 'headquarters' }), ny('2027-06-15', '10:00'));
    expect(late).toMatchObject({ closedOnTime: false, daysLate: 3 });
    const status = findingStatus(p1, late, ny('2027-06-15', '11:00'));
    expect(status).toMatchObject({ state: 'closed', deadlineDay: '2027-06-11', closedOnTime: false, daysLate: 3 });
    expect(status.extensions).toEqual([{ extension: 1, at: iso(now), until: '2027-06-11', dueDay: '2027-06-11', previousDueDay: '2027-06-01', round: 1 }]);
    expect(findingStatus(p2, assign(plan, p2, A).record, A)).not.toHaveProperty('extensions');
  });
});

describe('refusals and repeats', () => {
  const now = ny('2027-06-09', '10:00');
  const refusals = (r: ReturnType<typeof f1At>['record'] | undefined, x: FindingExtensionRequest, at = now) => extensionRefusals(plan, p1, r, x, at, A);

  test('an unknown finding, one not assigned yet, a closed one and a claimed one', () => {
    expect(extensionRefusals(plan, undefined, undefined, { ...ext('2027-06-20'), findingId: 'nope' }, now, 0)).toEqual([{ field: 'findingId', code: 'unknownFinding', params: { findingId: 'nope', planId: 'ext-rules' } }]);
    expect(refusals(undefined, ext('2027-06-20'), A - 1)).toEqual([{ field: 'findingId', code: 'findingNotAssigned', params: { findingId: 'f1', assignAt: iso(A) } }]);
    const { record } = f1At(now);
    applyAction(plan, p1, record, act({ action: 'claim', evidence: 'done' }), ny('2027-06-08', '11:00'));
    expect(refusals(record, ext('2027-06-20'))).toEqual([{ field: 'findingId', code: 'findingClaimed', params: { findingId: 'f1', claim: 1 } }]);
    applyAction(plan, p1, record, act({ action: 'accept', actor: 'headquarters' }), ny('2027-06-08', '15:00'));
    expect(refusals(record, ext('2027-06-20'))).toEqual([{ field: 'findingId', code: 'findingClosed', params: { findingId: 'f1', at: iso(ny('2027-06-08', '15:00')) } }]);
  });

  test('a day that is not after the current deadline day (once moved), or that has passed', () => {
    const { record } = f1At(now);
    // Sat 05-29 moves to Tue 06-01, the current deadline day itself.
    expect(refusals(record, ext('2027-05-29'))).toEqual([{ field: 'until', code: 'notLaterDeadline', params: { findingId: 'f1', until: '2027-05-29', dueDay: '2027-06-01', current: '2027-06-01' } }]);
    expect(refusals(record, ext('2027-06-08'))).toEqual([{ field: 'until', code: 'duePassed', params: { until: '2027-06-08', dueDay: '2027-06-08', today: '2027-06-09' } }]);
    expect(refusals(record, ext('2027-06-09'))).toEqual([]); // today is still to come
  });

  test('at most MAX_EXTENSIONS_PER_FINDING; a repeated request id is answered with its first receipt, even then', () => {
    const { record } = f1At(now);
    for (let i = 0; i < MAX_EXTENSIONS_PER_FINDING; i++) applyExtension(plan, record, ext(`2027-07-${String(10 + i).padStart(2, '0')}`, `x${i}`), now + i);
    expect(refusals(record, ext('2027-08-31'))).toEqual([{ field: 'requestId', code: 'tooManyFindingExtensions', params: { findingId: 'f1', max: MAX_EXTENSIONS_PER_FINDING } }]);
    expect(refusals(record, ext('2027-01-01', 'x0'))).toEqual([]);
    expect(seenExtension(record, { requestId: 'x0' }, now + 100)).toMatchObject({ extension: 1, until: '2027-07-10', dueDay: '2027-07-12', previousDueDay: '2027-06-01', duplicate: true });
    expect(seenExtension(record, { requestId: 'new' }, now)).toBeUndefined();
  });

  test('the shape is checked first, each field located', () => {
    const bad = (input: Record<string, unknown>) => {
      const c = checkFindingExtension(input);
      return c.ok ? [] : c.refusals.map((r) => [r.field, r.code]);
    };
    expect(bad({ requestId: 'a', findingId: 'f1', until: '2027-06-31', reason: 'x' })).toEqual([['until', 'invalid']]);
    expect(bad({ requestId: 'a', findingId: 'f1', until: 'next week', reason: 'x' })).toEqual([['until', 'invalid']]);
    expect(bad({ requestId: 'a', findingId: 'f1', until: '2027-06-20', reason: ' \u200B ' })).toEqual([['reason', 'invalid']]);
    expect(bad({ requestId: 'a', findingId: 'f1', until: '2027-06-20', reason: 'x', actor: 'u1' })).toEqual([['actor', 'invalid']]);
    expect(bad({ requestId: 'a', findingId: 'f1', until: '2027-06-20' })).toEqual([['reason', 'invalid']]);
    expect(checkFindingExtension({ requestId: 'a', findingId: 'f1', until: '2027-06-20', reason: 'Flood', by: 'Desk' }).ok).toBe(true);
  });
});
