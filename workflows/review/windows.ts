/** When each semi-annual review and annual summary is made, and over which quarters. Pure. */
import { addDays, compareDates, nextWorkingDay, periodsOf, zonedInstant } from '../calendar/index.js';
import type { Plan } from '../contract/plan.js';

export type WindowKind = 'review' | 'summary';

/** One review or summary: `2027-H1` (review), `2027` (annual summary) or `plan` (plan summary). */
export interface ReviewWindow {
  id: string;
  kind: WindowKind;
  /** The plan's quarters it covers. */
  periods: string[];
  /** The moment it is made: its day moved forward to a working day, at sendTime local. */
  at: number;
}

const minDate = (a: string, b: string) => (compareDates(a, b) <= 0 ? a : b);

/** Every review and summary of the plan, in the order they are made (an annual before the plan summary at the same moment). */
export function reviewWindows(plan: Plan): ReviewWindow[] {
  const periods = periodsOf(plan.start, plan.end).map((p) => p.id);
  const moment = (day: string, offset: number) =>
    zonedInstant(nextWorkingDay(addDays(day, offset), plan.calendar), plan.cadence.sendTime, plan.timezone);
  const windows: ReviewWindow[] = [];
  const firstYear = Number(plan.start.slice(0, 4));
  const lastYear = Number(plan.end.slice(0, 4));
  for (let y = firstYear; y <= lastYear; y++) {
    const h1 = periods.filter((p) => p === `${y}-Q1` || p === `${y}-Q2`);
    if (h1.length) {
      windows.push({ id: `${y}-H1`, kind: 'review', periods: h1, at: moment(minDate(`${y}-06-30`, plan.end), plan.reviews.semiAnnualOffsetDays) });
    }
    const year = periods.filter((p) => p.startsWith(`${y}-`));
    if (year.length) {
      windows.push({ id: `${y}`, kind: 'summary', periods: year, at: moment(minDate(`${y}-12-31`, plan.end), plan.reviews.annualOffsetDays) });
    }
  }
  windows.push({ id: 'plan', kind: 'summary', periods, at: moment(plan.end, plan.reviews.annualOffsetDays) });
  // Stable: equal moments keep the order above (H1 before the year, the last year before the plan).
  return windows.map((w, i) => ({ w, i })).sort((a, b) => a.w.at - b.w.at || a.i - b.i).map(({ w }) => w);
}
