/** The rules of time and of action of inspection findings, as pure functions: zones, calendars, rounds, refusals. */
import { describe, expect, test } from 'vitest';
import type { FindingAction } from '../../workflows/contract/finding.js';
import { findingSlices } from '../../workflows/findings/slices.js';
import { actionRefusals, applyAction, assign, assignAt, findingState, isFinal, plannedFindings, seenReceipt, stillDue } from '../../workflows/findings/record.js';
import { assignedDay, firstDueDay, recheckAt, reworkDueDay, roundLadder, verifyReminderAt } from '../../workflows/findings/schedule.js';
import { validPlan } from '../fixtures/plans.js';

const base = (over: Record<string, unknown> = {}, inspections: Record<string, unknown> = {}) =>
  validPlan({
    id: 'rules',
    title: 'Rules',
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
    // 2027-03-14 is the day New York moves its clocks forward.
    calendar: { workweek: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: ['2027-05-31', '2027-07-05'], extraWorkdays: ['2027-06-05'] },
    inspections: {
      cadence: { rectifyDays: 30, reminderDays: [-7, -1, 0, 3], verifyDays: 5, reworkDays: 10 },
      rounds: [
        {
          id: 'r1',
          title: 'R1',
          feedbackDay: '2027-05-01',
          findings: [
            { id: 'f1', title: 'F1', unit: 'u1' },
            { id: 'f2', title: 'F2', unit: 'u1', verifier: 'u2', deadline: '2027-05-04', recheckAfterDays: 14 },
          ],
        },
      ],
      ...inspections,
    },
    ...over,
  });

// 08:30 in New York is 12:30Z in summer (EDT).
const ny = (day: string, time = '12:30') => Date.parse(`${day}T${time}:00.000Z`);

describe('the rules of time', () => {
  const plan = base();
  const round = plan.inspections!.rounds[0];
  test('day A is the feedback day moved forward; round 1 is due feedback + rectifyDays moved forward', () => {
    // Sat 05-01 -> Mon 05-03; 05-01 + 30 = Mon 05-31, a holiday -> Tue 06-01.
    expect(assignedDay(plan, round)).toBe('2027-05-03');
    expect(firstDueDay(plan, round, round.findings[0])).toBe('2027-06-01');
    // Its own deadline, Tue 05-04, is kept.
    expect(firstDueDay(plan, round, round.findings[1])).toBe('2027-05-04');
  });

  test('reminders before the deadline move back, on or after it forward; days on or before the start dropped; once per day', () => {
    // D = Tue 06-01. -7 = Tue 05-25; -1 = Mon 05-31 (holiday) -> back to Fri 05-28; 0 = 06-01; +3 = Fri 06-04.
    const ladder = roundLadder(plan, '2027-05-03', '2027-06-01');
    expect(ladder.map((s) => [s.kind, s.number, s.day])).toEqual([
      ['reminder', 1, '2027-05-25'],
      ['reminder', 2, '2027-05-28'],
      ['reminder', 3, '2027-06-01'],
      ['escalation', 1, '2027-06-03'],
      ['reminder', 4, '2027-06-04'],
      ['escalation', 2, '2027-06-10'],
    ]);
    expect(ladder[0].at).toBe(ny('2027-05-25'));
    // A short round: D = Tue 05-04 started on Mon 05-03: -7 (04-27) and -1 (05-03) are on or before the start.
    expect(roundLadder(plan, '2027-05-03', '2027-05-04').map((s) => [s.kind, s.number, s.day])).toEqual([
      ['reminder', 1, '2027-05-04'],
      ['escalation', 1, '2027-05-06'],
      ['reminder', 2, '2027-05-07'],
      ['escalation', 2, '2027-05-13'],
    ]);
    // Two offsets that land on the same working day are sent once: with D = Tue 06-01, -2 (Sun) and -1 (Mon, a
    // holiday) both move back to Fri 05-28. With D = Tue 06-08, -2 (Sun 06-06) moves back to the make-up Sat 06-05.
    const twice = base({}, { cadence: { reminderDays: [-2, -1], rectifyDays: 30 } });
    expect(roundLadder(twice, '2027-05-03', '2027-06-01').filter((s) => s.kind === 'reminder').map((s) => [s.number, s.day])).toEqual([[1, '2027-05-28']]);
    expect(roundLadder(twice, '2027-05-03', '2027-06-08').filter((s) => s.kind === 'reminder').map((s) => s.day)).toEqual(['2027-06-05', '2027-06-07']);
  });

  test('the escalation defaults to the plan cadence; the send time follows the zone across its clock change', () => {
    const winter = base({ start: '2027-01-01' }, { rounds: [{ id: 'r0', title: 'R0', feedbackDay: '2027-03-01', findings: [{ id: 'w', title: 'W', unit: 'u1', deadline: '2027-03-19' }] }] });
    const r = winter.inspections!.rounds[0];
    const ladder = roundLadder(winter, assignedDay(winter, r), firstDueDay(winter, r, r.findings[0]));
    // 03-12 is EST (13:30Z), 03-18 EDT (12:30Z). D = Fri 03-19: +2 and +3 both reach Mon 03-22, +9 Mon 03-29.
    expect(ladder.map((s) => [s.kind, s.number, new Date(s.at).toISOString()])).toEqual([
      ['reminder', 1, '2027-03-12T13:30:00.000Z'],
      ['reminder', 2, '2027-03-18T12:30:00.000Z'],
      ['reminder', 3, '2027-03-19T12:30:00.000Z'],
      ['reminder', 4, '2027-03-22T12:30:00.000Z'],
      ['escalation', 1, '2027-03-22T12:30:00.000Z'],
      ['escalation', 2, '2027-03-29T12:30:00.000Z'],
    ]);
  });

  test('rework, verifier reminder and re-check days move forward to working days', () => {
    expect(reworkDueDay(plan, '2027-06-25')).toBe('2027-07-06'); // 07-05 is a holiday
    // Claim Wed 06-02 (any hour) + 5 = Mon 06-07.
    expect(verifyReminderAt(plan, ny('2027-06-02', '20:00'))).toBe(ny('2027-06-07'));
    // A claim late on Fri 06-04 local (after midnight UTC) counts from the local day.
    expect(verifyReminderAt(plan, Date.parse('2027-06-05T03:00:00.000Z'))).toBe(ny('2027-06-09'));
    // Closed Tue 05-18 + 14 = Tue 06-01.
    expect(recheckAt(plan, ny('2027-05-18', '15:00'), 14)).toBe(ny('2027-06-01'));
  });

  test('a finding is assigned at A, or at the plan start when A has passed; past ladder steps are not sent', () => {
    const [p1] = plannedFindings(plan);
    expect(assignAt(plan, p1.round, 0)).toBe(ny('2027-05-03'));
    const late = ny('2027-05-27', '15:00');
    expect(assignAt(plan, p1.round, late)).toBe(late);
    const { record, events } = assign(plan, p1, late);
    // Reminders 1 (05-25) is past; 2 (05-28) and on keep their numbers.
    expect(events.map((e) => [e.kind, e.number])).toEqual([['finding-assigned', 1], ['reminder', 2], ['reminder', 3], ['escalation', 1], ['reminder', 4], ['escalation', 2]]);
    expect(record.rounds[0]).toMatchObject({ round: 1, dueDay: '2027-06-01', deadline: Date.parse('2027-06-02T04:00:00.000Z') });
  });
});

describe('the rules of action', () => {
  const plan = base();
  const [p1, p2] = plannedFindings(plan);
  const A = ny('2027-05-03');
  const act = (a: Partial<FindingAction> & Pick<FindingAction, 'action'>) => ({ requestId: `r-${Math.random()}`, findingId: 'f1', actor: 'u1', links: [], ...a }) as FindingAction;

  test('who may act, and in which state', () => {
    const { record } = assign(plan, p2, A);
    const refusal = (a: FindingAction, r = record) => actionRefusals(plan, p2, r, a, A + 1000, 0).map((x) => x.code);
    expect(refusal(act({ action: 'claim', findingId: 'f2', actor: 'u2', evidence: 'x' } as never))).toEqual(['wrongActor']);
    expect(refusal(act({ action: 'accept', findingId: 'f2', actor: 'u1' } as never))).toEqual(['wrongActor']);
    expect(refusal(act({ action: 'accept', findingId: 'f2', actor: 'u2' } as never))).toEqual(['findingWrongState']);
    expect(refusal(act({ action: 'recheck', findingId: 'f2', actor: 'headquarters', result: 'pass' } as never))).toEqual(['recheckNotDue']);
    expect(actionRefusals(plan, undefined, undefined, act({ action: 'claim', findingId: 'nope', evidence: 'x' } as never), A, 0).map((x) => x.code)).toEqual(['unknownFinding']);
    expect(actionRefusals(plan, p1, undefined, act({ action: 'claim', evidence: 'x' } as never), A - 1, 0)[0]).toMatchObject({ code: 'findingNotAssigned', params: { assignAt: new Date(A).toISOString() } });
  });

  test('a claim, a rejection, a new round, an acceptance late, the re-check that reopens, and the final pass', () => {
    const { record: r } = assign(plan, p2, A);
    expect(findingState(r, A)).toBe('open');
    expect(findingState(r, Date.parse('2027-05-05T04:00:00.000Z'))).toBe('overdue'); // the day after Tue 05-04 began
    const claimAt = ny('2027-05-05', '15:00');
    const claim = applyAction(plan, p2, r, act({ action: 'claim', findingId: 'f2', evidence: 'done', requestId: 'c1' } as never), claimAt);
    expect(claim.receipt).toMatchObject({ state: 'claimed', claim: 1, round: 1 });
    expect(claim.events.map((e) => [e.kind, e.number, new Date(e.at).toISOString()])).toEqual([
      ['claim-received', 1, new Date(claimAt).toISOString()],
      ['verify-reminder', 1, new Date(ny('2027-05-10')).toISOString()],
    ]);
    // The ladder of round 1 stops once a claim arrived in it.
    expect(stillDue(r, { at: 0, findingId: 'f2', kind: 'reminder', round: 1, number: 2 })).toBe(false);
    expect(actionRefusals(plan, p2, r, act({ action: 'claim', findingId: 'f2', evidence: 'again' } as never), claimAt + 1, 0).map((x) => x.code)).toEqual(['findingWrongState']);
    expect(seenReceipt(plan, r, act({ action: 'claim', findingId: 'f2', evidence: 'done', requestId: 'c1' } as never), claimAt + 5)).toMatchObject({ duplicate: true, claim: 1 });

    const rejectAt = ny('2027-05-07', '16:00');
    const reject = applyAction(plan, p2, r, act({ action: 'reject', findingId: 'f2', actor: 'headquarters', reason: 'no' } as never), rejectAt);
    expect(reject.receipt).toMatchObject({ state: 'open', round: 2, claim: 1, deadlineDay: '2027-05-17' });
    expect(reject.events[0]).toMatchObject({ kind: 'claim-rejected', round: 1, number: 1, reason: 'no' });
    expect(stillDue(r, { at: 0, findingId: 'f2', kind: 'verify-reminder', round: 1, number: 1 })).toBe(false);

    const claim2At = ny('2027-05-19', '10:00');
    applyAction(plan, p2, r, act({ action: 'claim', findingId: 'f2', evidence: 'now done' } as never), claim2At);
    const accept = applyAction(plan, p2, r, act({ action: 'accept', findingId: 'f2', actor: 'u2' } as never), ny('2027-05-20', '11:00'));
    expect(accept.receipt).toMatchObject({ state: 'closed', claim: 2 });
    expect(r).toMatchObject({ closedOnTime: false, daysLate: 2 }); // due Mon 05-17, claimed Wed 05-19
    expect(accept.events).toEqual([{ at: ny('2027-06-03'), findingId: 'f2', kind: 'recheck', round: 2, number: 1 }]);
    expect(isFinal(r)).toBe(false);
    expect(actionRefusals(plan, p2, r, act({ action: 'recheck', findingId: 'f2', actor: 'u2', result: 'pass' } as never), ny('2027-05-21'), 0)[0]).toMatchObject({ code: 'recheckNotDue', params: { at: new Date(ny('2027-06-03')).toISOString() } });
    r.rechecks[0].sent = true;
    const reopen = applyAction(plan, p2, r, act({ action: 'recheck', findingId: 'f2', actor: 'u2', result: 'reopen' } as never), ny('2027-06-04', '09:00'));
    expect(reopen.receipt).toMatchObject({ state: 'open', round: 3, deadlineDay: '2027-06-14' });
    expect(reopen.events.find((e) => e.kind === 'finding-reopened')).toMatchObject({ round: 3, number: 1 });
    expect(r).toMatchObject({ reopened: 1, closedAt: undefined });
    applyAction(plan, p2, r, act({ action: 'claim', findingId: 'f2', evidence: 'fixed for good' } as never), ny('2027-06-08'));
    const second = applyAction(plan, p2, r, act({ action: 'accept', findingId: 'f2', actor: 'headquarters' } as never), ny('2027-06-09'));
    expect(second.events.map((e) => [e.kind, e.round])).toEqual([['recheck', 3]]);
    r.rechecks[1].sent = true;
    applyAction(plan, p2, r, act({ action: 'recheck', findingId: 'f2', actor: 'headquarters', result: 'pass' } as never), ny('2027-06-25'));
    expect(findingState(r, ny('2027-06-25'))).toBe('verified');
    expect(isFinal(r)).toBe(true);
  });

  test('findings are split into slices of at most 100, in file order', () => {
    const many = base({}, { rounds: [{ id: 'r', title: 'R', feedbackDay: '2027-05-01', findings: Array.from({ length: 201 }, (_, i) => ({ id: `f${i}`, title: 'F', unit: 'u1' })) }] });
    expect(findingSlices(many).map((s) => s.length)).toEqual([100, 100, 1]);
    expect(findingSlices(many)[2]).toEqual(['f200']);
  });
});
