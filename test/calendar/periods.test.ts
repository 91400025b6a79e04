import { describe, expect, it } from 'vitest';
import { addDays, compareDates, isPeriodId, periodOfDate, periodsOf } from '../../workflows/calendar/index.js';
import { randomDay, rng } from './helpers.js';

describe('periodOfDate', () => {
  it('maps months to quarters', () => {
    expect(periodOfDate('2027-01-01')).toBe('2027-Q1');
    expect(periodOfDate('2027-03-31')).toBe('2027-Q1');
    expect(periodOfDate('2027-04-01')).toBe('2027-Q2');
    expect(periodOfDate('2027-06-30')).toBe('2027-Q2');
    expect(periodOfDate('2027-07-01')).toBe('2027-Q3');
    expect(periodOfDate('2027-09-30')).toBe('2027-Q3');
    expect(periodOfDate('2027-10-01')).toBe('2027-Q4');
    expect(periodOfDate('2027-12-31')).toBe('2027-Q4');
    expect(() => periodOfDate('2027-13-01')).toThrow();
  });
});

describe('isPeriodId', () => {
  it('accepts YYYY-Q1..Q4 only', () => {
    for (const s of ['2027-Q1', '2027-Q4', '0001-Q2']) expect(isPeriodId(s), s).toBe(true);
    for (const s of ['2027-Q0', '2027-Q5', '2027-q1', '27-Q1', '2027Q1', '2027-Q1 ', '', 'Q1']) expect(isPeriodId(s), s).toBe(false);
  });
});

describe('periodsOf', () => {
  it('lists whole quarters of a whole-year plan', () => {
    expect(periodsOf('2027-01-01', '2027-12-31')).toEqual([
      { id: '2027-Q1', first: '2027-01-01', last: '2027-03-31' },
      { id: '2027-Q2', first: '2027-04-01', last: '2027-06-30' },
      { id: '2027-Q3', first: '2027-07-01', last: '2027-09-30' },
      { id: '2027-Q4', first: '2027-10-01', last: '2027-12-31' },
    ]);
  });
  it('clips the first and last quarter to the plan', () => {
    expect(periodsOf('2027-02-15', '2028-01-10')).toEqual([
      { id: '2027-Q1', first: '2027-02-15', last: '2027-03-31' },
      { id: '2027-Q2', first: '2027-04-01', last: '2027-06-30' },
      { id: '2027-Q3', first: '2027-07-01', last: '2027-09-30' },
      { id: '2027-Q4', first: '2027-10-01', last: '2027-12-31' },
      { id: '2028-Q1', first: '2028-01-01', last: '2028-01-10' },
    ]);
  });
  it('handles a plan inside one quarter, a one-day plan and an empty range', () => {
    expect(periodsOf('2027-05-02', '2027-05-20')).toEqual([{ id: '2027-Q2', first: '2027-05-02', last: '2027-05-20' }]);
    expect(periodsOf('2027-03-31', '2027-03-31')).toEqual([{ id: '2027-Q1', first: '2027-03-31', last: '2027-03-31' }]);
    expect(periodsOf('2027-04-01', '2027-03-31')).toEqual([]);
    expect(periodsOf('2027-12-31', '2028-01-01')).toEqual([
      { id: '2027-Q4', first: '2027-12-31', last: '2027-12-31' },
      { id: '2028-Q1', first: '2028-01-01', last: '2028-01-01' },
    ]);
  });
  it('includes leap days', () => {
    expect(periodsOf('2028-01-01', '2028-03-31')[0].last).toBe('2028-03-31');
    expect(periodsOf('2028-01-01', '2028-02-29')).toEqual([{ id: '2028-Q1', first: '2028-01-01', last: '2028-02-29' }]);
  });
  it('rejects malformed plan days', () => {
    expect(() => periodsOf('2027-02-30', '2027-12-31')).toThrow();
  });
  it('tiles [start, end] exactly, in order, one period per quarter (property)', () => {
    const r = rng(31);
    for (let i = 0; i < 500; i++) {
      let start = randomDay(r, 2025, 2035);
      let end = randomDay(r, 2025, 2035);
      if (compareDates(start, end) > 0) [start, end] = [end, start];
      const ps = periodsOf(start, end);
      expect(ps[0].first).toBe(start);
      expect(ps[ps.length - 1].last).toBe(end);
      for (let k = 0; k < ps.length; k++) {
        const p = ps[k];
        expect(isPeriodId(p.id)).toBe(true);
        expect(periodOfDate(p.first)).toBe(p.id);
        expect(periodOfDate(p.last)).toBe(p.id);
        expect(compareDates(p.first, p.last)).toBeLessThanOrEqual(0);
        if (k > 0) expect(p.first).toBe(addDays(ps[k - 1].last, 1));
        if (k > 0) expect(periodOfDate(addDays(p.first, -1))).not.toBe(p.id); // interior boundaries are quarter boundaries
      }
      expect(new Set(ps.map((p) => p.id)).size).toBe(ps.length);
    }
  });
});
