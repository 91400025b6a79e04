/**
 * The findings side of reviews and the assessment's score, as pure functions: which findings are due in a window and
 * how they stand at its moment, the coverage, the closure rate in the ranking, lagging units, and the weighted score.
 */
import { describe, expect, test } from 'vitest';
import { dueDeadline } from '../../workflows/calendar/index.js';
import type { FindingRecord } from '../../workflows/contract/finding.js';
import { buildReview, type RankedUnit } from '../../workflows/review/rank.js';
import { closureRate, coverageAt, findingsTally, standingAt, type FindingsTally } from '../../workflows/review/findings.js';
import { compareScores, unitScore } from '../../workflows/review/score.js';
import { groupTally, type GroupTally, type UnitTally } from '../../workflows/review/tally.js';
import { reviewWindows, type ReviewWindow } from '../../workflows/review/windows.js';
import { validPlan } from '../fixtures/plans.js';

const rawPlan = (over: Record<string, unknown> = {}) => ({
  id: 'fr-2030',
  title: 'Findings in reviews',
  timezone: 'UTC',
  start: '2030-01-01',
  end: '2030-12-31',
  headquarters: { name: 'HQ', email: 'hq@example.org' },
  leaders: [{ id: 'la', name: 'Leader A', email: 'la@example.org' }],
  units: [
    { id: 'a', name: 'Unit A', email: 'a@example.org', leader: 'la' },
    { id: 'b', name: 'Unit B', email: 'b@example.org', leader: 'la' },
    { id: 'c', name: 'Unit C', email: 'c@example.org' },
  ],
  aspects: [{ id: 'x', title: 'X' }],
  tasks: [
    { id: 't1', aspect: 'x', title: 'Task 1', units: ['a', 'b'] },
    { id: 't2', aspect: 'x', title: 'Task 2', units: ['b'], target: { metric: 'km', total: 100 } },
  ],
  cadence: { sendTime: '09:00', requestOffsetDays: -10, dueOffsetDays: 5 },
  assessment: { advancedShare: 1, backwardShare: 0, progressTolerance: 0.1 },
  inspections: {
    coverage: { targets: ['k1', 'k2', 'k3', 'k4'], by: '2030-09-30' },
    rounds: [
      { id: 'r1', title: 'Round 1', feedbackDay: '2030-02-01', covers: ['k1', 'k2'], findings: [{ id: 'f1', title: 'F1', unit: 'a' }] },
      { id: 'r2', title: 'Round 2', feedbackDay: '2030-08-01', covers: ['k2', 'k3'], findings: [{ id: 'f2', title: 'F2', unit: 'b' }] },
    ],
  },
  ...over,
});

const plan = validPlan(rawPlan());
const windows = reviewWindows(plan);
const H1 = windows.find((w) => w.id === '2030-H1')!; // made 2030-07-20T09:00Z over Q1 and Q2
const YEAR = windows.find((w) => w.id === '2030')!; // made 2031-01-30T09:00Z over the year
const t = (iso: string) => Date.parse(iso);
const end = (day: string) => dueDeadline(day, 'UTC');

/** A finding record: round 1 from the feedback day, due `dueDay`; later rounds, claims and re-checks as given. */
function record(findingId: string, unitId: string, dueDay: string, over: Partial<FindingRecord> = {}): FindingRecord {
  return {
    findingId,
    inspectionId: 'r1',
    unitId,
    verifier: 'headquarters',
    assignedAt: t('2030-02-01T09:00:00Z'),
    rounds: [{ round: 1, cause: 'assigned', startedAt: t('2030-02-01T09:00:00Z'), startDay: '2030-02-01', dueDay, deadline: end(dueDay) }],
    claims: [],
    notes: [],
    reminders: 0,
    escalations: 0,
    reopened: 0,
    rechecks: [],
    deliveryIssues: [],
    version: 1,
    ...over,
  };
}
const claim = (number: number, round: number, at: string, decision?: ['accept' | 'reject', string]) => ({
  number,
  round,
  at: t(at),
  requestId: `c${number}`,
  actor: 'a',
  links: 0,
  remindAt: t(at) + 5 * 86_400_000,
  ...(decision ? { decision: { decision: decision[0], at: t(decision[1]), requestId: `d${number}`, actor: 'headquarters' } } : {}),
});

describe('findings tally', () => {
  test('a finding is due when its first deadline day is in the window and has ended by the moment', () => {
    const tally = findingsTally(plan, H1, [
      record('in', 'a', '2030-06-30'),
      record('before-window-end-but-after-moment', 'a', '2030-07-25'),
      record('after-window', 'a', '2030-07-10'), // ended by the moment, but in Q3: the annual summary's
      record('q1', 'b', '2030-01-15'),
    ]);
    expect(tally.units).toEqual([
      { unitId: 'a', due: 1, closedOnTime: 0, closedLate: 0, overdue: 1, reopened: 0 },
      { unitId: 'b', due: 1, closedOnTime: 0, closedLate: 0, overdue: 1, reopened: 0 },
    ]);
    const year = findingsTally(plan, YEAR, [record('after-window', 'a', '2030-07-10'), record('next-year', 'a', '2031-01-10')]);
    expect(year.units).toEqual([{ unitId: 'a', due: 1, closedOnTime: 0, closedLate: 0, overdue: 1, reopened: 0 }]);
  });

  test('closed on time, closed late, overdue, awaiting a decision and reworking, as they stood at the moment', () => {
    const due = '2030-05-31';
    const records = [
      record('on-time', 'a', due, { claims: [claim(1, 1, '2030-05-20T04:00:00Z', ['accept', '2030-05-22T04:00:00Z'])] }),
      // The claim came on the deadline day itself: on time (before the day ended).
      record('last-day', 'a', due, { claims: [claim(1, 1, '2030-05-31T15:00:00Z', ['accept', '2030-06-02T04:00:00Z'])] }),
      record('late', 'a', due, { claims: [claim(1, 1, '2030-06-01T04:00:00Z', ['accept', '2030-06-03T04:00:00Z'])] }),
      record('awaiting', 'a', due, { claims: [claim(1, 1, '2030-07-01T04:00:00Z')] }),
      // Decided after the moment: it still awaited the decision then.
      record('decided-later', 'a', due, { claims: [claim(1, 1, '2030-07-01T04:00:00Z', ['accept', '2030-07-25T04:00:00Z'])] }),
      // Rejected on 07-10: round 2 runs until 07-25, after the moment: open, not overdue.
      record('reworking', 'a', due, {
        claims: [claim(1, 1, '2030-06-20T04:00:00Z', ['reject', '2030-07-10T04:00:00Z'])],
        rounds: [
          { round: 1, cause: 'assigned', startedAt: t('2030-02-01T09:00:00Z'), startDay: '2030-02-01', dueDay: due, deadline: end(due) },
          { round: 2, cause: 'rejected', startedAt: t('2030-07-10T04:00:00Z'), startDay: '2030-07-10', dueDay: '2030-07-25', deadline: end('2030-07-25') },
        ],
      }),
      record('never', 'a', due),
    ];
    expect(findingsTally(plan, H1, records).units).toEqual([{ unitId: 'a', due: 7, closedOnTime: 2, closedLate: 1, overdue: 1, reopened: 0 }]);
    expect(standingAt(records[4], H1.at)).toEqual({ state: 'claimed', reopened: 0 });
    expect(standingAt(records[5], H1.at)).toEqual({ state: 'open', reopened: 0 });
  });

  test('a reopened finding counts its reopening and stands as its last round does', () => {
    const reopened = record('reopen', 'a', '2030-03-31', {
      claims: [claim(1, 1, '2030-03-01T04:00:00Z', ['accept', '2030-03-02T04:00:00Z']), claim(2, 2, '2030-05-01T04:00:00Z', ['accept', '2030-05-03T04:00:00Z'])],
      rounds: [
        { round: 1, cause: 'assigned', startedAt: t('2030-02-01T09:00:00Z'), startDay: '2030-02-01', dueDay: '2030-03-31', deadline: end('2030-03-31') },
        { round: 2, cause: 'reopened', startedAt: t('2030-04-10T04:00:00Z'), startDay: '2030-04-10', dueDay: '2030-04-25', deadline: end('2030-04-25') },
      ],
      rechecks: [{ round: 1, at: t('2030-04-09T09:00:00Z'), sent: true, answer: { result: 'reopen', at: t('2030-04-10T04:00:00Z'), requestId: 'x', actor: 'headquarters' } }],
      reopened: 1,
    });
    // Reclosed by a claim after round 2's deadline: closed late.
    expect(findingsTally(plan, H1, [reopened]).units).toEqual([{ unitId: 'a', due: 1, closedOnTime: 0, closedLate: 1, overdue: 0, reopened: 1 }]);
    // Between the reopening and round 2's deadline the finding was open; after it, overdue.
    expect(standingAt(reopened, t('2030-04-20T00:00:00Z'))).toEqual({ state: 'open', reopened: 1 });
    expect(standingAt(reopened, t('2030-04-28T00:00:00Z'))).toEqual({ state: 'overdue', reopened: 1 });
    // Before the reopening, closed on time.
    expect(standingAt(reopened, t('2030-04-01T00:00:00Z'))).toEqual({ state: 'closed', onTime: true, reopened: 0 });
  });

  test('no findings due: no units; the closure rate is null without findings due', () => {
    expect(findingsTally(plan, H1, []).units).toEqual([]);
    expect(closureRate(undefined)).toBeNull();
    expect(closureRate({ due: 0, closedOnTime: 0 })).toBeNull();
    expect(closureRate({ due: 4, closedOnTime: 3 })).toBe(0.75);
  });

  test('coverage: targets covered by rounds fed back by the moment, those new in the window, late past its day', () => {
    expect(coverageAt(plan, H1)).toEqual({ targets: 4, covered: 2, coveredInWindow: 2, by: '2030-09-30', uncovered: ['k3', 'k4'], late: false });
    // The year holds both rounds; its moment (2031-01-30) is past the coverage day with k4 uncovered.
    expect(coverageAt(plan, YEAR)).toEqual({ targets: 4, covered: 3, coveredInWindow: 3, by: '2030-09-30', uncovered: ['k4'], late: true });
    // Over the second half only r2 counts as new: k2 was covered before it began, so only k3 is new.
    const h2: ReviewWindow = { id: 'h2', kind: 'review', periods: ['2030-Q3', '2030-Q4'], at: YEAR.at };
    expect(coverageAt(plan, h2)).toMatchObject({ covered: 3, coveredInWindow: 1 });
    expect(coverageAt(validPlan(rawPlan({ inspections: undefined })), H1)).toBeNull();
  });
});

/** A group tally of the given unit rows (targets optional). */
const group = (window: ReviewWindow, units: UnitTally[], targets: GroupTally['targets'] = []): GroupTally => ({ window: window.id, groupIndex: 0, units, targets, flagged: [], heatmap: [] });
const unit = (unitId: string, due: number, onTime: number, extra: Partial<UnitTally> = {}): UnitTally => ({
  unitId, due, onTime, late: 0, missing: due - onTime, daysLate: 0, escalations: 0, ...extra,
});
const findings = (window: ReviewWindow, units: FindingsTally['units']): FindingsTally => ({ window: window.id, units });
const f = (unitId: string, due: number, closedOnTime: number, overdue = 0, closedLate = 0) => ({ unitId, due, closedOnTime, closedLate, overdue, reopened: 0 });

describe('reviews with findings', () => {
  test('the closure rate ranks right after the on-time rate', () => {
    const parts = [group(H1, [unit('a', 2, 2), unit('b', 2, 2), unit('c', 2, 1, { late: 1, missing: 0, daysLate: 9 })])];
    // a and b tie on reports; b closed more of its findings on time, so it ranks first. c's lower on-time rate wins over
    // its perfect closure rate.
    const r = buildReview(plan, H1, parts, [], null, findings(H1, [f('a', 2, 1, 0, 1), f('b', 2, 2), f('c', 1, 1)]));
    expect(r.ranking.map((u) => [u.unitId, u.rank, u.closureRate])).toEqual([['b', 1, 1], ['a', 2, 0.5], ['c', 3, 1]]);
    expect(r.ranking[1].findings).toEqual({ due: 2, closedOnTime: 1, closedLate: 1, overdue: 0, reopened: 0 });
  });

  test('a unit with no findings due ranks as fully closed, above a unit that closed fewer', () => {
    const parts = [group(H1, [unit('a', 2, 2), unit('b', 2, 2)])];
    const r = buildReview(plan, H1, parts, [], null, findings(H1, [f('a', 2, 1)]));
    expect(r.ranking.map((u) => [u.unitId, u.closureRate])).toEqual([['b', null], ['a', 0.5]]);
  });

  test('a unit with an overdue finding is lagging and never advanced, ranked or not', () => {
    const parts = [group(H1, [unit('a', 2, 2), unit('b', 2, 2)])];
    // advancedShare 1: every clean unit would be advanced.
    const r = buildReview(plan, H1, parts, [], null, findings(H1, [f('a', 3, 2, 1), f('c', 1, 0, 1)]));
    expect(r.advanced).toEqual(['b']);
    expect(r.lagging).toEqual([{ leaderId: 'la', units: [{ unitId: 'a', reasons: [{ kind: 'overdueFindings', count: 1 }] }] }]);
    // c has no report due, so it is not ranked, yet its overdue finding makes it lagging (it has no leader).
    expect(r.laggingWithoutLeader).toEqual([{ unitId: 'c', reasons: [{ kind: 'overdueFindings', count: 1 }] }]);
    expect(r.findings!.units.map((u) => [u.unitId, u.closureRate])).toEqual([['a', 2 / 3], ['c', 0]]);
    expect(r.findings!.coverage).toMatchObject({ covered: 2, targets: 4 });
  });

  test('an overdue finding makes a unit a candidate for backward', () => {
    const p = validPlan(rawPlan({ assessment: { advancedShare: 0, backwardShare: 0.5, progressTolerance: 0.1 } }));
    const r = buildReview(p, H1, [group(H1, [unit('a', 2, 2), unit('b', 2, 2)])], [], null, findings(H1, [f('b', 1, 0, 1)]));
    expect(r.backward).toEqual(['b']);
  });

  test('a plan without inspections gets no findings part and the same ranking as before', () => {
    const bare = validPlan(rawPlan({ inspections: undefined }));
    const parts = [group(H1, [unit('b', 2, 2), unit('a', 2, 2), unit('c', 3, 2, { missing: 1 })])];
    const r = buildReview(bare, H1, parts, [], null);
    expect(r.findings).toBeUndefined();
    expect(r.weights).toBeUndefined();
    expect(r.ranking.map((u) => u.unitId)).toEqual(['a', 'b', 'c']);
    expect(r.ranking.every((u: RankedUnit) => u.closureRate === undefined && u.findings === undefined && u.score === undefined)).toBe(true);
  });
});

describe('the score', () => {
  const W = { timeliness: 40, progress: 30, quality: 10, findings: 20 };

  test('the weighted mean of the parts, x 100', () => {
    const s = unitScore(W, { timeliness: 0.75, progress: 1, quality: 0.5, findings: 0.25 });
    expect(s.score).toBeCloseTo((40 * 0.75 + 30 * 1 + 10 * 0.5 + 20 * 0.25) / 100 * 100, 9);
    expect(s.parts.quality).toEqual({ weight: 10, measured: 0.5, used: 0.5 });
  });

  test('a part with nothing to measure takes the average of the unit\'s other measured parts', () => {
    const s = unitScore(W, { timeliness: 0.5, progress: null, quality: 1, findings: null });
    expect(s.parts.progress).toEqual({ weight: 30, measured: null, used: 0.75 });
    expect(s.parts.findings).toEqual({ weight: 20, measured: null, used: 0.75 });
    expect(s.score).toBeCloseTo((40 * 0.5 + 30 * 0.75 + 10 * 1 + 20 * 0.75), 9);
  });

  test('a part without weight neither counts nor lends its figure to the average', () => {
    const s = unitScore({ timeliness: 1, progress: 0, quality: 0, findings: 1 }, { timeliness: 0.5, progress: 0, quality: 1, findings: null });
    expect(s.parts.findings.used).toBe(0.5);
    expect(s.score).toBeCloseTo(50, 9);
  });

  test('all parts empty: no score, ranked after every scored unit', () => {
    const s = unitScore({ timeliness: 0, progress: 1, quality: 1, findings: 0 }, { timeliness: 1, progress: null, quality: null, findings: null });
    expect(s.score).toBeNull();
    expect(compareScores(null, 10)).toBeGreaterThan(0);
    expect(compareScores(10, null)).toBeLessThan(0);
    expect(compareScores(null, null)).toBe(0);
    expect(compareScores(0.1 + 0.2, 0.3)).toBe(0); // float noise is a tie
  });

  test('with weights the ranking orders by score; ties keep the usual order', () => {
    const p = validPlan(rawPlan({ assessment: { advancedShare: 0.2, backwardShare: 0.2, progressTolerance: 0.1, weights: { timeliness: 50, progress: 0, quality: 0, findings: 50 } } }));
    const parts = [group(H1, [unit('a', 4, 4), unit('b', 4, 2, { missing: 0, late: 2, daysLate: 3 }), unit('c', 4, 3, { missing: 1 })])];
    // a: (1 + 0.25) / 2 = 62.5; b: (0.5 + 1) / 2 = 75; c: (0.75 + 0.5) / 2 = 62.5, tied with a: a's on-time rate is higher.
    const r = buildReview(p, H1, parts, [], null, findings(H1, [f('a', 4, 1), f('b', 2, 2), f('c', 2, 1)]));
    expect(r.ranking.map((u) => [u.unitId, u.rank, u.score!.score])).toEqual([['b', 1, 75], ['a', 2, 62.5], ['c', 3, 62.5]]);
    expect(r.weights).toEqual({ timeliness: 50, progress: 0, quality: 0, findings: 50 });
  });

  test('progress is the share of the unit\'s target tasks not behind plan; quality its decided reports accepted without a return', () => {
    const p = validPlan(rawPlan({ assessment: { advancedShare: 0.2, backwardShare: 0.2, progressTolerance: 0.1, weights: { timeliness: 0, progress: 1, quality: 1, findings: 0 } } }));
    const target = (taskId: string, units: string[], actual: number | null) => ({ taskId, metric: 'km', total: 100, expected: 50, actual, reportedBy: units[0], units });
    const parts = [group(H1, [unit('a', 2, 2, { decided: 2, acceptedClean: 1 }), unit('b', 2, 2, { decided: 0, acceptedClean: 0 })], [target('t2', ['b'], 20), target('t3', ['b', 'a'], 48)])];
    const r = buildReview(p, H1, parts, [], null);
    const a = r.ranking.find((u) => u.unitId === 'a')!;
    const b = r.ranking.find((u) => u.unitId === 'b')!;
    // a: t3 within tolerance (48 >= 45): progress 1; quality 1/2. b: t2 behind, t3 not: 1/2; nothing decided: takes 1/2.
    expect([a.score!.parts.progress.measured, a.score!.parts.quality.measured, a.score!.score]).toEqual([1, 0.5, 75]);
    expect([b.score!.parts.progress.measured, b.score!.parts.quality.measured, b.score!.parts.quality.used, b.score!.score]).toEqual([0.5, null, 0.5, 50]);
  });

  test('the group tally counts decisions only for a weighted assessment', () => {
    const weighted = validPlan(rawPlan({ assessment: { advancedShare: 0.2, backwardShare: 0.2, progressTolerance: 0.1, weights: { timeliness: 1 } } }));
    const q1 = { tracked: true, schedule: { period: '2030-Q1', deadline: t('2030-04-06T00:00:00Z') } } as never;
    const q2 = { tracked: true, schedule: { period: '2030-Q2', deadline: t('2030-07-06T00:00:00Z') } } as never;
    const rec = (decisions: { decision: 'accept' | 'return'; at: number; requestId: string }[]) => ({ requestedAt: 0, reminders: 0, escalations: 0, submittedAt: t('2030-04-01T00:00:00Z'), revisions: [], deliveryIssues: [], decisions });
    const records = {
      't1|a|2030-Q1': rec([{ decision: 'accept', at: t('2030-04-02T00:00:00Z'), requestId: 'x' }]),
      't1|a|2030-Q2': rec([{ decision: 'return', at: t('2030-04-02T00:00:00Z'), requestId: 'y' }, { decision: 'accept', at: t('2030-04-05T00:00:00Z'), requestId: 'z' }]),
      't1|b|2030-Q1': rec([{ decision: 'accept', at: t('2030-08-01T00:00:00Z'), requestId: 'w' }]), // after the moment
    };
    const tally = groupTally(weighted, 0, [q1, q2], records, H1);
    const a = tally.units.find((u) => u.unitId === 'a')!;
    const b = tally.units.find((u) => u.unitId === 'b')!;
    expect([a.decided, a.acceptedClean, b.decided, b.acceptedClean]).toEqual([2, 1, 0, 0]);
    const plain = groupTally(plan, 0, [q1, q2], records, H1);
    expect(plain.units.every((u) => !('decided' in u) && !('acceptedClean' in u))).toBe(true);
  });
});
