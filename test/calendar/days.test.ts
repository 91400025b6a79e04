import { describe, expect, it } from 'vitest';
import { addDays, compareDates, dayDiff, isValidLocalDate, weekdayOf } from '../../workflows/calendar/index.js';
import { dayFromNumber, randInt, rng, utcDayNumber } from './helpers.js';

describe('isValidLocalDate', () => {
  it('accepts real days, including leap days', () => {
    for (const d of ['2027-01-01', '2027-12-31', '2028-02-29', '2000-02-29', '1970-01-01', '0001-01-01', '9999-12-31']) {
      expect(isValidLocalDate(d), d).toBe(true);
    }
  });
  it('rejects impossible days and other spellings', () => {
    for (const d of ['2027-02-30', '2027-02-29', '1900-02-29', '2027-04-31', '2027-13-01', '2027-00-10', '2027-01-00', '2027-1-1', '27-01-01', '2027/01/01', '2027-01-01T00:00', ' 2027-01-01', '', 'x']) {
      expect(isValidLocalDate(d), d).toBe(false);
    }
    expect(isValidLocalDate(20270101 as unknown as string)).toBe(false);
  });
});

describe('addDays / dayDiff', () => {
  it('crosses month, year and leap-day boundaries', () => {
    expect(addDays('2027-12-31', 1)).toBe('2028-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2027-02-28', 1)).toBe('2027-03-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2027-09-30', 5)).toBe('2027-10-05');
    expect(addDays('2027-09-30', -10)).toBe('2027-09-20');
    expect(addDays('2027-10-08', 91)).toBe('2028-01-07');
    expect(addDays('2027-05-05', 0)).toBe('2027-05-05');
    expect(addDays('1969-12-31', 1)).toBe('1970-01-01');
  });
  it('counts to - from', () => {
    expect(dayDiff('2027-01-01', '2028-01-01')).toBe(365);
    expect(dayDiff('2028-01-01', '2029-01-01')).toBe(366);
    expect(dayDiff('2027-10-08', '2027-10-05')).toBe(-3);
    expect(dayDiff('2027-03-13', '2027-03-14')).toBe(1); // a DST day is still one calendar day
  });
  it('rejects malformed input', () => {
    expect(() => addDays('2027-02-30', 1)).toThrow(/YYYY-MM-DD/);
    expect(() => addDays('2027-02-01', 1.5)).toThrow();
    expect(() => dayDiff('2027-1-1', '2027-01-02')).toThrow();
  });
  it('agrees with Date.UTC arithmetic over many random days (property)', () => {
    const r = rng(1);
    for (let i = 0; i < 5000; i++) {
      const n = randInt(r, utcDayNumber('1900-01-01'), utcDayNumber('2199-12-31'));
      const k = randInt(r, -1000, 1000);
      const d = dayFromNumber(n);
      expect(isValidLocalDate(d)).toBe(true);
      expect(addDays(d, k)).toBe(dayFromNumber(n + k));
      expect(dayDiff(d, addDays(d, k))).toBe(k);
      expect(addDays(addDays(d, k), -k)).toBe(d);
    }
  });
});

describe('compareDates', () => {
  it('orders by date', () => {
    expect(compareDates('2027-01-01', '2027-01-02')).toBeLessThan(0);
    expect(compareDates('2027-10-01', '2027-09-30')).toBeGreaterThan(0);
    expect(compareDates('2027-10-01', '2027-10-01')).toBe(0);
    expect(['2028-01-01', '2027-12-31', '2027-02-01'].sort(compareDates)).toEqual(['2027-02-01', '2027-12-31', '2028-01-01']);
  });
});

describe('weekdayOf', () => {
  it('knows some fixed points', () => {
    expect(weekdayOf('1970-01-01')).toBe('thu');
    expect(weekdayOf('2027-01-01')).toBe('fri');
    expect(weekdayOf('2027-09-26')).toBe('sun');
    expect(weekdayOf('2027-10-09')).toBe('sat');
    expect(weekdayOf('2027-10-08')).toBe('fri');
    expect(weekdayOf('2000-02-29')).toBe('tue');
    expect(weekdayOf('1969-12-31')).toBe('wed');
  });
  it('agrees with Date#getUTCDay (property)', () => {
    const names = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const r = rng(2);
    for (let i = 0; i < 3000; i++) {
      const n = randInt(r, utcDayNumber('1800-01-01'), utcDayNumber('2300-12-31'));
      expect(weekdayOf(dayFromNumber(n))).toBe(names[new Date(n * 86_400_000).getUTCDay()]);
    }
  });
});
