/**
 * Wall-clock time in IANA time zones, computed only through `Intl.DateTimeFormat` with an explicit `timeZone`
 * and epoch-millisecond arithmetic, so results never depend on the host's zone (and are sandbox-safe).
 */
import { epochDayOf, formatLocalDate, toEpochDay, type LocalDate } from './days.js';

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
// en-US with a 23-hour cycle writes "MM/DD/YYYY, HH:MM:SS" for years 1000-9999; anything else takes the slow path.
const EN_US_RE = /^(\d{2})\/(\d{2})\/(\d{4}), (\d{2}):(\d{2}):(\d{2})$/;

// Building a DateTimeFormat is far costlier than using one, so keep one per zone name.
const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatterFor(tz: string): Intl.DateTimeFormat | null {
  let f = formatters.get(tz);
  if (f !== undefined) return f;
  f = null;
  // Offset strings ("+05:30") are not IANA zone names, even where a newer Intl would accept them.
  if (typeof tz === 'string' && tz !== '' && tz[0] !== '+' && tz[0] !== '-') {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        calendar: 'gregory',
        numberingSystem: 'latn',
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      f = null;
    }
  }
  formatters.set(tz, f);
  return f;
}

function requireFormatter(tz: string): Intl.DateTimeFormat {
  const f = formatterFor(tz);
  if (!f) throw new Error(`unknown time zone ${JSON.stringify(tz)} (expected an IANA name such as "Asia/Shanghai")`);
  return f;
}

/** Whether `tz` is an IANA time zone name this runtime knows (e.g. `Asia/Shanghai`, `UTC`). */
export function isValidTimeZone(tz: string): boolean {
  return formatterFor(tz) !== null;
}

interface WallParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallPartsOf(epochMs: number, tz: string): WallParts {
  if (!Number.isFinite(epochMs)) throw new Error(`not an instant: ${epochMs}`);
  const f = requireFormatter(tz);
  const m = EN_US_RE.exec(f.format(epochMs));
  if (m) {
    return { year: +m[3], month: +m[1], day: +m[2], hour: +m[4] % 24, minute: +m[5], second: +m[6] };
  }
  // Slow path for years the fast pattern does not cover (before 1000 or with an era).
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(epochMs)) p[part.type] = part.value;
  const y = Number(p.year);
  return {
    year: p.era === 'BC' || p.era === 'B' ? 1 - y : y,
    month: Number(p.month),
    day: Number(p.day),
    hour: Number(p.hour) % 24, // some ICU versions write midnight as 24
    minute: Number(p.minute),
    second: Number(p.second),
  };
}

/** The zone's UTC offset in ms at an instant (local wall time minus UTC), to the second. */
export function offsetAt(epochMs: number, tz: string): number {
  const w = wallPartsOf(epochMs, tz);
  const wall = epochDayOf(w.year, w.month, w.day) * MS_PER_DAY + w.hour * MS_PER_HOUR + w.minute * MS_PER_MINUTE + w.second * 1000;
  // The formatter drops milliseconds, so compare against the instant floored to its second.
  return wall - Math.floor(epochMs / 1000) * 1000;
}

/** The local calendar day in `tz` at an instant. */
export function localDateOf(epochMs: number, tz: string): LocalDate {
  const w = wallPartsOf(epochMs, tz);
  return formatLocalDate(w.year, w.month, w.day);
}

/** The local day and `HH:MM` wall time in `tz` at an instant (seconds are dropped, not rounded). */
export function localDateTimeOf(epochMs: number, tz: string): { date: LocalDate; time: string } {
  const w = wallPartsOf(epochMs, tz);
  return {
    date: formatLocalDate(w.year, w.month, w.day),
    time: `${w.hour < 10 ? '0' : ''}${w.hour}:${w.minute < 10 ? '0' : ''}${w.minute}`,
  };
}

/** Parses an `HH:MM` wall time (00:00-23:59) into minutes after midnight; throws on anything else. */
export function parseWallTime(time: string): number {
  const m = TIME_RE.exec(time);
  if (!m) throw new Error(`not a local time written HH:MM (00:00-23:59): ${JSON.stringify(time)}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

// Results are pure functions of (zone, day, time); a bounded memo keeps repeated schedule builds cheap.
const MEMO_LIMIT = 20_000;
const instantMemo = new Map<string, number>();

/**
 * The instant at which the wall clock in `tz` reads `time` on `day`; a skipped wall time (DST gap) is pushed
 * forward by the gap's length and a repeated one (DST fold) resolves to the earlier instant.
 */
export function zonedInstant(day: LocalDate, time: string, tz: string): number {
  const key = `${tz}\u0000${day}\u0000${time}`;
  const memo = instantMemo.get(key);
  if (memo !== undefined) return memo;

  const minutes = parseWallTime(time);
  requireFormatter(tz);
  // The wall time read as if it were UTC; the real instant is this minus the zone's offset at that instant.
  const local = toEpochDay(day) * MS_PER_DAY + minutes * MS_PER_MINUTE;

  // Same approach as Temporal's GetPossibleInstantsFor: any transition near this wall time lies between the
  // offsets in force a day before and a day after, so only those two offsets can be the answer.
  const offsetBefore = offsetAt(local - MS_PER_DAY, tz);
  const offsetAfter = offsetAt(local + MS_PER_DAY, tz);
  let result: number | undefined;
  for (const offset of offsetBefore === offsetAfter ? [offsetBefore] : [offsetBefore, offsetAfter]) {
    const candidate = local - offset;
    if (offsetAt(candidate, tz) === offset && (result === undefined || candidate < result)) result = candidate;
  }
  // No candidate: the wall time falls in a gap. Reading it with the offset from before the gap lands as far
  // past the gap's end as the wall time was past its start ("compatible" disambiguation).
  if (result === undefined) result = local - offsetBefore;

  if (instantMemo.size >= MEMO_LIMIT) instantMemo.clear();
  instantMemo.set(key, result);
  return result;
}

/** The first instant of the local day `day` in `tz` (later than midnight when midnight is skipped by DST). */
export function startOfLocalDay(day: LocalDate, tz: string): number {
  return zonedInstant(day, '00:00', tz);
}
