/** The ladder that follows a returned report: a new due day, then reminders and escalations counted from it. Pure. */
import { addDays, compareDates, localDateOf, nextWorkingDay, previousWorkingDay, startOfLocalDay, zonedInstant } from '../calendar/index.js';
import type { Plan } from '../contract/plan.js';

/** One notice (or the deadline, or the close) of the ladder after the `round`-th return, or after an extension, of one report. */
export interface RevisionEvent {
  at: number;
  kind: 'returned' | 'extended' | 'reminder' | 'escalation' | 'deadline' | 'close';
  taskId: string;
  unitId: string;
  period: string;
  round: number;
  number: number;
  escalateTo?: 'unitLeader' | 'headquarters';
  /** How many extensions the report had when the ladder began (absent: none); a later extension supersedes the ladder. */
  extension?: number;
}

export interface RevisionLadder {
  dueDay: string;
  deadline: number;
  events: RevisionEvent[];
}

/**
 * Returned at `now`: due `revisionDays` later, moved forward to a working day; reminders and escalations follow the
 * quarter's rules from that day (earlier days move back, later ones forward); only those after `now` are kept.
 */
export function revisionLadder(plan: Plan, now: number, at: { taskId: string; unitId: string; period: string; round: number }): RevisionLadder {
  const cal = plan.calendar;
  const tz = plan.timezone;
  const { cadence } = plan;
  const today = localDateOf(now, tz);
  const dueDay = nextWorkingDay(addDays(today, cadence.revisionDays), cal);
  const move = (day: string) => (!cal ? day : compareDates(day, dueDay) < 0 ? previousWorkingDay(day, cal) : nextWorkingDay(day, cal));
  const instant = (day: string) => zonedInstant(day, cadence.sendTime, tz);
  const base = { taskId: at.taskId, unitId: at.unitId, period: at.period, round: at.round };
  const events: RevisionEvent[] = [{ ...base, at: now, kind: 'returned', number: at.round }];
  const reminderDays = [...new Set(cadence.reminderDays.map((d) => move(addDays(dueDay, d))))].sort(compareDates);
  reminderDays
    .map((day) => instant(day))
    .filter((t) => t > now)
    .forEach((t, i) => events.push({ ...base, at: t, kind: 'reminder', number: i + 1 }));
  cadence.escalation.forEach((step, i) => {
    const t = instant(move(addDays(dueDay, step.afterDaysOverdue)));
    if (t > now) events.push({ ...base, at: t, kind: 'escalation', number: i + 1, escalateTo: step.to });
  });
  const deadline = startOfLocalDay(addDays(dueDay, 1), tz);
  events.push({ ...base, at: deadline, kind: 'deadline', number: 1 });
  return { dueDay, deadline, events: events.sort((a, b) => a.at - b.at) };
}
