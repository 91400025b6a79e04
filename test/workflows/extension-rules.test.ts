/**
 * The rules of an extension (延期) as pure functions, on the year plan's 2030 calendar (holidays 04-05 and 10-01..07,
 * make-up days Sun 09-29 and Sat 10-12): the new due day moved to a working day, reminders moved back or forward
 * around it and numbered after those sent, escalation levels already sent left out, the close moved when the ladder
 * needs it, which due day a report answers, its status, and every refusal.
 */
import { describe, expect, test } from 'vitest';
import { recordKey } from '../../workflows/contract/ids.js';
import type { UnitPeriodRecord } from '../../workflows/contract/status.js';
import { closeOf, currentDue, extendedDueDay, extensionLadder, quarterDue, revisionDue, sentInRound, sequenceOf } from '../../workflows/cycle/extension.js';
import { groupStatus } from '../../workflows/cycle/status.js';
import { cycleTimeline } from '../../workflows/cycle/timeline.js';
import { decisionRefusals, extensionRefusals, reportRefusals, type ReportScope } from '../../workflows/cycle/validate.js';
import { yearPlan } from '../fixtures/plans.js';

const plan = yearPlan();
const startedAt = Date.parse('2030-01-01T00:00:00+08:00');
const periods = cycleTimeline(plan, startedAt);
const byPeriod = new Map(periods.map((p) => [p.schedule.period, p]));
const q2 = byPeriod.get('2030-Q2')!;
const q3 = byPeriod.get('2030-Q3')!;
/** 09:00 Asia/Shanghai, the plan's send time. */
const nine = (day: string) => Date.parse(`${day}T09:00:00+08:00`);
/** The end of a local day in Shanghai. */
const endOf = (day: string) => Date.parse(`${day}T00:00:00+08:00`) + 86_400_000;
const scope = { taskId: 't1', unitId: 'late', period: '2030-Q2', round: 0, extension: 1, closeAt: q2.schedule.closeAt, remindersSent: 0, levelsSent: [] as number[] };
const brief = (events: { at: number; kind: string; number: number }[]) => events.map((e) => [new Date(e.at).toISOString(), e.kind, e.number]);

describe('the new due day', () => {
  test('is the day asked for when it is a working day (a make-up Saturday is one)', () => {
    expect(extendedDueDay(plan, '2030-07-10')).toBe('2030-07-10');
    expect(extendedDueDay(plan, '2030-10-12')).toBe('2030-10-12');
  });
  test('moves forward over weekends and holidays', () => {
    expect(extendedDueDay(plan, '2030-07-20')).toBe('2030-07-22'); // Sat -> Mon
    expect(extendedDueDay(plan, '2030-10-01')).toBe('2030-10-08'); // National Day week -> Tue
    expect(extendedDueDay(plan, '2030-04-05')).toBe('2030-04-08'); // Qingming Fri -> Mon
  });
  test('without a working-day calendar, stays as asked', () => {
    expect(extendedDueDay(yearPlan('nocal', { calendar: undefined }), '2030-07-20')).toBe('2030-07-20');
  });
});

describe('the ladder of an extension', () => {
  test('an overdue report extended to Wed 07-10: reminders before it moved back (those not after today dropped), escalations moved forward, numbered after the three sent', () => {
    const now = Date.parse('2030-07-06T10:00:00+08:00');
    const ladder = extensionLadder(plan, now, '2030-07-10', { ...scope, remindersSent: 3 });
    expect(ladder.dueDay).toBe('2030-07-10');
    expect(ladder.deadline).toBe(endOf('2030-07-10'));
    // -3 is Sun 07-07, moved back to Fri 07-05: before today (07-06), dropped. -1 Tue 07-09, 0 Wed 07-10.
    // +3 Sat 07-13 -> Mon 07-15; +10 Sat 07-20 -> Mon 07-22. The quarter's close (90 days on) needs no move.
    expect(brief(ladder.events)).toEqual([
      [new Date(now).toISOString(), 'extended', 1],
      [new Date(nine('2030-07-09')).toISOString(), 'reminder', 4],
      [new Date(nine('2030-07-10')).toISOString(), 'reminder', 5],
      [new Date(endOf('2030-07-10')).toISOString(), 'deadline', 1],
      [new Date(nine('2030-07-15')).toISOString(), 'escalation', 1],
      [new Date(nine('2030-07-22')).toISOString(), 'escalation', 2],
    ]);
    expect(ladder.closeAt).toBe(q2.schedule.closeAt);
    expect(ladder.events.filter((e) => e.kind === 'escalation').map((e) => e.escalateTo)).toEqual(['unitLeader', 'headquarters']);
    expect(ladder.events.every((e) => e.extension === 1 && e.round === 0 && e.unitId === 'late')).toBe(true);
  });

  test('a level already sent is not sent again; reminders continue after the last one sent', () => {
    const now = Date.parse('2030-10-14T10:00:00+08:00');
    const ladder = extensionLadder(plan, now, '2030-10-25', { ...scope, period: '2030-Q3', closeAt: q3.schedule.closeAt, extension: 2, remindersSent: 2, levelsSent: [1] });
    expect(brief(ladder.events.filter((e) => e.kind !== 'deadline'))).toEqual([
      [new Date(now).toISOString(), 'extended', 2],
      [new Date(nine('2030-10-22')).toISOString(), 'reminder', 3],
      [new Date(nine('2030-10-24')).toISOString(), 'reminder', 4],
      [new Date(nine('2030-10-25')).toISOString(), 'reminder', 5],
      [new Date(nine('2030-11-04')).toISOString(), 'escalation', 2],
    ]);
  });

  test('reminder days before the new due day move back over the National Day holidays, a day reached twice once', () => {
    const now = Date.parse('2030-09-25T10:00:00+08:00');
    // Due Wed 10-09: -3 is Sun 10-06 (holiday) -> back to Mon 09-30; -1 Tue 10-08; 0 Wed 10-09.
    const ladder = extensionLadder(plan, now, '2030-10-09', { ...scope, period: '2030-Q3', closeAt: q3.schedule.closeAt });
    expect(brief(ladder.events.filter((e) => e.kind === 'reminder'))).toEqual([
      [new Date(nine('2030-09-30')).toISOString(), 'reminder', 1],
      [new Date(nine('2030-10-08')).toISOString(), 'reminder', 2],
      [new Date(nine('2030-10-09')).toISOString(), 'reminder', 3],
    ]);
    // On the make-up Saturday 10-12: -3 Wed 10-09, -1 Fri 10-11, 0 Sat 10-12; +3 Tue 10-15, +10 Tue 10-22.
    const saturday = extensionLadder(plan, now, '2030-10-12', { ...scope, period: '2030-Q3', closeAt: q3.schedule.closeAt });
    expect(brief(saturday.events.filter((e) => e.kind === 'reminder' || e.kind === 'escalation')).map(([at]) => at)).toEqual(
      ['2030-10-09', '2030-10-11', '2030-10-12', '2030-10-15', '2030-10-22'].map((d) => new Date(nine(d)).toISOString()),
    );
  });

  test('a reminder on the day of the extension is dropped even when its hour is still to come', () => {
    const now = Date.parse('2030-07-09T08:00:00+08:00');
    const ladder = extensionLadder(plan, now, '2030-07-12', { ...scope, remindersSent: 3 });
    // -3 Tue 07-09 is today: dropped; -1 Thu 07-11 and 0 Fri 07-12 stay.
    expect(ladder.events.filter((e) => e.kind === 'reminder').map((e) => [e.at, e.number])).toEqual([[nine('2030-07-11'), 4], [nine('2030-07-12'), 5]]);
  });

  test("the quarter's close moves when the last escalation would come after it, and the ladder wakes the workflow then", () => {
    const short = yearPlan('short-close', { cadence: { ...plan.cadence, closeAfterDays: 11 } });
    const s2 = cycleTimeline(short, startedAt).find((p) => p.schedule.period === '2030-Q2')!;
    // The quarter closes at the end of 07-16 (due Fri 07-05 + 11 days), after its last escalation (Mon 07-15).
    expect(s2.schedule.closeAt).toBe(endOf('2030-07-16'));
    const ladder = extensionLadder(short, Date.parse('2030-07-06T10:00:00+08:00'), '2030-07-10', { ...scope, closeAt: s2.schedule.closeAt });
    expect(ladder.closeAt).toBe(nine('2030-07-22') + 1);
    expect(ladder.events.at(-1)).toMatchObject({ kind: 'close', at: nine('2030-07-22') + 1 });
  });
});

describe('which due day a report answers', () => {
  const base = (over: Partial<UnitPeriodRecord> = {}): UnitPeriodRecord => ({ requestedAt: nine('2030-06-20'), reminders: 0, escalations: 0, revisions: [], deliveryIssues: [], ...over });
  const ext = (over: Partial<NonNullable<UnitPeriodRecord['extensions']>[number]>) => ({
    requestId: 'x1', at: nine('2030-07-06'), until: '2030-07-10', dueDay: '2030-07-10', deadline: endOf('2030-07-10'), previousDueDay: '2030-07-05',
    closeAt: q2.schedule.closeAt, round: 0, reason: 'flood', ...over,
  });

  test("the quarter's, the extension's, and the revision's (or its extension's) while one is awaited", () => {
    expect(quarterDue(q2, base())).toEqual({ dueDay: '2030-07-05', deadline: q2.schedule.deadline });
    const extended = base({ extensions: [ext({})] });
    expect(quarterDue(q2, extended)).toMatchObject({ dueDay: '2030-07-10', deadline: endOf('2030-07-10') });
    expect(currentDue(q2, extended).dueDay).toBe('2030-07-10');
    expect(revisionDue(extended)).toBeUndefined();
    const returned = base({
      submittedAt: nine('2030-07-09'), awaitingSince: nine('2030-07-12'), extensions: [ext({})],
      decisions: [{ decision: 'return', at: nine('2030-07-12'), requestId: 'd1', comment: 'more', revisionDueDay: '2030-07-19', revisionDeadline: endOf('2030-07-19') }],
    });
    expect(currentDue(q2, returned)).toEqual({ dueDay: '2030-07-19', deadline: endOf('2030-07-19') });
    returned.extensions!.push(ext({ requestId: 'x2', round: 1, dueDay: '2030-07-26', deadline: endOf('2030-07-26'), previousDueDay: '2030-07-19' }));
    expect(currentDue(q2, returned).dueDay).toBe('2030-07-26');
    // The quarter's report still counts from its own extension.
    expect(quarterDue(q2, returned).dueDay).toBe('2030-07-10');
    expect(sequenceOf(returned)).toBe(3);
    expect(sequenceOf(base())).toBe(0);
  });

  test("the close is the quarter's or a later extension's", () => {
    expect(closeOf(q2, base())).toBe(q2.schedule.closeAt);
    expect(closeOf(q2, base({ extensions: [ext({ closeAt: q2.schedule.closeAt + 1000 })] }))).toBe(q2.schedule.closeAt + 1000);
  });

  test('what was sent in a round: the last reminder number and the escalation levels', () => {
    const record = base({
      sent: [
        { kind: 'request', number: 1, round: 0, at: 1 }, { kind: 'reminder', number: 1, round: 0, at: 2 }, { kind: 'reminder', number: 3, round: 0, at: 3 },
        { kind: 'escalation', number: 1, round: 0, at: 4 }, { kind: 'reminder', number: 1, round: 1, at: 5 },
      ],
    });
    expect(sentInRound(record, 0)).toEqual({ remindersSent: 3, levelsSent: [1] });
    expect(sentInRound(record, 1)).toEqual({ remindersSent: 1, levelsSent: [] });
    expect(sentInRound(record, 2)).toEqual({ remindersSent: 0, levelsSent: [] });
  });

  test('the status of an extended report: its new deadline, requested until it passes, escalated only by what came after the extension', () => {
    const record = base({
      reminders: 3, escalations: 1,
      sent: [{ kind: 'escalation', number: 1, round: 0, at: nine('2030-07-08') }],
      extensions: [ext({ at: Date.parse('2030-07-09T10:00:00+08:00') })],
    });
    const records = { [recordKey('t1', 'late', '2030-Q2')]: record };
    const row = (now: number) => groupStatus(plan, periods, records, now)[0].units.find((u) => u.unitId === 'late')!.periods.find((p) => p.period === '2030-Q2')!;
    expect(row(nine('2030-07-10'))).toMatchObject({ state: 'requested', dueAt: new Date(endOf('2030-07-10')).toISOString(), extensions: 1 });
    expect(row(endOf('2030-07-10')).state).toBe('overdue');
    record.sent!.push({ kind: 'escalation', number: 2, round: 0, at: nine('2030-07-22') });
    expect(row(nine('2030-07-22')).state).toBe('escalated');
    // Reports never extended say nothing of extensions.
    expect(groupStatus(plan, periods, {}, nine('2030-07-10'))[0].units[0].periods[1]).not.toHaveProperty('extensions');
  });
});

describe('the refusals of an extension', () => {
  const records: Record<string, UnitPeriodRecord> = {};
  const g: ReportScope = { plan, tasks: new Map(plan.tasks.map((t) => [t.id, t])), units: new Map(plan.units.map((u) => [u.id, u])), byPeriod, records, maxRevisions: 50, maxExtensions: 2 };
  const input = (over: Record<string, unknown> = {}) => ({ requestId: 'e1', taskId: 't1', unitId: 'late', period: '2030-Q2', until: '2030-07-10', reason: 'flood', ...over });
  const at = Date.parse('2030-07-06T10:00:00+08:00');
  const codes = (raw: unknown, now = at) => extensionRefusals(g, raw, now).map((r) => [r.field, r.code]);
  const reset = (over: Partial<UnitPeriodRecord> = {}) => {
    records[recordKey('t1', 'late', '2030-Q2')] = { requestedAt: nine('2030-06-20'), reminders: 3, escalations: 0, revisions: [], deliveryIssues: [], ...over };
  };

  test('an awaited report extended to a later working day is accepted', () => {
    reset();
    expect(codes(input())).toEqual([]);
  });

  test('bad input names its field: the day, the reason, an unknown field', () => {
    reset();
    expect(codes(input({ until: '10 July' }))).toEqual([['until', 'invalid']]);
    expect(codes(input({ until: '2030-02-30' }))).toEqual([['until', 'invalid']]);
    expect(codes(input({ reason: '  ' }))).toEqual([['reason', 'invalid']]);
    expect(codes(input({ colour: 'red' }))).toEqual([['colour', 'invalid']]);
    expect(codes(input({ period: 'Q2' }))).toEqual([['period', 'invalid']]);
  });

  test('an unknown task, unit or quarter, a unit not responsible, a quarter not yet requested', () => {
    reset();
    expect(codes(input({ taskId: 'nope' }))).toEqual([['taskId', 'unknownTask']]);
    expect(codes(input({ unitId: 'nobody' }))).toEqual([['unitId', 'unknownUnit']]);
    expect(codes(input({ period: '2031-Q1' }))).toEqual([['period', 'notAQuarter']]);
    expect(codes(input({ period: '2030-Q3', until: '2030-10-20' }))).toEqual([['period', 'notRequestedYet']]);
  });

  test('a report that arrived (and was not returned) or was accepted has nothing due', () => {
    reset({ submittedAt: nine('2030-07-04') });
    expect(codes(input())).toEqual([['period', 'notDueNow']]);
    reset({ submittedAt: nine('2030-07-04'), decisions: [{ decision: 'accept', at: nine('2030-07-05'), requestId: 'd' }] });
    expect(codes(input())).toEqual([['period', 'locked']]);
    // Returned and awaiting its revision (due 07-12): a later day is accepted, an earlier one refused.
    reset({ submittedAt: nine('2030-07-04'), awaitingSince: nine('2030-07-05'), decisions: [{ decision: 'return', at: nine('2030-07-05'), requestId: 'd', comment: 'x', revisionDueDay: '2030-07-12', revisionDeadline: endOf('2030-07-12') }] });
    expect(codes(input({ until: '2030-07-15' }))).toEqual([]);
    expect(extensionRefusals(g, input({ until: '2030-07-12' }), at)[0]).toMatchObject({ field: 'until', code: 'notLaterDue', params: { dueDay: '2030-07-12', current: '2030-07-12' } });
  });

  test('a day not after the current due day (as moved by the calendar), or already passed, is refused with both days', () => {
    reset();
    expect(extensionRefusals(g, input({ until: '2030-07-05' }), at)[0]).toMatchObject({ field: 'until', code: 'notLaterDue', params: { until: '2030-07-05', dueDay: '2030-07-05', current: '2030-07-05' } });
    expect(extensionRefusals(g, input({ until: '2030-07-08' }), Date.parse('2030-07-10T10:00:00+08:00'))[0]).toMatchObject({ field: 'until', code: 'duePassed', params: { dueDay: '2030-07-08', today: '2030-07-10' } });
    // Q3 is due Tue 10-08: Saturday 10-05 of the holiday week gives that same day.
    records[recordKey('t1', 'silent', '2030-Q3')] = { requestedAt: nine('2030-09-20'), reminders: 0, escalations: 0, revisions: [], deliveryIssues: [] };
    expect(extensionRefusals(g, input({ unitId: 'silent', period: '2030-Q3', until: '2030-10-05' }), nine('2030-09-25'))[0]).toMatchObject({ code: 'notLaterDue', params: { dueDay: '2030-10-08', current: '2030-10-08' } });
  });

  test('past the close, or past the most extensions kept; a repeated request id is answered, never refused', () => {
    reset();
    expect(codes(input({ until: '2030-12-31' }), q2.schedule.closeAt)).toEqual([['period', 'closed']]);
    const x = { requestId: 'e1', at, until: '2030-07-10', dueDay: '2030-07-10', deadline: endOf('2030-07-10'), previousDueDay: '2030-07-05', closeAt: q2.schedule.closeAt, round: 0, reason: 'flood' };
    reset({ extensions: [x, { ...x, requestId: 'e2', until: '2030-07-12', dueDay: '2030-07-12', deadline: endOf('2030-07-12') }] });
    expect(codes(input({ requestId: 'e3', until: '2030-07-20' }))).toEqual([['requestId', 'tooManyExtensions']]);
    expect(codes(input({ requestId: 'e1', until: '2030-07-01' }))).toEqual([]);
  });

  test("a close moved by an extension keeps the report open to its report and to a return until then", () => {
    const later = q2.schedule.closeAt + 5 * 86_400_000;
    const x = { requestId: 'e1', at, until: '2030-07-10', dueDay: '2030-07-10', deadline: endOf('2030-07-10'), previousDueDay: '2030-07-05', closeAt: later, round: 0, reason: 'flood' };
    reset({ extensions: [x] });
    const report = { requestId: 'r1', taskId: 't1', unitId: 'late', period: '2030-Q2', status: 'on-track', summary: 'late but here' };
    expect(reportRefusals(g, report, q2.schedule.closeAt + 1000)).toEqual([]);
    expect(reportRefusals(g, report, later).map((r) => r.code)).toEqual(['closed']);
    reset({ extensions: [x], submittedAt: q2.schedule.closeAt + 1000, revisions: [{ requestId: 'r1', arrivedAt: q2.schedule.closeAt + 1000, status: 'on-track', summary: '' }] });
    const ret = { requestId: 'd1', taskId: 't1', unitId: 'late', period: '2030-Q2', decision: 'return', comment: 'more' };
    expect(decisionRefusals(g, ret, q2.schedule.closeAt + 2000)).toEqual([]);
    expect(decisionRefusals(g, ret, later).map((r) => r.code)).toEqual(['closed']);
  });
});
