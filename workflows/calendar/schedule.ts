/**
 * The notice schedule of a reporting quarter: request, reminders, escalations, deadline and closing time.
 * Pure and deterministic, so workflow code can recompute it on replay and get the same instants.
 */
import type { Cadence, Plan, PlanCalendar } from '../contract/plan.js';
import { addDays, compareDates, dayDiff, type LocalDate } from './days.js';
import { periodsOf, type Period } from './periods.js';
import { nextWorkingDay, previousWorkingDay } from './workdays.js';
import { localDateOf, startOfLocalDay, zonedInstant } from './zone.js';

/** The cadence's default for how many days after the due day a quarter still accepts reports. */
export const DEFAULT_CLOSE_AFTER_DAYS = 90;

/** One reminder notice; `number` counts 1..n in time order after duplicates and too-early days are dropped. */
export interface ReminderSlot {
  number: number;
  day: LocalDate;
  at: number;
}

/** One escalation notice; `level` is the 1-based position of its step in `cadence.escalation`. */
export interface EscalationSlot {
  level: number;
  to: 'unitLeader' | 'headquarters';
  day: LocalDate;
  at: number;
}

/** Every notice day and instant of one quarter, plus its on-time deadline and closing instant. */
export interface PeriodSchedule {
  period: string;
  first: LocalDate;
  last: LocalDate;
  requestDay: LocalDate;
  requestAt: number;
  dueDay: LocalDate;
  /** Reports arriving strictly before this instant (the local midnight ending the due day) are on time. */
  deadline: number;
  reminders: ReminderSlot[];
  escalations: EscalationSlot[];
  /** Reports accepted until: max(startOfLocalDay(dueDay + closeAfterDays + 1), last escalation at + 1 ms). */
  closeAt: number;
}

/** The notice days of one quarter, before they are turned into instants. */
export interface NoticeDays {
  requestDay: LocalDate;
  dueDay: LocalDate;
  reminderDays: LocalDate[];
  escalationDays: { level: number; to: 'unitLeader' | 'headquarters'; day: LocalDate }[];
}

/**
 * The notice days for a quarter whose last day is `last`: the due day moves forward to a working day, other
 * notices before it move back to a working day, notices on or after it move forward.
 */
export function noticeDays(cadence: Cadence, last: LocalDate, cal?: PlanCalendar): NoticeDays {
  const dueDay = cal ? nextWorkingDay(addDays(last, cadence.dueOffsetDays), cal) : addDays(last, cadence.dueOffsetDays);
  // Early notices move back so they still come before the due day; late ones move forward, never before it.
  const move = (raw: LocalDate): LocalDate => {
    if (!cal) return raw;
    return compareDates(raw, dueDay) < 0 ? previousWorkingDay(raw, cal) : nextWorkingDay(raw, cal);
  };

  // The request counts from the quarter's last day, not from the (possibly moved) due day.
  const requestDay = move(addDays(last, cadence.requestOffsetDays));

  // Reminders count from the moved due day; a day reached twice is sent once, and none goes out on or before
  // the request day (it would arrive with, or before, the request it reminds of).
  const reminderSet = new Set<LocalDate>();
  for (const offset of cadence.reminderDays ?? []) {
    const day = move(addDays(dueDay, offset));
    if (compareDates(day, requestDay) > 0) reminderSet.add(day);
  }
  const reminderDays = [...reminderSet].sort(compareDates);

  const escalationDays = (cadence.escalation ?? []).map((step, i) => ({
    level: i + 1,
    to: step.to,
    day: move(addDays(dueDay, step.afterDaysOverdue)),
  }));

  return { requestDay, dueDay, reminderDays, escalationDays };
}

/** The full notice schedule of one quarter of `plan`, with instants at `cadence.sendTime` in `plan.timezone`. */
export function periodSchedule(plan: Plan, period: Period): PeriodSchedule {
  const tz = plan.timezone;
  const { cadence } = plan;
  const days = noticeDays(cadence, period.last, plan.calendar);
  const at = (day: LocalDate): number => zonedInstant(day, cadence.sendTime, tz);

  const reminders: ReminderSlot[] = days.reminderDays
    .map((day) => ({ number: 0, day, at: at(day) }))
    .sort((a, b) => a.at - b.at || compareDates(a.day, b.day));
  reminders.forEach((r, i) => (r.number = i + 1));

  const escalations: EscalationSlot[] = days.escalationDays.map((e) => ({ ...e, at: at(e.day) }));

  const closeAfterDays = cadence.closeAfterDays ?? DEFAULT_CLOSE_AFTER_DAYS;
  let closeAt = startOfLocalDay(addDays(days.dueDay, closeAfterDays + 1), tz);
  // Never close before the last escalation has gone out: a late report must still be accepted after it.
  for (const e of escalations) closeAt = Math.max(closeAt, e.at + 1);

  return {
    period: period.id,
    first: period.first,
    last: period.last,
    requestDay: days.requestDay,
    requestAt: at(days.requestDay),
    dueDay: days.dueDay,
    deadline: dueDeadline(days.dueDay, tz),
    reminders,
    escalations,
    closeAt,
  };
}

/** The schedules of every quarter of the plan, in order. */
export function planSchedule(plan: Plan): PeriodSchedule[] {
  return periodsOf(plan.start, plan.end).map((p) => periodSchedule(plan, p));
}

/** The instant a report for `dueDay` becomes late: the start of the next local day in `tz`. */
export function dueDeadline(dueDay: LocalDate, tz: string): number {
  return startOfLocalDay(addDays(dueDay, 1), tz);
}

/** 0 if a report arriving at `arrivedAt` was on time, else the local calendar days from the due day to its arrival day. */
export function daysLate(arrivedAt: number, dueDay: LocalDate, tz: string): number {
  if (arrivedAt < dueDeadline(dueDay, tz)) return 0;
  // At least 1 even where a zone skipped a whole local day (e.g. Pacific/Apia on 2011-12-30).
  return Math.max(1, dayDiff(dueDay, localDateOf(arrivedAt, tz)));
}
