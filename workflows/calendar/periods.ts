/** Reporting periods: calendar quarters (`YYYY-Qn`), clipped to the plan's start and end days. */
import { compareDates, daysInMonth, formatLocalDate, parseLocalDate, type LocalDate } from './days.js';

/** One reporting quarter of a plan: its id and its first and last days inside the plan. */
export interface Period {
  /** `YYYY-Qn`, e.g. `2027-Q3`. */
  id: string;
  /** The quarter's first day, or the plan's start day if the plan starts inside the quarter. */
  first: LocalDate;
  /** The quarter's last day, or the plan's end day if the plan ends inside the quarter. */
  last: LocalDate;
}

const PERIOD_ID_RE = /^(\d{4})-Q([1-4])$/;

/** Whether `s` is a quarter id written `YYYY-Qn` with n in 1-4. */
export function isPeriodId(s: unknown): s is string {
  return typeof s === 'string' && PERIOD_ID_RE.test(s);
}

/** The id (`YYYY-Qn`) of the calendar quarter containing `d`. */
export function periodOfDate(d: LocalDate): string {
  const { year, month } = parseLocalDate(d);
  return `${String(year).padStart(4, '0')}-Q${Math.floor((month - 1) / 3) + 1}`;
}

/** The unclipped first and last days of the quarter `id`. */
export function quarterBounds(id: string): { first: LocalDate; last: LocalDate } {
  const m = PERIOD_ID_RE.exec(id);
  if (!m) throw new Error(`not a quarter id written YYYY-Qn: ${JSON.stringify(id)}`);
  const year = Number(m[1]);
  const firstMonth = (Number(m[2]) - 1) * 3 + 1;
  const lastMonth = firstMonth + 2;
  return { first: formatLocalDate(year, firstMonth, 1), last: formatLocalDate(year, lastMonth, daysInMonth(year, lastMonth)) };
}

/** The quarters overlapping `[start, end]` in order, each clipped to that range; empty if `end` is before `start`. */
export function periodsOf(start: LocalDate, end: LocalDate): Period[] {
  if (compareDates(start, end) > 0) return [];
  const periods: Period[] = [];
  let { year } = parseLocalDate(start);
  let quarter = Math.floor((parseLocalDate(start).month - 1) / 3) + 1;
  for (;;) {
    const id = `${String(year).padStart(4, '0')}-Q${quarter}`;
    const q = quarterBounds(id);
    periods.push({
      id,
      first: compareDates(q.first, start) < 0 ? start : q.first,
      last: compareDates(q.last, end) > 0 ? end : q.last,
    });
    if (compareDates(q.last, end) >= 0) break; // stop here so year 9999 never steps into an unwritable year
    if (quarter === 4) {
      year += 1;
      quarter = 1;
    } else {
      quarter += 1;
    }
  }
  return periods;
}
