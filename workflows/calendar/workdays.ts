/** Working days under a plan's optional `calendar` block (workweek, public holidays and make-up workdays). */
import type { PlanCalendar } from '../contract/plan.js';
import { addDays, parseLocalDate, weekdayOf, type LocalDate, type Weekday } from './days.js';

/** How far a search for a working day goes before the calendar is declared to have none. */
export const MAX_WORKDAY_SEARCH_DAYS = 366;

const DEFAULT_WORKWEEK: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];

interface CompiledCalendar {
  source: { workweek: unknown; holidays: unknown; extraWorkdays: unknown };
  workweek: ReadonlySet<string>;
  holidays: ReadonlySet<string>;
  extraWorkdays: ReadonlySet<string>;
}

// Sets beat repeated Array.includes when schedules are built for many quarters; keyed by the calendar object.
const compiled = new WeakMap<PlanCalendar, CompiledCalendar>();

function compile(cal: PlanCalendar): CompiledCalendar {
  const hit = compiled.get(cal);
  // Rebuild if the arrays were swapped out since (calendars are meant to be immutable, but be safe).
  if (hit && hit.source.workweek === cal.workweek && hit.source.holidays === cal.holidays && hit.source.extraWorkdays === cal.extraWorkdays) {
    return hit;
  }
  const c: CompiledCalendar = {
    source: { workweek: cal.workweek, holidays: cal.holidays, extraWorkdays: cal.extraWorkdays },
    // Fall back to the schema's defaults so a calendar that skipped validation still behaves as documented.
    workweek: new Set(cal.workweek ?? DEFAULT_WORKWEEK),
    holidays: new Set(cal.holidays ?? []),
    extraWorkdays: new Set(cal.extraWorkdays ?? []),
  };
  compiled.set(cal, c);
  return c;
}

/** Whether `day` is a working day: always without a calendar; with one, a workweek day that is not a holiday, or a listed extra workday. */
export function isWorkingDay(day: LocalDate, cal?: PlanCalendar): boolean {
  parseLocalDate(day); // reject malformed days even when there is no calendar to consult
  if (!cal) return true;
  const c = compile(cal);
  if (c.extraWorkdays.has(day)) return true;
  return c.workweek.has(weekdayOf(day)) && !c.holidays.has(day);
}

function searchWorkingDay(day: LocalDate, step: 1 | -1, cal: PlanCalendar | undefined): LocalDate {
  let d = day;
  for (let i = 0; i <= MAX_WORKDAY_SEARCH_DAYS; i++) {
    if (isWorkingDay(d, cal)) return d;
    d = addDays(d, step);
  }
  // A calendar like this (e.g. an empty workweek) would otherwise make every schedule loop forever.
  throw new Error(
    `the plan calendar has no working day within ${MAX_WORKDAY_SEARCH_DAYS} days ${step > 0 ? 'after' : 'before'} ${day}`,
  );
}

/** `day` itself if it is a working day, else the first working day after it. */
export function nextWorkingDay(day: LocalDate, cal?: PlanCalendar): LocalDate {
  return searchWorkingDay(day, 1, cal);
}

/** `day` itself if it is a working day, else the last working day before it. */
export function previousWorkingDay(day: LocalDate, cal?: PlanCalendar): LocalDate {
  return searchWorkingDay(day, -1, cal);
}
