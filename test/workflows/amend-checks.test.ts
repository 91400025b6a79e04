/** What an amendment may not change, as plain functions: every refusal typed and located. */
import { describe, expect, test } from 'vitest';
import { amendmentRefusals, checkAmendment, earliestEnd } from '../../workflows/amend/checks.js';
import { addDays, quarterBounds, zonedInstant } from '../../workflows/calendar/index.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { refusalLine } from '../../workflows/contract/refusals.js';
import { validPlan, yearPlan } from '../fixtures/plans.js';

// 2030-01-01 .. 2030-12-31, Asia/Shanghai.
const base = yearPlan('checks-2030');
const edited = (edit: (p: Record<string, any>) => void, from: Plan = base): Plan => {
  const copy = JSON.parse(JSON.stringify(from));
  edit(copy);
  return validPlan(copy);
};
const local = (day: string, time = '12:00', tz = base.timezone) => zonedInstant(day, time, tz);
const lines = (before: Plan, after: Plan, at: number) => amendmentRefusals(before, after, at).map(refusalLine);

describe('amendmentRefusals', () => {
  const may = local('2030-05-10');

  test('an amendment that keeps id, time zone and start, and keeps or lengthens the end, is allowed', () => {
    expect(amendmentRefusals(base, base, may)).toEqual([]);
    expect(amendmentRefusals(base, edited((p) => (p.end = '2031-06-30')), may)).toEqual([]);
    expect(amendmentRefusals(base, edited((p) => (p.title = 'Renamed')), may)).toEqual([]);
  });

  test('the id, the time zone and the start are refused, each located, with both values', () => {
    const after = edited((p) => {
      p.id = 'checks-2031';
      p.timezone = 'Asia/Urumqi';
      p.start = '2030-02-01';
    });
    const refusals = amendmentRefusals(base, after, may);
    expect(refusals.map((r) => [r.field, r.code])).toEqual([
      ['id', 'amendUnchangeable'],
      ['timezone', 'amendUnchangeable'],
      ['start', 'amendUnchangeable'],
    ]);
    expect(refusals.map(refusalLine)).toEqual([
      'id: cannot change while the plan runs: it is checks-2030, the file says checks-2031 (a plan of another id is a new plan: start it)',
      'timezone: cannot change while the plan runs: it is Asia/Shanghai, the file says Asia/Urumqi (every day and instant already recorded is local to it)',
      'start: cannot change while the plan runs: it is 2030-01-01, the file says 2030-02-01 (the quarters already tracked count from it)',
    ]);
  });

  test('an end before the last day of the quarter in progress is refused; that day itself is allowed', () => {
    expect(lines(base, edited((p) => (p.end = '2030-06-29')), may)).toEqual([
      'end: must be 2030-06-30 or later (the quarter in progress, 2030-Q2, ends on 2030-06-30), got 2030-06-29',
    ]);
    expect(lines(base, edited((p) => (p.end = '2030-06-30')), may)).toEqual([]);
    // The quarter is the plan's, in its time zone: 2030-06-30T20:00Z is already July 1st in Shanghai.
    expect(lines(base, edited((p) => (p.end = '2030-07-30')), Date.parse('2030-06-30T20:00:00Z'))).toEqual([
      'end: must be 2030-09-30 or later (the quarter in progress, 2030-Q3, ends on 2030-09-30), got 2030-07-30',
    ]);
  });

  test('a plan whose end falls inside a quarter keeps that end as the quarter in progress ends', () => {
    const short = edited((p) => (p.end = '2030-11-15'));
    expect(earliestEnd(short, local('2030-10-20'))).toEqual({ min: '2030-11-15', why: 'the quarter in progress, 2030-Q4, ends on 2030-11-15' });
    expect(lines(short, edited((p) => (p.end = '2030-11-30'), short), local('2030-10-20'))).toEqual([]);
    expect(lines(short, edited((p) => (p.end = '2030-11-14'), short), local('2030-10-20'))).toHaveLength(1);
  });

  test('past the plan end, a new end must not be before today; the end kept is never refused', () => {
    const at = local('2031-01-20');
    expect(amendmentRefusals(base, edited((p) => (p.title = 'After the end')), at)).toEqual([]);
    expect(lines(base, edited((p) => (p.end = '2031-01-19')), at)).toEqual(['end: must be 2031-01-20 or later (today is 2031-01-20 in Asia/Shanghai), got 2031-01-19']);
    expect(lines(base, edited((p) => (p.end = '2031-01-20')), at)).toEqual([]);
  });

  test('before the plan starts, any end the plan itself allows is allowed', () => {
    expect(earliestEnd(base, local('2029-12-01'))).toEqual({ min: '2030-01-01', why: 'the plan starts on 2030-01-01' });
    expect(amendmentRefusals(base, edited((p) => (p.end = '2030-01-31')), local('2029-12-01'))).toEqual([]);
  });

  test('over every day of the plan and several zones: the earliest end is the last day of the quarter holding that local day', () => {
    for (const tz of ['Asia/Shanghai', 'UTC', 'America/Los_Angeles', 'Pacific/Kiritimati']) {
      const plan = edited((p) => (p.timezone = tz));
      for (let day = '2030-01-01'; day <= '2030-12-31'; day = addDays(day, 3)) {
        const q = `${day.slice(0, 4)}-Q${Math.floor((Number(day.slice(5, 7)) - 1) / 3) + 1}`;
        const last = quarterBounds(q).last;
        for (const time of ['00:00', '23:59']) {
          const at = zonedInstant(day, time, tz);
          expect(earliestEnd(plan, at).min, `${tz} ${day} ${time}`).toBe(last);
          expect(amendmentRefusals(plan, edited((p) => (p.end = last), plan), at)).toEqual([]);
          if (last < '2030-12-31') expect(amendmentRefusals(plan, edited((p) => (p.end = addDays(last, -1)), plan), at).map((r) => r.code)).toEqual(['amendEndTooEarly']);
        }
      }
    }
  });
});

describe('checkAmendment', () => {
  const at = local('2030-05-10');

  test('the new version is checked like a new plan: a task naming a unit that is gone is located', () => {
    const raw = JSON.parse(JSON.stringify(base));
    raw.units = raw.units.filter((u: { id: string }) => u.id !== 'late');
    const checked = checkAmendment(base, raw, at);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.refusals.map(refusalLine)).toEqual(['tasks[0].units[1]: unknown unit "late"; the units are "ontime", "silent"']);
    expect(checked.refusals[0].code).toBe('invalid');
  });

  test('a leader still named by a unit cannot be removed; a file that is not a plan is refused as a whole', () => {
    const raw = JSON.parse(JSON.stringify(base));
    raw.leaders = raw.leaders.filter((l: { id: string }) => l.id !== 'l2');
    const checked = checkAmendment(base, raw, at);
    expect(!checked.ok && checked.refusals.map(refusalLine)).toEqual(['units[2].leader: unknown leader "l2"; the leaders are "l1"']);
    const none = checkAmendment(base, null, at);
    expect(!none.ok && none.refusals.map(refusalLine)).toEqual(['plan: the file holds no plan']);
  });

  test('a valid new version then meets the amendment rules; a good one comes back validated', () => {
    const raw = JSON.parse(JSON.stringify(base));
    raw.timezone = 'UTC';
    const checked = checkAmendment(base, raw, at);
    expect(!checked.ok && checked.refusals.map((r) => r.field)).toEqual(['timezone']);
    const good = { ...JSON.parse(JSON.stringify(base)), title: 'Renamed' };
    delete good.reviews;
    const ok = checkAmendment(base, good, at);
    expect(ok.ok && ok.plan.reviews).toEqual(base.reviews);
  });
});
