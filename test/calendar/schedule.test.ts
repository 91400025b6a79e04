import { describe, expect, it } from 'vitest';
import type { Plan, PlanCalendar } from '../../workflows/contract/plan.js';
import {
  addDays,
  compareDates,
  daysLate,
  isWorkingDay,
  localDateOf,
  localDateTimeOf,
  periodSchedule,
  periodsOf,
  planSchedule,
  startOfLocalDay,
  zonedInstant,
  type PeriodSchedule,
} from '../../workflows/calendar/index.js';
import { CN_2027, ORACLE_ZONES, makePlan, pick, randInt, randomDay, rng } from './helpers.js';

const utc = (s: string) => Date.parse(s); // only ever called with explicit 'Z' strings

const CN_CADENCE = {
  sendTime: '09:00',
  requestOffsetDays: -10,
  dueOffsetDays: 5,
  reminderDays: [-3, -1, 0],
  escalation: [
    { afterDaysOverdue: 3, to: 'unitLeader' as const },
    { afterDaysOverdue: 10, to: 'headquarters' as const },
  ],
};
const cnPlan = (over: Parameters<typeof makePlan>[0] = {}) =>
  makePlan({ timezone: 'Asia/Shanghai', start: '2027-01-01', end: '2027-12-31', cadence: CN_CADENCE, calendar: CN_2027, ...over });

/** The days of a schedule, for compact comparisons. */
function daysOf(s: PeriodSchedule) {
  return {
    request: s.requestDay,
    due: s.dueDay,
    reminders: s.reminders.map((r) => r.day),
    escalations: s.escalations.map((e) => e.day),
  };
}

describe('periodSchedule with the China 2027 calendar (worked by hand)', () => {
  const plan = cnPlan();
  const byId = Object.fromEntries(planSchedule(plan).map((s) => [s.period, s]));

  it('Q1: due 04-05 (Qingming, Mon) -> Tue 04-06; request Sun 03-21 -> Fri 03-19; reminder 04-03 (Sat) and 04-05 both -> Fri 04-02', () => {
    expect(daysOf(byId['2027-Q1'])).toEqual({
      request: '2027-03-19',
      due: '2027-04-06',
      reminders: ['2027-04-02', '2027-04-06'],
      escalations: ['2027-04-09', '2027-04-16'],
    });
  });

  it('Q2: due Mon 07-05 stays; request Sun 06-20 -> Fri 06-18; reminder Sun 07-04 -> Fri 07-02 (dup of 07-02)', () => {
    expect(daysOf(byId['2027-Q2'])).toEqual({
      request: '2027-06-18',
      due: '2027-07-05',
      reminders: ['2027-07-02', '2027-07-05'],
      escalations: ['2027-07-08', '2027-07-15'],
    });
  });

  it('Q3: due 10-05 (holiday) -> Fri 10-08; reminders 10-05 and 10-07 both back to Thu 09-30; escalations Mon 10-11 and Mon 10-18', () => {
    const s = byId['2027-Q3'];
    expect(s).toEqual({
      period: '2027-Q3',
      first: '2027-07-01',
      last: '2027-09-30',
      requestDay: '2027-09-20',
      requestAt: utc('2027-09-20T01:00:00Z'), // 09:00 at UTC+8
      dueDay: '2027-10-08',
      deadline: utc('2027-10-08T16:00:00Z'), // local midnight starting 10-09
      reminders: [
        { number: 1, day: '2027-09-30', at: utc('2027-09-30T01:00:00Z') },
        { number: 2, day: '2027-10-08', at: utc('2027-10-08T01:00:00Z') },
      ],
      escalations: [
        { level: 1, to: 'unitLeader', day: '2027-10-11', at: utc('2027-10-11T01:00:00Z') },
        { level: 2, to: 'headquarters', day: '2027-10-18', at: utc('2027-10-18T01:00:00Z') },
      ],
      // 10-08 + 90 + 1 = 2028-01-07, local midnight = 2028-01-06T16:00Z (well after the last escalation).
      closeAt: utc('2028-01-06T16:00:00Z'),
    });
  });

  it('Q4: no 2028 holidays listed; reminder Sun 2028-01-02 -> Fri 2027-12-31; Saturday escalations move forward to Monday', () => {
    const s = byId['2027-Q4'];
    expect(daysOf(s)).toEqual({
      request: '2027-12-21',
      due: '2028-01-05',
      reminders: ['2027-12-31', '2028-01-04', '2028-01-05'],
      escalations: ['2028-01-10', '2028-01-17'],
    });
    expect(s.reminders.map((r) => r.number)).toEqual([1, 2, 3]);
    // 2028-01-05 + 91 days, across the 2028 leap day = 2028-04-05.
    expect(s.closeAt).toBe(utc('2028-04-04T16:00:00Z'));
  });

  it('keeps a due day on a make-up Sunday and moves a late escalation onto a make-up workday', () => {
    const s = periodSchedule(cnPlan({ cadence: { ...CN_CADENCE, dueOffsetDays: -4 } }), { id: '2027-Q3', first: '2027-07-01', last: '2027-09-30' });
    // due 09-26 is a Sunday but a make-up workday; reminder 09-25 (Sat) -> Fri 09-24; escalation 10-06 -> Fri 10-08.
    expect(daysOf(s)).toEqual({
      request: '2027-09-20',
      due: '2027-09-26',
      reminders: ['2027-09-23', '2027-09-24', '2027-09-26'],
      escalations: ['2027-09-29', '2027-10-08'],
    });
    const t = periodSchedule(cnPlan({ cadence: { ...CN_CADENCE, escalation: [{ afterDaysOverdue: 1, to: 'unitLeader' }] } }), {
      id: '2027-Q3',
      first: '2027-07-01',
      last: '2027-09-30',
    });
    expect(t.escalations.map((e) => e.day)).toEqual(['2027-10-09']); // Saturday make-up workday
  });

  it('drops reminders on or before the request day, merges duplicates and numbers them in time order', () => {
    const s = periodSchedule(cnPlan({ cadence: { ...CN_CADENCE, reminderDays: [-18, -19, 2, 1, -3, 2] } }), {
      id: '2027-Q3',
      first: '2027-07-01',
      last: '2027-09-30',
    });
    // -18 -> 09-20 = request day (dropped); -19 -> Sun 09-19 -> Fri 09-17 (dropped); 2 -> Sun 10-10 -> Mon 10-11;
    // 1 -> Sat 10-09 (make-up workday); -3 -> 10-05 -> 09-30.
    expect(s.reminders.map((r) => [r.number, r.day])).toEqual([
      [1, '2027-09-30'],
      [2, '2027-10-09'],
      [3, '2027-10-11'],
    ]);
  });

  it('keeps a quarter open until just after its last escalation', () => {
    const s = periodSchedule(cnPlan({ cadence: { ...CN_CADENCE, closeAfterDays: 5 } }), { id: '2027-Q3', first: '2027-07-01', last: '2027-09-30' });
    expect(s.closeAt).toBe(utc('2027-10-18T01:00:00.001Z'));
    const u = periodSchedule(cnPlan({ cadence: { ...CN_CADENCE, closeAfterDays: 5, escalation: [] } }), { id: '2027-Q3', first: '2027-07-01', last: '2027-09-30' });
    expect(u.escalations).toEqual([]);
    expect(u.closeAt).toBe(utc('2027-10-13T16:00:00Z')); // start of 10-08 + 6 = 10-14
  });

  it('counts from a quarter cut short by the plan end, and keeps the clipped first day', () => {
    const ss = planSchedule(cnPlan({ start: '2027-02-15', end: '2027-08-10' }));
    expect(ss.map((s) => [s.period, s.first, s.last])).toEqual([
      ['2027-Q1', '2027-02-15', '2027-03-31'],
      ['2027-Q2', '2027-04-01', '2027-06-30'],
      ['2027-Q3', '2027-07-01', '2027-08-10'],
    ]);
    // L = Tue 08-10: due Sun 08-15 -> Mon 08-16; request Sat 07-31 -> Fri 07-30; reminder Sun 08-15 -> Fri 08-13 (dup).
    expect(daysOf(ss[2])).toEqual({
      request: '2027-07-30',
      due: '2027-08-16',
      reminders: ['2027-08-13', '2027-08-16'],
      escalations: ['2027-08-19', '2027-08-26'],
    });
  });
});

describe('periodSchedule without a calendar (nothing moves) across New York DST', () => {
  it('sends a gap-time notice an hour later and measures the deadline from EDT midnight', () => {
    const plan = makePlan({
      timezone: 'America/New_York',
      start: '2027-01-01',
      end: '2027-03-31',
      cadence: { sendTime: '02:30', requestOffsetDays: -20, dueOffsetDays: -17, reminderDays: [0, 1] },
    });
    const [s] = planSchedule(plan);
    expect(s.requestDay).toBe('2027-03-11');
    expect(s.requestAt).toBe(utc('2027-03-11T07:30:00Z')); // 02:30 EST
    expect(s.dueDay).toBe('2027-03-14'); // a Sunday: without a calendar every day is a working day
    expect(s.reminders).toEqual([
      { number: 1, day: '2027-03-14', at: utc('2027-03-14T07:30:00Z') }, // 02:30 does not exist -> 03:30 EDT
      { number: 2, day: '2027-03-15', at: utc('2027-03-15T06:30:00Z') }, // 02:30 EDT
    ]);
    expect(s.escalations).toEqual([]);
    expect(s.deadline).toBe(utc('2027-03-15T04:00:00Z'));
    expect(s.closeAt).toBe(utc('2027-06-13T04:00:00Z')); // 03-14 + 91 = 06-13, EDT midnight
  });

  it('sends a fold-time notice at the first (EDT) 01:30', () => {
    const plan = makePlan({
      timezone: 'America/New_York',
      start: '2027-10-01',
      end: '2027-12-31',
      cadence: {
        sendTime: '01:30',
        requestOffsetDays: -60,
        dueOffsetDays: -54,
        reminderDays: [0],
        escalation: [{ afterDaysOverdue: 0, to: 'headquarters' }],
      },
    });
    const [s] = planSchedule(plan);
    expect(s.requestDay).toBe('2027-11-01');
    expect(s.requestAt).toBe(utc('2027-11-01T05:30:00Z'));
    expect(s.dueDay).toBe('2027-11-07');
    expect(s.reminders).toEqual([{ number: 1, day: '2027-11-07', at: utc('2027-11-07T05:30:00Z') }]);
    expect(s.escalations).toEqual([{ level: 1, to: 'headquarters', day: '2027-11-07', at: utc('2027-11-07T05:30:00Z') }]);
    expect(s.deadline).toBe(utc('2027-11-08T05:00:00Z')); // EST midnight: the due day is 25 h long
  });
});

describe('daysLate', () => {
  it('is 0 before local midnight ending the due day, then counts local days', () => {
    const tz = 'Asia/Shanghai';
    expect(daysLate(utc('2027-10-01T00:00:00Z'), '2027-10-08', tz)).toBe(0); // early
    expect(daysLate(utc('2027-10-08T15:59:59.999Z'), '2027-10-08', tz)).toBe(0); // 23:59:59.999 local
    expect(daysLate(utc('2027-10-08T16:00:00Z'), '2027-10-08', tz)).toBe(1); // 00:00 on 10-09
    expect(daysLate(utc('2027-10-10T15:59:00Z'), '2027-10-08', tz)).toBe(2); // 23:59 on 10-10
    expect(daysLate(utc('2027-10-10T16:00:00Z'), '2027-10-08', tz)).toBe(3);
    expect(daysLate(utc('2028-10-08T16:00:00Z'), '2027-10-08', tz)).toBe(367); // across the 2028 leap day
  });
  it('uses local days across a DST change', () => {
    const tz = 'America/New_York';
    expect(daysLate(utc('2027-03-14T04:59:59Z'), '2027-03-13', tz)).toBe(0); // 23:59:59 EST on 03-13
    expect(daysLate(utc('2027-03-14T05:00:00Z'), '2027-03-13', tz)).toBe(1);
    expect(daysLate(utc('2027-03-15T03:59:00Z'), '2027-03-13', tz)).toBe(1); // 23:59 EDT on 03-14
    expect(daysLate(utc('2027-03-15T04:00:00Z'), '2027-03-13', tz)).toBe(2);
  });
  it('agrees with deadline and localDateOf (property)', () => {
    const r = rng(41);
    for (let i = 0; i < 3000; i++) {
      const tz = pick(r, ORACLE_ZONES);
      const due = randomDay(r, 2026, 2030);
      const deadline = startOfLocalDay(addDays(due, 1), tz);
      const arrived = deadline + randInt(r, -5 * 86_400_000, 40 * 86_400_000);
      const late = daysLate(arrived, due, tz);
      if (arrived < deadline) expect(late).toBe(0);
      else {
        expect(late).toBeGreaterThanOrEqual(1);
        expect(addDays(due, late)).toBe(localDateOf(arrived, tz));
      }
    }
  });
});

describe('planSchedule', () => {
  it('is one schedule per period, in order, and deterministic', () => {
    const plan = cnPlan({ start: '2027-01-01', end: '2029-06-30' });
    const a = planSchedule(plan);
    expect(a.map((s) => s.period)).toEqual(periodsOf(plan.start, plan.end).map((p) => p.id));
    expect(planSchedule(plan)).toEqual(a);
  });
  it('throws for an unknown plan time zone', () => {
    expect(() => planSchedule(makePlan({ timezone: 'Nowhere/Special' }))).toThrow(/unknown time zone/);
  });
});

// ---- property tests over random plans -------------------------------------------------------------------------

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

function randomPlan(r: () => number, withCalendar: boolean): Plan {
  const startYear = randInt(r, 2026, 2030);
  let start = randomDay(r, startYear, startYear);
  let end = randomDay(r, startYear, startYear + 2);
  if (compareDates(start, end) > 0) [start, end] = [end, start];
  const dueOffsetDays = randInt(r, -20, 30);
  const calendar: PlanCalendar | undefined = withCalendar
    ? {
        workweek: WEEKDAYS.filter(() => r() < 0.7).concat(pick(r, WEEKDAYS)),
        holidays: Array.from({ length: randInt(r, 0, 60) }, () => randomDay(r, startYear, startYear + 3)),
        extraWorkdays: Array.from({ length: randInt(r, 0, 8) }, () => randomDay(r, startYear, startYear + 3)),
      }
    : undefined;
  return makePlan({
    timezone: pick(r, ORACLE_ZONES),
    start,
    end,
    calendar,
    cadence: {
      sendTime: pick(r, ['09:00', '00:00', '23:59', '02:30', '01:45', '12:00']),
      requestOffsetDays: dueOffsetDays - randInt(r, 1, 30),
      dueOffsetDays,
      reminderDays: Array.from({ length: randInt(r, 0, 6) }, () => randInt(r, -25, 20)),
      escalation: Array.from({ length: randInt(r, 0, 4) }, () => ({
        afterDaysOverdue: randInt(r, 0, 40),
        to: pick(r, ['unitLeader', 'headquarters'] as const),
      })),
      closeAfterDays: randInt(r, 1, 120),
    },
  });
}

/** Every day strictly between a and b (either order) is not a working day. */
function noWorkingDayBetween(a: string, b: string, cal: PlanCalendar): boolean {
  const [lo, hi] = compareDates(a, b) <= 0 ? [a, b] : [b, a];
  for (let d = addDays(lo, 1); d !== hi && compareDates(d, hi) < 0; d = addDays(d, 1)) if (isWorkingDay(d, cal)) return false;
  return true;
}

describe('schedule invariants (property)', () => {
  it('with a calendar: moved days are working days on the right side of the due day, reminders unique and after the request', () => {
    const r = rng(51);
    let quarters = 0;
    for (let i = 0; i < 250; i++) {
      const plan = randomPlan(r, true);
      const cal = plan.calendar!;
      const { cadence, timezone: tz } = plan;
      for (const s of planSchedule(plan)) {
        quarters++;
        const label = `${plan.start}..${plan.end} ${s.period} ${tz}`;
        // Due day: first working day on or after L + dueOffsetDays.
        const rawDue = addDays(s.last, cadence.dueOffsetDays);
        expect(isWorkingDay(s.dueDay, cal), label).toBe(true);
        expect(compareDates(s.dueDay, rawDue), label).toBeGreaterThanOrEqual(0);
        expect(noWorkingDayBetween(addDays(rawDue, -1), s.dueDay, cal), label).toBe(true);

        // Request: counted from L; moved back when before the due day (it always is here).
        const rawRequest = addDays(s.last, cadence.requestOffsetDays);
        expect(isWorkingDay(s.requestDay, cal), label).toBe(true);
        expect(compareDates(s.requestDay, s.dueDay), label).toBeLessThan(0);
        expect(compareDates(s.requestDay, rawRequest), label).toBeLessThanOrEqual(0);
        expect(noWorkingDayBetween(s.requestDay, addDays(rawRequest, 1), cal), label).toBe(true);

        // Reminders: working days, strictly after the request day, unique, sorted, numbered 1..n.
        const rdays = s.reminders.map((x) => x.day);
        expect(new Set(rdays).size, label).toBe(rdays.length);
        s.reminders.forEach((x, k) => {
          expect(x.number).toBe(k + 1);
          expect(isWorkingDay(x.day, cal), label).toBe(true);
          expect(compareDates(x.day, s.requestDay), label).toBeGreaterThan(0);
          if (k > 0) expect(x.at).toBeGreaterThan(s.reminders[k - 1].at);
        });
        // The reminder set, rebuilt from the rule by walking day by day: before due -> back, on/after due -> forward.
        const walk = (d: string, step: 1 | -1) => {
          while (!isWorkingDay(d, cal)) d = addDays(d, step);
          return d;
        };
        const expected = new Set<string>();
        for (const d of cadence.reminderDays) {
          const raw = addDays(s.dueDay, d);
          const moved = compareDates(raw, s.dueDay) < 0 ? walk(raw, -1) : walk(raw, 1);
          if (compareDates(raw, s.dueDay) < 0) expect(compareDates(moved, s.dueDay), label).toBeLessThan(0);
          else expect(compareDates(moved, s.dueDay), label).toBeGreaterThanOrEqual(0);
          if (compareDates(moved, s.requestDay) > 0) expected.add(moved);
        }
        expect(rdays, label).toEqual([...expected].sort());

        // Escalations: level order, working days on/after the due day, each the first working day >= due + n.
        expect(s.escalations.map((e) => e.level)).toEqual(cadence.escalation.map((_, k) => k + 1));
        s.escalations.forEach((e, k) => {
          const raw = addDays(s.dueDay, cadence.escalation[k].afterDaysOverdue);
          expect(e.to).toBe(cadence.escalation[k].to);
          expect(isWorkingDay(e.day, cal), label).toBe(true);
          expect(compareDates(e.day, raw), label).toBeGreaterThanOrEqual(0);
          expect(noWorkingDayBetween(addDays(raw, -1), e.day, cal), label).toBe(true);
        });
        checkInstants(s, plan, label);
      }
    }
    expect(quarters).toBeGreaterThan(1000);
  });

  it('without a calendar: nothing moves', () => {
    const r = rng(52);
    for (let i = 0; i < 250; i++) {
      const plan = randomPlan(r, false);
      const { cadence } = plan;
      for (const s of planSchedule(plan)) {
        const label = `${s.period} ${plan.timezone}`;
        expect(s.dueDay).toBe(addDays(s.last, cadence.dueOffsetDays));
        expect(s.requestDay).toBe(addDays(s.last, cadence.requestOffsetDays));
        const want = [...new Set(cadence.reminderDays.map((d) => addDays(s.dueDay, d)))]
          .filter((d) => compareDates(d, s.requestDay) > 0)
          .sort();
        expect(s.reminders.map((x) => x.day), label).toEqual(want);
        expect(s.escalations.map((e) => e.day), label).toEqual(cadence.escalation.map((e) => addDays(s.dueDay, e.afterDaysOverdue)));
        checkInstants(s, plan, label);
      }
    }
  });
});

/** Instants: at sendTime local on the notice day; deadline is local midnight ending the due day; closeAt bound. */
function checkInstants(s: PeriodSchedule, plan: Plan, label: string) {
  const tz = plan.timezone;
  const send = plan.cadence.sendTime;
  const notices = [{ day: s.requestDay, at: s.requestAt }, ...s.reminders, ...s.escalations];
  for (const n of notices) {
    expect(n.at, label).toBe(zonedInstant(n.day, send, tz));
    const wall = localDateTimeOf(n.at, tz);
    expect(wall.date, label).toBe(n.day);
    // The wall time is sendTime, or later by the DST gap (at most an hour in these zones).
    expect(wall.time >= send, label).toBe(true);
  }
  expect(localDateTimeOf(s.deadline, tz), label).toEqual({ date: addDays(s.dueDay, 1), time: '00:00' });
  expect(localDateOf(s.deadline - 1, tz), label).toBe(s.dueDay);
  expect(s.closeAt, label).toBeGreaterThanOrEqual(startOfLocalDay(addDays(s.dueDay, plan.cadence.closeAfterDays + 1), tz));
  for (const e of s.escalations) expect(s.closeAt, label).toBeGreaterThan(e.at);
  expect(s.closeAt, label).toBeGreaterThan(s.deadline);
}
