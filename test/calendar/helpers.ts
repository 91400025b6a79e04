/** Test helpers for the calendar suite: a seeded PRNG, an independent DST oracle for a few zones, plan fixtures. */
import { planSchema, type Plan, type PlanCalendar, type PlanInput } from '../../workflows/contract/plan.js';

/** A small seeded PRNG (mulberry32), so property tests are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` of a UTC epoch-ms value (test-side, using only UTC getters). */
export function isoDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Days between 1970-01-01 and `YYYY-MM-DD`, computed with Date.UTC (independent of the module under test). */
export function utcDayNumber(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  return Date.UTC(y, m - 1, d) / 86_400_000;
}

export function dayFromNumber(n: number): string {
  return isoDay(n * 86_400_000);
}

export function randomDay(r: () => number, fromYear: number, toYear: number): string {
  const lo = utcDayNumber(`${fromYear}-01-01`);
  const hi = utcDayNumber(`${toYear}-12-31`);
  return dayFromNumber(randInt(r, lo, hi));
}

export function randomTime(r: () => number): string {
  return `${pad(randInt(r, 0, 23))}:${pad(randInt(r, 0, 59))}`;
}

export const MIN = 60_000;
export const HOUR = 60 * MIN;

/** The n-th (1-based) Sunday of a month as a UTC midnight, or the last one with n = -1. */
function sunday(year: number, month: number, n: number): number {
  if (n > 0) {
    const first = Date.UTC(year, month - 1, 1);
    const dow = new Date(first).getUTCDay();
    return first + (((7 - dow) % 7) + (n - 1) * 7) * 86_400_000;
  }
  const last = Date.UTC(year, month, 0);
  return last - new Date(last).getUTCDay() * 86_400_000;
}

interface ZoneRule {
  std: number; // minutes east of UTC
  dst: number;
  /** UTC instants of the year's transition into and out of DST (absent for fixed zones). */
  into?: (year: number) => number;
  outOf?: (year: number) => number;
}

/**
 * Hand-written current rules (valid for the years the property tests use, 2020-2035), so zonedInstant is checked
 * against data that does not come from the code under test.
 */
export const ZONE_RULES: Record<string, ZoneRule> = {
  UTC: { std: 0, dst: 0 },
  'Asia/Shanghai': { std: 480, dst: 480 },
  'Asia/Kolkata': { std: 330, dst: 330 },
  // US since 2007: 2nd Sunday of March 02:00 EST (07:00Z) to 1st Sunday of November 02:00 EDT (06:00Z).
  'America/New_York': {
    std: -300,
    dst: -240,
    into: (y) => sunday(y, 3, 2) + 7 * HOUR,
    outOf: (y) => sunday(y, 11, 1) + 6 * HOUR,
  },
  // EU: last Sunday of March 01:00Z to last Sunday of October 01:00Z.
  'Europe/London': {
    std: 0,
    dst: 60,
    into: (y) => sunday(y, 3, -1) + 1 * HOUR,
    outOf: (y) => sunday(y, 10, -1) + 1 * HOUR,
  },
  // Lord Howe since 2008: 1st Sunday of October 02:00 LHST(+10:30) to 1st Sunday of April 02:00 LHDT(+11);
  // both are on the Saturday in UTC.
  'Australia/Lord_Howe': {
    std: 630,
    dst: 660,
    into: (y) => sunday(y, 10, 1) + 2 * HOUR - 630 * MIN,
    outOf: (y) => sunday(y, 4, 1) + 2 * HOUR - 660 * MIN,
  },
};

export const ORACLE_ZONES = Object.keys(ZONE_RULES);

/** The oracle's UTC offset (ms) at an instant. */
export function oracleOffset(zone: string, t: number): number {
  const rule = ZONE_RULES[zone];
  if (!rule.into || !rule.outOf) return rule.std * MIN;
  const year = new Date(t).getUTCFullYear();
  const into = rule.into(year);
  const outOf = rule.outOf(year);
  const inDst = into < outOf ? t >= into && t < outOf : t < outOf || t >= into;
  return (inDst ? rule.dst : rule.std) * MIN;
}

/** What zonedInstant should return per the oracle: earlier instant in a fold, wall + gap in a gap. */
export function oracleInstant(zone: string, day: string, time: string): { at: number; kind: 'normal' | 'fold' | 'gap' } {
  const [y, m, d] = day.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  const rule = ZONE_RULES[zone];
  const offsets = [...new Set([rule.std * MIN, rule.dst * MIN])];
  const valid = offsets.map((o) => wall - o).filter((t) => oracleOffset(zone, t) === wall - t);
  if (valid.length === 0) return { at: wall - rule.std * MIN, kind: 'gap' };
  return { at: Math.min(...valid), kind: valid.length > 1 ? 'fold' : 'normal' };
}

/** The wall-clock reading (`YYYY-MM-DD`, `HH:MM`) the oracle gives for an instant. */
export function oracleWall(zone: string, t: number): { date: string; time: string } {
  const d = new Date(t + oracleOffset(zone, t));
  return { date: isoDay(d.getTime()), time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` };
}

/** Days on which the oracle zone changes offset (local date of each transition), for dense sampling. */
export function transitionDays(zone: string, year: number): string[] {
  const rule = ZONE_RULES[zone];
  if (!rule.into || !rule.outOf) return [];
  return [rule.into(year), rule.outOf(year)].map((t) => oracleWall(zone, t).date);
}

/** The calendar from the product brief (China 2027: Qingming, Labour Day, National Day, two make-up Saturdays/Sundays). */
export const CN_2027: PlanCalendar = {
  workweek: ['mon', 'tue', 'wed', 'thu', 'fri'],
  holidays: ['2027-01-01', '2027-04-05', '2027-05-03', '2027-10-01', '2027-10-04', '2027-10-05', '2027-10-06', '2027-10-07'],
  extraWorkdays: ['2027-09-26', '2027-10-09'],
};

/** A valid plan (parsed by the real schema, so defaults apply) with the given time-related fields. */
export function makePlan(over: Partial<Pick<PlanInput, 'timezone' | 'start' | 'end' | 'cadence' | 'calendar'>> = {}): Plan {
  return planSchema.parse({
    id: 'p',
    title: 'Plan',
    timezone: 'Asia/Shanghai',
    start: '2027-01-01',
    end: '2027-12-31',
    headquarters: { name: 'HQ', email: 'hq@example.org' },
    units: [{ id: 'u1', name: 'Unit 1', email: 'u1@example.org' }],
    aspects: [{ id: 'a', title: 'A' }],
    tasks: [{ id: 't', aspect: 'a', title: 'T', units: ['u1'] }],
    cadence: { sendTime: '09:00', requestOffsetDays: -10, dueOffsetDays: 5 },
    ...over,
  });
}
