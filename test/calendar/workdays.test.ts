import { describe, expect, it } from 'vitest';
import type { PlanCalendar } from '../../workflows/contract/plan.js';
import { addDays, compareDates, isWorkingDay, nextWorkingDay, previousWorkingDay, weekdayOf } from '../../workflows/calendar/index.js';
import { CN_2027, pick, randInt, randomDay, rng } from './helpers.js';


describe('isWorkingDay', () => {
  it('treats every day as working without a calendar', () => {
    for (const d of ['2027-01-01', '2027-10-02', '2027-10-03', '2027-10-05']) expect(isWorkingDay(d)).toBe(true);
  });
  it('applies workweek, holidays and make-up workdays', () => {
    expect(isWorkingDay('2027-09-30', CN_2027)).toBe(true); // Thu
    expect(isWorkingDay('2027-10-01', CN_2027)).toBe(false); // Fri, holiday
    expect(isWorkingDay('2027-10-02', CN_2027)).toBe(false); // Sat
    expect(isWorkingDay('2027-10-03', CN_2027)).toBe(false); // Sun
    expect(isWorkingDay('2027-10-05', CN_2027)).toBe(false); // Tue, holiday
    expect(isWorkingDay('2027-10-08', CN_2027)).toBe(true); // Fri
    expect(isWorkingDay('2027-10-09', CN_2027)).toBe(true); // Sat, make-up workday
    expect(isWorkingDay('2027-09-26', CN_2027)).toBe(true); // Sun, make-up workday
    expect(isWorkingDay('2027-09-25', CN_2027)).toBe(false); // Sat
  });
  it('lets an extra workday win over a holiday listing the same day', () => {
    expect(isWorkingDay('2027-10-04', { ...CN_2027, extraWorkdays: ['2027-10-04'] })).toBe(true);
  });
  it('honours a non-standard workweek', () => {
    const sunThu: PlanCalendar = { workweek: ['sun', 'mon', 'tue', 'wed', 'thu'], holidays: [], extraWorkdays: [] };
    expect(isWorkingDay('2027-10-03', sunThu)).toBe(true); // Sun
    expect(isWorkingDay('2027-10-08', sunThu)).toBe(false); // Fri
  });
  it('rejects malformed days', () => {
    expect(() => isWorkingDay('2027-02-30')).toThrow();
    expect(() => isWorkingDay('2027-02-30', CN_2027)).toThrow();
  });
  it('sees a calendar whose arrays were replaced after first use', () => {
    const cal: PlanCalendar = { workweek: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: [], extraWorkdays: [] };
    expect(isWorkingDay('2027-10-05', cal)).toBe(true);
    cal.holidays = ['2027-10-05'];
    expect(isWorkingDay('2027-10-05', cal)).toBe(false);
  });
});

describe('nextWorkingDay / previousWorkingDay', () => {
  it('returns the day itself when it is a working day', () => {
    expect(nextWorkingDay('2027-10-08', CN_2027)).toBe('2027-10-08');
    expect(previousWorkingDay('2027-10-08', CN_2027)).toBe('2027-10-08');
    expect(nextWorkingDay('2027-10-03')).toBe('2027-10-03');
    expect(previousWorkingDay('2027-10-03')).toBe('2027-10-03');
  });
  it('skips the National Day week in both directions', () => {
    expect(nextWorkingDay('2027-10-01', CN_2027)).toBe('2027-10-08');
    expect(nextWorkingDay('2027-10-05', CN_2027)).toBe('2027-10-08');
    expect(previousWorkingDay('2027-10-07', CN_2027)).toBe('2027-09-30');
    expect(previousWorkingDay('2027-10-10', CN_2027)).toBe('2027-10-09'); // Sunday -> make-up Saturday
    expect(nextWorkingDay('2027-09-25', CN_2027)).toBe('2027-09-26'); // Saturday -> make-up Sunday
    expect(previousWorkingDay('2027-09-25', CN_2027)).toBe('2027-09-24');
    expect(nextWorkingDay('2027-12-31', CN_2027)).toBe('2027-12-31');
    expect(nextWorkingDay('2028-01-01', CN_2027)).toBe('2028-01-03');
  });
  it('throws instead of looping forever when there is no working day', () => {
    const none = { workweek: [], holidays: [], extraWorkdays: [] } as unknown as PlanCalendar;
    expect(() => nextWorkingDay('2027-01-01', none)).toThrow(/no working day within 366 days after 2027-01-01/);
    expect(() => previousWorkingDay('2027-01-01', none)).toThrow(/no working day within 366 days before 2027-01-01/);
    // A far-away extra workday is still not "a working day nearby".
    const far = { workweek: [], holidays: [], extraWorkdays: ['2029-01-01'] } as unknown as PlanCalendar;
    expect(() => nextWorkingDay('2027-01-01', far)).toThrow(/no working day/);
    expect(nextWorkingDay('2028-06-01', far)).toBe('2029-01-01');
  });
  it('finds the nearest working day with every day in between non-working (property)', () => {
    const r = rng(21);
    const days: (typeof CN_2027.workweek)[number][] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    for (let i = 0; i < 300; i++) {
      const cal: PlanCalendar = {
        workweek: days.filter(() => r() < 0.6).concat(pick(r, days)),
        holidays: Array.from({ length: randInt(r, 0, 40) }, () => randomDay(r, 2027, 2028)),
        extraWorkdays: Array.from({ length: randInt(r, 0, 5) }, () => randomDay(r, 2027, 2028)),
      };
      for (let j = 0; j < 20; j++) {
        const d = randomDay(r, 2027, 2028);
        const next = nextWorkingDay(d, cal);
        const prev = previousWorkingDay(d, cal);
        expect(isWorkingDay(next, cal)).toBe(true);
        expect(isWorkingDay(prev, cal)).toBe(true);
        expect(compareDates(prev, d)).toBeLessThanOrEqual(0);
        expect(compareDates(next, d)).toBeGreaterThanOrEqual(0);
        for (let x = d; x !== next; x = addDays(x, 1)) expect(isWorkingDay(x, cal)).toBe(false);
        for (let x = d; x !== prev; x = addDays(x, -1)) expect(isWorkingDay(x, cal)).toBe(false);
        // Definition check, written out independently.
        const expected =
          cal.extraWorkdays.includes(d) || (cal.workweek.includes(weekdayOf(d)) && !cal.holidays.includes(d));
        expect(isWorkingDay(d, cal)).toBe(expected);
      }
    }
  });
});
