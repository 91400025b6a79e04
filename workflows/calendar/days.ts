/**
 * Local calendar days as `YYYY-MM-DD` strings, with pure integer arithmetic.
 *
 * No `Date` object is used here: the proleptic Gregorian day count below never touches the host clock or zone,
 * so it is deterministic inside Temporal workflow code.
 */

/** A local calendar day written `YYYY-MM-DD` (no zone attached). */
export type LocalDate = string;

/** A day of the week, as the plan file spells it. */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

// 1970-01-01 was a Thursday, so day 0 of the epoch day count maps to index 0 here.
const WEEKDAYS_FROM_THURSDAY: readonly Weekday[] = ['thu', 'fri', 'sat', 'sun', 'mon', 'tue', 'wed'];

/** Days in the given month of the given (proleptic Gregorian) year. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Whether the year is a Gregorian leap year. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Whether `s` is a `YYYY-MM-DD` string naming a real calendar day (so `2027-02-30` is not). */
export function isValidLocalDate(s: unknown): s is LocalDate {
  if (typeof s !== 'string') return false;
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const month = Number(m[2]);
  const day = Number(m[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(Number(m[1]), month);
}

/** The year, month (1-12) and day of a local date; throws on anything that is not a real `YYYY-MM-DD` day. */
export function parseLocalDate(d: LocalDate): { year: number; month: number; day: number } {
  const m = DATE_RE.exec(d);
  if (m) {
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    if (month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)) return { year, month, day };
  }
  throw new Error(`not a calendar date written YYYY-MM-DD: ${JSON.stringify(d)}`);
}

/** Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's days_from_civil). */
export function epochDayOf(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date of a day count since 1970-01-01 (inverse of {@link epochDayOf}). */
export function civilOfEpochDay(epochDay: number): { year: number; month: number; day: number } {
  const z = epochDay + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153); // month counted from March, so the leap day falls last
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Days since 1970-01-01 of a local date string. */
export function toEpochDay(d: LocalDate): number {
  const { year, month, day } = parseLocalDate(d);
  return epochDayOf(year, month, day);
}

/** The local date string of a day count since 1970-01-01; only years 0000-9999 can be written. */
export function fromEpochDay(epochDay: number): LocalDate {
  if (!Number.isSafeInteger(epochDay)) throw new Error(`not a whole day count: ${epochDay}`);
  const { year, month, day } = civilOfEpochDay(epochDay);
  return formatLocalDate(year, month, day);
}

/** Writes a civil date as `YYYY-MM-DD`; throws for years outside 0000-9999, which the format cannot hold. */
export function formatLocalDate(year: number, month: number, day: number): LocalDate {
  if (year < 0 || year > 9999) throw new Error(`year ${year} cannot be written as YYYY`);
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

/** The day `n` days after `d` (`n` may be negative). */
export function addDays(d: LocalDate, n: number): LocalDate {
  if (!Number.isInteger(n)) throw new Error(`addDays needs a whole number of days, got ${n}`);
  return fromEpochDay(toEpochDay(d) + n);
}

/** The number of days from `from` to `to` (`to - from`; negative when `to` is earlier). */
export function dayDiff(from: LocalDate, to: LocalDate): number {
  return toEpochDay(to) - toEpochDay(from);
}

/** Orders two local dates: negative if `a` is earlier, 0 if equal, positive if later. */
export function compareDates(a: LocalDate, b: LocalDate): number {
  // Valid fixed-width YYYY-MM-DD strings sort lexicographically in date order; validate to keep that true.
  parseLocalDate(a);
  parseLocalDate(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The day of the week of a local date. */
export function weekdayOf(d: LocalDate): Weekday {
  const i = toEpochDay(d) % 7;
  return WEEKDAYS_FROM_THURSDAY[i < 0 ? i + 7 : i];
}
