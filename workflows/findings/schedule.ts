/**
 * The rules of time of inspection findings: assignment, each round's deadline and ladder, the verifier's reminder and
 * the re-check. Pure and deterministic (days are local to the plan's time zone; every notice at cadence.sendTime).
 */
import { addDays, compareDates, dueDeadline, localDateOf, nextWorkingDay, previousWorkingDay, zonedInstant, type LocalDate } from '../calendar/index.js';
import type { Finding, InspectionCadence, InspectionRound, Plan } from '../contract/plan.js';

/** The inspection cadence with its defaults and the plan's escalation where it names none. */
export interface FindingRules extends Omit<InspectionCadence, 'escalation'> {
  escalation: Plan['cadence']['escalation'];
}

const DEFAULT_CADENCE: InspectionCadence = { rectifyDays: 60, reminderDays: [-7, -1], verifyDays: 5, reworkDays: 15 };

/** The rules findings of `plan` follow. */
export function findingRules(plan: Plan): FindingRules {
  const c = plan.inspections?.cadence ?? DEFAULT_CADENCE;
  return { ...c, escalation: c.escalation ?? plan.cadence.escalation };
}

/** The instant of a notice day: the plan's send time on it. */
export function noticeInstant(plan: Plan, day: LocalDate): number {
  return zonedInstant(day, plan.cadence.sendTime, plan.timezone);
}

/** Day A: the round's feedback day moved forward to a working day. */
export function assignedDay(plan: Plan, round: Pick<InspectionRound, 'feedbackDay'>): LocalDate {
  return nextWorkingDay(round.feedbackDay, plan.calendar);
}

/** Round 1's deadline day: the finding's own deadline, or feedback day + rectifyDays, moved forward. */
export function firstDueDay(plan: Plan, round: Pick<InspectionRound, 'feedbackDay'>, finding: Pick<Finding, 'deadline'>): LocalDate {
  return nextWorkingDay(finding.deadline ?? addDays(round.feedbackDay, findingRules(plan).rectifyDays), plan.calendar);
}

/** The deadline day of a round started on day X by a rejection or a reopening: X + reworkDays, moved forward. */
export function reworkDueDay(plan: Plan, startDay: LocalDate): LocalDate {
  return nextWorkingDay(addDays(startDay, findingRules(plan).reworkDays), plan.calendar);
}

/** One step of a round's ladder. */
export interface LadderStep {
  at: number;
  day: LocalDate;
  kind: 'reminder' | 'escalation';
  /** Reminder number in the round (1..n in time order), or escalation level. */
  number: number;
  escalateTo?: 'unitLeader' | 'headquarters';
}

/**
 * The ladder of a round that started on `startDay` with deadline day `dueDay`: reminders on dueDay + each
 * reminderDays (a day before dueDay moves back, on or after it forward; days on or before startDay dropped; a day
 * reached twice sent once; numbered in time order), then escalation level i on dueDay + afterDaysOverdue_i moved
 * forward. Steps before `from` are left out (a finding assigned after the plan started late), keeping their numbers.
 */
export function roundLadder(plan: Plan, startDay: LocalDate, dueDay: LocalDate, from = -Infinity): LadderStep[] {
  const rules = findingRules(plan);
  const cal = plan.calendar;
  const move = (day: LocalDate) => (compareDates(day, dueDay) < 0 ? previousWorkingDay(day, cal) : nextWorkingDay(day, cal));
  const reminderDays = new Set<LocalDate>();
  for (const offset of rules.reminderDays) {
    const day = move(addDays(dueDay, offset));
    if (compareDates(day, startDay) > 0) reminderDays.add(day);
  }
  const steps: LadderStep[] = [...reminderDays]
    .sort(compareDates)
    .map((day, i) => ({ at: noticeInstant(plan, day), day, kind: 'reminder' as const, number: i + 1 }));
  rules.escalation.forEach((step, i) => {
    const day = nextWorkingDay(addDays(dueDay, step.afterDaysOverdue), cal);
    steps.push({ at: noticeInstant(plan, day), day, kind: 'escalation', number: i + 1, escalateTo: step.to });
  });
  return steps.filter((s) => s.at >= from).sort((a, b) => a.at - b.at || (a.kind === b.kind ? a.number - b.number : a.kind === 'reminder' ? -1 : 1));
}

/** The instant a round's deadline day ends: a claim before it is on time. */
export function roundDeadline(plan: Plan, dueDay: LocalDate): number {
  return dueDeadline(dueDay, plan.timezone);
}

/** When an undecided claim made at `claimAt` reminds the verifier: claim day + verifyDays, moved forward. */
export function verifyReminderAt(plan: Plan, claimAt: number): number {
  const day = nextWorkingDay(addDays(localDateOf(claimAt, plan.timezone), findingRules(plan).verifyDays), plan.calendar);
  return noticeInstant(plan, day);
}

/** When a finding closed at `closedAt` is re-checked: closure day + recheckAfterDays, moved forward. */
export function recheckAt(plan: Plan, closedAt: number, recheckAfterDays: number): number {
  const day = nextWorkingDay(addDays(localDateOf(closedAt, plan.timezone), recheckAfterDays), plan.calendar);
  return noticeInstant(plan, day);
}
