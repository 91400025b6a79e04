import { describe, expect, it } from 'vitest';
import {
  addDays,
  isValidTimeZone,
  localDateOf,
  localDateTimeOf,
  offsetAt,
  startOfLocalDay,
  zonedInstant,
} from '../../workflows/calendar/index.js';
import {
  HOUR,
  MIN,
  ORACLE_ZONES,
  dayFromNumber,
  oracleInstant,
  oracleWall,
  pick,
  randomDay,
  randomTime,
  rng,
  transitionDays,
  utcDayNumber,
} from './helpers.js';

const utc = (s: string) => Date.parse(s); // only ever called with explicit 'Z' strings

describe('isValidTimeZone', () => {
  it('accepts IANA names', () => {
    for (const tz of ['UTC', 'Asia/Shanghai', 'America/New_York', 'Australia/Lord_Howe', 'Europe/London', 'Asia/Kolkata', 'Etc/GMT+5']) {
      expect(isValidTimeZone(tz), tz).toBe(true);
    }
  });
  it('rejects empty strings, garbage and offsets', () => {
    for (const tz of ['', ' ', 'Mars/Olympus', 'Asia/Shanghai ', 'foo', '+08:00', '-05:00', 'Z', 'Asia/']) {
      expect(isValidTimeZone(tz), JSON.stringify(tz)).toBe(false);
    }
  });
  it('makes zone functions throw a clear error for an unknown zone', () => {
    expect(() => zonedInstant('2027-01-01', '09:00', 'Mars/Olympus')).toThrow(/unknown time zone/);
    expect(() => localDateOf(0, '')).toThrow(/unknown time zone/);
  });
});

describe('localDateOf / localDateTimeOf', () => {
  it('reads the wall clock in the given zone', () => {
    const t = utc('2027-09-30T16:30:00Z');
    expect(localDateOf(t, 'UTC')).toBe('2027-09-30');
    expect(localDateOf(t, 'Asia/Shanghai')).toBe('2027-10-01');
    expect(localDateTimeOf(t, 'Asia/Shanghai')).toEqual({ date: '2027-10-01', time: '00:30' });
    expect(localDateTimeOf(t, 'Asia/Kolkata')).toEqual({ date: '2027-09-30', time: '22:00' });
    expect(localDateTimeOf(t, 'America/New_York')).toEqual({ date: '2027-09-30', time: '12:30' });
    expect(localDateTimeOf(t, 'Australia/Lord_Howe')).toEqual({ date: '2027-10-01', time: '03:00' }); // +10:30 before October DST
    expect(localDateTimeOf(utc('2027-12-31T23:59:59.999Z'), 'UTC')).toEqual({ date: '2027-12-31', time: '23:59' });
    expect(localDateTimeOf(utc('2027-01-01T00:00:00Z'), 'UTC')).toEqual({ date: '2027-01-01', time: '00:00' });
  });
  it('handles instants before 1970', () => {
    expect(localDateTimeOf(utc('1969-12-31T23:00:00Z'), 'Asia/Shanghai')).toEqual({ date: '1970-01-01', time: '07:00' });
  });
  it('agrees with the oracle for random instants (property)', () => {
    const r = rng(10);
    const lo = utc('2020-01-01T00:00:00Z');
    const hi = utc('2035-12-31T00:00:00Z');
    for (let i = 0; i < 4000; i++) {
      const t = lo + Math.floor(r() * (hi - lo));
      const zone = pick(r, ORACLE_ZONES);
      expect(localDateTimeOf(t, zone), `${new Date(t).toISOString()} ${zone}`).toEqual(oracleWall(zone, t));
    }
  });
});

describe('zonedInstant', () => {
  it('converts ordinary wall times', () => {
    expect(zonedInstant('2027-09-20', '09:00', 'Asia/Shanghai')).toBe(utc('2027-09-20T01:00:00Z'));
    expect(zonedInstant('2027-09-20', '09:00', 'Asia/Kolkata')).toBe(utc('2027-09-20T03:30:00Z'));
    expect(zonedInstant('2027-09-20', '09:00', 'UTC')).toBe(utc('2027-09-20T09:00:00Z'));
    expect(zonedInstant('2027-01-15', '09:00', 'Europe/London')).toBe(utc('2027-01-15T09:00:00Z'));
    expect(zonedInstant('2027-07-15', '09:00', 'Europe/London')).toBe(utc('2027-07-15T08:00:00Z'));
    expect(zonedInstant('2027-01-01', '00:00', 'Asia/Shanghai')).toBe(utc('2026-12-31T16:00:00Z'));
  });

  it('America/New_York spring forward 2027-03-14: 02:00-02:59 is skipped, moved forward by the hour', () => {
    expect(zonedInstant('2027-03-14', '01:59', 'America/New_York')).toBe(utc('2027-03-14T06:59:00Z')); // EST
    expect(zonedInstant('2027-03-14', '02:00', 'America/New_York')).toBe(utc('2027-03-14T07:00:00Z')); // = 03:00 EDT
    expect(zonedInstant('2027-03-14', '02:30', 'America/New_York')).toBe(utc('2027-03-14T07:30:00Z')); // = 03:30 EDT
    expect(zonedInstant('2027-03-14', '03:00', 'America/New_York')).toBe(utc('2027-03-14T07:00:00Z')); // EDT
    expect(localDateTimeOf(zonedInstant('2027-03-14', '02:30', 'America/New_York'), 'America/New_York')).toEqual({
      date: '2027-03-14',
      time: '03:30',
    });
  });

  it('America/New_York fall back 2027-11-07: 01:00-01:59 happens twice, the earlier (EDT) one wins', () => {
    expect(zonedInstant('2027-11-07', '00:59', 'America/New_York')).toBe(utc('2027-11-07T04:59:00Z'));
    expect(zonedInstant('2027-11-07', '01:00', 'America/New_York')).toBe(utc('2027-11-07T05:00:00Z'));
    expect(zonedInstant('2027-11-07', '01:30', 'America/New_York')).toBe(utc('2027-11-07T05:30:00Z'));
    expect(zonedInstant('2027-11-07', '02:00', 'America/New_York')).toBe(utc('2027-11-07T07:00:00Z')); // EST
    // Both instants read 01:30; the returned one is the first.
    expect(localDateTimeOf(utc('2027-11-07T06:30:00Z'), 'America/New_York').time).toBe('01:30');
  });

  it('Europe/London: gap 01:00-01:59 on 2027-03-28, fold 01:00-01:59 on 2027-10-31', () => {
    expect(zonedInstant('2027-03-28', '01:30', 'Europe/London')).toBe(utc('2027-03-28T01:30:00Z')); // = 02:30 BST
    expect(zonedInstant('2027-10-31', '01:30', 'Europe/London')).toBe(utc('2027-10-31T00:30:00Z')); // BST, earlier
  });

  it('Australia/Lord_Howe: 30-minute gap on 2027-10-03 and 30-minute fold on 2027-04-04', () => {
    // 02:00 LHST(+10:30) becomes 02:30 LHDT(+11): 02:15 does not exist and becomes 02:45.
    expect(zonedInstant('2027-10-03', '01:59', 'Australia/Lord_Howe')).toBe(utc('2027-10-02T15:29:00Z'));
    expect(zonedInstant('2027-10-03', '02:15', 'Australia/Lord_Howe')).toBe(utc('2027-10-02T15:45:00Z'));
    expect(localDateTimeOf(utc('2027-10-02T15:45:00Z'), 'Australia/Lord_Howe')).toEqual({ date: '2027-10-03', time: '02:45' });
    expect(zonedInstant('2027-10-03', '02:30', 'Australia/Lord_Howe')).toBe(utc('2027-10-02T15:30:00Z'));
    // 02:00 LHDT(+11) becomes 01:30 LHST(+10:30): 01:45 happens twice; the earlier is +11.
    expect(zonedInstant('2027-04-04', '01:45', 'Australia/Lord_Howe')).toBe(utc('2027-04-03T14:45:00Z'));
    expect(localDateTimeOf(utc('2027-04-03T15:15:00Z'), 'Australia/Lord_Howe').time).toBe('01:45');
    expect(zonedInstant('2027-04-04', '02:00', 'Australia/Lord_Howe')).toBe(utc('2027-04-03T15:30:00Z'));
  });

  it('rejects bad wall times and days', () => {
    for (const t of ['24:00', '9:00', '09:60', '0900', '', '09:00:00']) {
      expect(() => zonedInstant('2027-01-01', t, 'UTC'), t).toThrow(/HH:MM/);
    }
    expect(() => zonedInstant('2027-02-30', '09:00', 'UTC')).toThrow(/YYYY-MM-DD/);
  });

  it('matches the oracle for thousands of (day, time, zone) triples, and round-trips where the wall time exists (property)', () => {
    const r = rng(11);
    const triples: [string, string, string][] = [];
    for (let i = 0; i < 6000; i++) triples.push([randomDay(r, 2020, 2035), randomTime(r), pick(r, ORACLE_ZONES)]);
    // Dense sampling of every transition day: each quarter hour of the day, every year.
    for (const zone of ORACLE_ZONES) {
      for (let year = 2020; year <= 2035; year++) {
        for (const day of transitionDays(zone, year)) {
          for (let m = 0; m < 24 * 60; m += 15) {
            triples.push([day, `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`, zone]);
          }
        }
      }
    }
    const kinds = { normal: 0, fold: 0, gap: 0 };
    for (const [day, time, zone] of triples) {
      const got = zonedInstant(day, time, zone);
      const want = oracleInstant(zone, day, time);
      kinds[want.kind]++;
      const label = `${day} ${time} ${zone}`;
      expect(got, label).toBe(want.at);
      const back = localDateTimeOf(got, zone);
      if (want.kind === 'gap') {
        // Skipped wall time: lands later the same day, past the gap.
        expect(back.date, label).toBe(day);
        expect(back.time > time, label).toBe(true);
      } else {
        expect(back, label).toEqual({ date: day, time });
      }
      if (want.kind === 'fold') {
        // Earlier of two: the same wall time recurs later, never earlier.
        const gapMs = Math.abs(offsetAt(got, zone) - offsetAt(got + 2 * HOUR, zone));
        expect(localDateTimeOf(got + gapMs, zone), label).toEqual({ date: day, time });
        expect(localDateTimeOf(got - gapMs, zone), label).not.toEqual({ date: day, time });
      }
    }
    // The sample really exercised folds and gaps.
    expect(kinds.fold).toBeGreaterThan(100);
    expect(kinds.gap).toBeGreaterThan(100);
  });
});

describe('startOfLocalDay', () => {
  it('is local midnight', () => {
    expect(startOfLocalDay('2027-10-09', 'Asia/Shanghai')).toBe(utc('2027-10-08T16:00:00Z'));
    expect(startOfLocalDay('2027-03-14', 'America/New_York')).toBe(utc('2027-03-14T05:00:00Z'));
    expect(startOfLocalDay('2027-03-15', 'America/New_York')).toBe(utc('2027-03-15T04:00:00Z'));
    expect(startOfLocalDay('2027-10-04', 'Australia/Lord_Howe')).toBe(utc('2027-10-03T13:00:00Z'));
  });

  it('is the first instant of the day even where midnight is skipped (America/Santiago, 2027-09-05)', () => {
    // Chile springs forward at 24:00 -> 01:00 on the first Sunday of September; the day begins at 01:00.
    const t = startOfLocalDay('2027-09-05', 'America/Santiago');
    expect(localDateTimeOf(t, 'America/Santiago')).toEqual({ date: '2027-09-05', time: '01:00' });
    expect(localDateOf(t - 1, 'America/Santiago')).toBe('2027-09-04');
  });

  it('is monotonic, maps back to its day, and consecutive days are 23-25 h apart (property, oracle zones)', () => {
    const lo = utcDayNumber('2026-01-01');
    const hi = utcDayNumber('2029-12-31');
    for (const zone of ORACLE_ZONES) {
      let prev = startOfLocalDay(dayFromNumber(lo - 1), zone);
      for (let n = lo; n <= hi; n++) {
        const day = dayFromNumber(n);
        const t = startOfLocalDay(day, zone);
        const gap = t - prev;
        expect(gap >= 23 * HOUR && gap <= 25 * HOUR, `${zone} ${day}: ${gap / HOUR} h`).toBe(true);
        expect(localDateTimeOf(t, zone), `${zone} ${day}`).toEqual({ date: day, time: '00:00' });
        expect(localDateOf(t - 1, zone)).toBe(addDays(day, -1));
        prev = t;
      }
    }
  });

  it('gives Lord_Howe 23.5 h and 24.5 h days and New York 23 h and 25 h days', () => {
    const len = (day: string, zone: string) => (startOfLocalDay(addDays(day, 1), zone) - startOfLocalDay(day, zone)) / MIN;
    expect(len('2027-10-03', 'Australia/Lord_Howe')).toBe(23.5 * 60);
    expect(len('2027-04-04', 'Australia/Lord_Howe')).toBe(24.5 * 60);
    expect(len('2027-03-14', 'America/New_York')).toBe(23 * 60);
    expect(len('2027-11-07', 'America/New_York')).toBe(25 * 60);
    expect(len('2027-11-08', 'America/New_York')).toBe(24 * 60);
  });

  it('begins every day in every zone this runtime knows (property, 2027 sampled every 5 days + all Sundays)', () => {
    const zones = Intl.supportedValuesOf('timeZone');
    expect(zones.length).toBeGreaterThan(300);
    const lo = utcDayNumber('2027-01-01');
    for (const zone of zones) {
      for (let n = lo; n < lo + 366; n++) {
        // 2027-01-03 is a Sunday; most transitions happen on Sundays (or Saturday nights / Friday nights).
        const dow = (n - lo + 5) % 7; // 0 = Sunday
        if (n % 5 !== 0 && dow !== 0 && dow !== 6 && dow !== 5) continue;
        const day = dayFromNumber(n);
        const t = startOfLocalDay(day, zone);
        expect(localDateOf(t, zone), `${zone} ${day}`).toBe(day);
        expect(localDateOf(t - 1, zone), `${zone} ${day}`).toBe(addDays(day, -1));
      }
    }
  });
});
