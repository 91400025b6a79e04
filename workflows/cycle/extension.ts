/**
 * Extensions (延期): which due day a report has now, and the ladder that follows an extension. Pure: the group
 * workflow, the status and the validator read the same rules.
 */
import { addDays, compareDates, dueDeadline, localDateOf, nextWorkingDay, previousWorkingDay, zonedInstant } from '../calendar/index.js';
import type { Plan } from '../contract/plan.js';
import type { Extension, UnitPeriodRecord } from '../contract/status.js';
import type { RevisionEvent } from './revision.js';
import { lastDecision, roundOf } from './status.js';
import type { TrackedPeriod } from './timeline.js';

/** A due day and the instant it ends, with the extension that set it (if any). */
export interface CurrentDue {
  dueDay: string;
  deadline: number;
  extension?: Extension;
}

/** The last extension of the quarter's own report (round 0), if any. */
export function quarterExtension(record: UnitPeriodRecord | undefined): Extension | undefined {
  return record?.extensions?.filter((x) => x.round === 0).at(-1);
}

/** The quarter's report's due day: the quarter's, or the last extension's. */
export function quarterDue(period: TrackedPeriod, record: UnitPeriodRecord | undefined): CurrentDue {
  const x = quarterExtension(record);
  return x ? { dueDay: x.dueDay, deadline: x.deadline, extension: x } : { dueDay: period.schedule.dueDay, deadline: period.schedule.deadline };
}

/** While a returned report awaits its revision: the revision's due day, or that of the last extension of its round. */
export function revisionDue(record: UnitPeriodRecord): CurrentDue | undefined {
  if (record.awaitingSince === undefined) return undefined;
  const round = roundOf(record);
  const x = record.extensions?.filter((e) => e.round === round).at(-1);
  if (x) return { dueDay: x.dueDay, deadline: x.deadline, extension: x };
  const d = lastDecision(record);
  return d?.revisionDueDay !== undefined && d.revisionDeadline !== undefined ? { dueDay: d.revisionDueDay, deadline: d.revisionDeadline } : undefined;
}

/** The due day the report answers now: the revision's while one is awaited, else the quarter's report's. */
export function currentDue(period: TrackedPeriod, record: UnitPeriodRecord): CurrentDue {
  return revisionDue(record) ?? quarterDue(period, record);
}

/** Until when a report of the quarter is accepted: its close, or a later extension's. */
export function closeOf(period: TrackedPeriod, record: UnitPeriodRecord | undefined): number {
  return Math.max(period.schedule.closeAt, ...(record?.extensions ?? []).map((x) => x.closeAt));
}

/** The calendar SEQUENCE of a report's event: one more for every return and every extension. */
export function sequenceOf(record: UnitPeriodRecord | undefined): number {
  return roundOf(record) + (record?.extensions?.length ?? 0) + (record?.dueMoves ?? 0);
}

/** What an extension's ladder needs to know of the report. */
export interface ExtensionScope {
  taskId: string;
  unitId: string;
  period: string;
  /** The round the extension applies to (0: the quarter's report). */
  round: number;
  /** The extension's number among the report's extensions (1-based). */
  extension: number;
  /** The quarter's close (reports are accepted until then at least). */
  closeAt: number;
  /** Reminder numbers and escalation levels already sent in this round. */
  remindersSent: number;
  levelsSent: readonly number[];
}

/** The new due day and the notices that follow an extension granted at `now`. */
export interface ExtensionLadder {
  dueDay: string;
  deadline: number;
  closeAt: number;
  events: RevisionEvent[];
}

/** The due day `until` gives: moved forward to a working day of the plan's calendar. */
export function extendedDueDay(plan: Plan, until: string): string {
  return plan.calendar ? nextWorkingDay(until, plan.calendar) : until;
}

/**
 * Extended at `now` to `until`: due on `until` moved forward to a working day; reminders at the new due day plus
 * each reminder day (earlier days move back, later ones forward), those on or before today dropped, numbered after
 * the last one sent; escalations at the new due day plus their days overdue, moved forward, a level already sent not
 * again; the quarter's close moves, if needed, so that a report is still accepted after the last escalation.
 */
export function extensionLadder(plan: Plan, now: number, until: string, at: ExtensionScope): ExtensionLadder {
  const cal = plan.calendar;
  const tz = plan.timezone;
  const { cadence } = plan;
  const today = localDateOf(now, tz);
  const dueDay = extendedDueDay(plan, until);
  const move = (day: string) => (!cal ? day : compareDates(day, dueDay) < 0 ? previousWorkingDay(day, cal) : nextWorkingDay(day, cal));
  const instant = (day: string) => zonedInstant(day, cadence.sendTime, tz);
  const base = { taskId: at.taskId, unitId: at.unitId, period: at.period, round: at.round, extension: at.extension };
  const events: RevisionEvent[] = [{ ...base, at: now, kind: 'extended', number: at.extension }];
  const reminderDays = [...new Set((cadence.reminderDays ?? []).map((d) => move(addDays(dueDay, d))))].sort(compareDates);
  reminderDays
    .filter((day) => compareDates(day, today) > 0 && instant(day) > now)
    .forEach((day, i) => events.push({ ...base, at: instant(day), kind: 'reminder', number: at.remindersSent + i + 1 }));
  const deadline = dueDeadline(dueDay, tz);
  let closeAt = at.closeAt;
  (cadence.escalation ?? []).forEach((step, i) => {
    const level = i + 1;
    const t = instant(move(addDays(dueDay, step.afterDaysOverdue)));
    if (at.levelsSent.includes(level) || t <= now) return;
    events.push({ ...base, at: t, kind: 'escalation', number: level, escalateTo: step.to });
    closeAt = Math.max(closeAt, t + 1);
  });
  events.push({ ...base, at: deadline, kind: 'deadline', number: 1 });
  // The workflow stays until a moved close, so that a report is still taken after the last escalation.
  if (closeAt > at.closeAt) events.push({ ...base, at: closeAt, kind: 'close', number: 1 });
  return { dueDay, deadline, closeAt, events: events.sort((a, b) => a.at - b.at) };
}

/** Reminder numbers and escalation levels a report has had in `round` (for an extension's ladder to follow on). */
export function sentInRound(record: UnitPeriodRecord, round: number): { remindersSent: number; levelsSent: number[] } {
  const sent = (record.sent ?? []).filter((s) => s.round === round);
  const reminders = sent.filter((s) => s.kind === 'reminder').map((s) => s.number);
  return { remindersSent: Math.max(0, ...reminders), levelsSent: sent.filter((s) => s.kind === 'escalation').map((s) => s.number) };
}
