/**
 * Extensions (延期) of a finding's deadline: who may be extended to which day, what the record keeps, and the ladder
 * that follows, counted from the new deadline day. Pure: the findings workflow, its validator and reads share them.
 */
import { addDays, compareDates, localDateOf, nextWorkingDay, previousWorkingDay } from '../calendar/index.js';
import type { FindingExtensionReceipt, FindingExtensionRequest, FindingRecord, FindingRound } from '../contract/finding.js';
import type { Plan } from '../contract/plan.js';
import type { Refusal } from '../contract/refusals.js';
import { findingState, type FindingEvent, type PlannedFinding } from './record.js';
export { lastExtensionOf } from './record.js';
import { findingRules, noticeInstant, roundDeadline } from './schedule.js';

/** Most extensions kept per finding before further ones are refused (bounds the workflow's state). */
export const MAX_EXTENSIONS_PER_FINDING = 10;

const iso = (ms: number) => new Date(ms).toISOString();
const current = (r: FindingRecord): FindingRound => r.rounds[r.rounds.length - 1];

/** The deadline day `until` gives: moved forward to a working day of the plan's calendar. */
export function extendedDeadlineDay(plan: Plan, until: string): string {
  return nextWorkingDay(until, plan.calendar);
}

/**
 * Reminder numbers and escalation levels sent in the current round. Records kept before rounds counted them know
 * only their totals, which are the round's own while the finding is in its first round.
 */
export function sentInRound(r: FindingRecord): { remindersSent: number; levelsSent: number[] } {
  const round = current(r);
  if (round.remindersSent !== undefined || round.levelsSent !== undefined || r.rounds.length > 1) {
    return { remindersSent: round.remindersSent ?? 0, levelsSent: round.levelsSent ?? [] };
  }
  return { remindersSent: r.reminders, levelsSent: Array.from({ length: r.escalations }, (_, i) => i + 1) };
}

/** Notes a reminder or an escalation of `e.round` as sent, so that an extension's ladder follows on from it. */
export function markSent(r: FindingRecord, e: Pick<FindingEvent, 'kind' | 'round' | 'number'>): void {
  const round = r.rounds.find((x) => x.round === e.round);
  if (!round) return;
  if (e.kind === 'reminder') round.remindersSent = Math.max(round.remindersSent ?? 0, e.number);
  if (e.kind === 'escalation' && !(round.levelsSent ?? []).includes(e.number)) round.levelsSent = [...(round.levelsSent ?? []), e.number];
}

/** What an extension's ladder needs to know of the finding. */
export interface FindingExtensionScope {
  findingId: string;
  round: number;
  /** The extension's number among the finding's extensions (1-based). */
  extension: number;
  remindersSent: number;
  levelsSent: readonly number[];
}

/**
 * The notices that follow an extension granted at `now` to deadline day `dueDay`: the `finding-extended` notice at
 * once; reminders on dueDay plus each reminder day (a day before dueDay moves back to a working day, on or after it
 * forward; a day reached twice sent once), those not after today left out, numbered after the last one sent; then
 * escalation level i on dueDay plus its days overdue, moved forward, a level already sent not again.
 */
export function extensionLadder(plan: Plan, now: number, dueDay: string, at: FindingExtensionScope): FindingEvent[] {
  const rules = findingRules(plan);
  const cal = plan.calendar;
  const today = localDateOf(now, plan.timezone);
  const move = (day: string) => (compareDates(day, dueDay) < 0 ? previousWorkingDay(day, cal) : nextWorkingDay(day, cal));
  const base = { findingId: at.findingId, round: at.round, extension: at.extension };
  const events: FindingEvent[] = [{ ...base, at: now, kind: 'finding-extended', number: at.extension }];
  [...new Set(rules.reminderDays.map((d) => move(addDays(dueDay, d))))]
    .filter((day) => compareDates(day, today) > 0 && noticeInstant(plan, day) > now)
    .sort(compareDates)
    .forEach((day, i) => events.push({ ...base, at: noticeInstant(plan, day), kind: 'reminder', number: at.remindersSent + i + 1 }));
  rules.escalation.forEach((step, i) => {
    const level = i + 1;
    const t = noticeInstant(plan, nextWorkingDay(addDays(dueDay, step.afterDaysOverdue), cal));
    if (!at.levelsSent.includes(level) && t > now) events.push({ ...base, at: t, kind: 'escalation', number: level, escalateTo: step.to });
  });
  return events.sort((a, b) => a.at - b.at || (a.kind === b.kind ? a.number - b.number : a.kind === 'reminder' ? -1 : 1));
}

/**
 * The refusals of headquarters' extension of a finding at `now` (none: apply it, or answer a repeated request id).
 * The finding must be assigned, neither closed nor claimed, and the new deadline day after its current one and not
 * passed.
 */
export function extensionRefusals(plan: Plan, planned: PlannedFinding | undefined, r: FindingRecord | undefined, x: FindingExtensionRequest, now: number, assignAt: number): Refusal[] {
  const findingId = x.findingId;
  if (!planned) return [{ field: 'findingId', code: 'unknownFinding', params: { findingId, planId: plan.id } }];
  if (!r) return [{ field: 'findingId', code: 'findingNotAssigned', params: { findingId, assignAt: iso(assignAt) } }];
  if (r.extensions?.some((e) => e.requestId === x.requestId)) return []; // a repeat: answered with its first receipt
  if (r.closedAt !== undefined) return [{ field: 'findingId', code: 'findingClosed', params: { findingId, at: iso(r.closedAt) } }];
  const claim = r.claims.find((c) => !c.decision);
  if (claim) return [{ field: 'findingId', code: 'findingClaimed', params: { findingId, claim: claim.number } }];
  if ((r.extensions?.length ?? 0) >= MAX_EXTENSIONS_PER_FINDING) return [{ field: 'requestId', code: 'tooManyFindingExtensions', params: { findingId, max: MAX_EXTENSIONS_PER_FINDING } }];
  const dueDay = extendedDeadlineDay(plan, x.until);
  const currentDay = current(r).dueDay;
  if (compareDates(dueDay, currentDay) <= 0) return [{ field: 'until', code: 'notLaterDeadline', params: { findingId, until: x.until, dueDay, current: currentDay } }];
  const today = localDateOf(now, plan.timezone);
  if (compareDates(dueDay, today) < 0) return [{ field: 'until', code: 'duePassed', params: { until: x.until, dueDay, today } }];
  return [];
}

function receiptOf(r: FindingRecord, index: number, now: number, duplicate: boolean): FindingExtensionReceipt {
  const e = r.extensions![index];
  return {
    findingId: r.findingId,
    extension: index + 1,
    at: iso(e.at),
    until: e.until,
    dueDay: e.dueDay,
    dueAt: iso(e.deadline),
    previousDueDay: e.previousDueDay,
    round: e.round,
    state: findingState(r, now),
    duplicate,
  };
}

/** The receipt of the extension with `requestId` if the record has seen it (a repeated extension). */
export function seenExtension(r: FindingRecord | undefined, x: Pick<FindingExtensionRequest, 'requestId'>, now: number): FindingExtensionReceipt | undefined {
  const index = r?.extensions?.findIndex((e) => e.requestId === x.requestId) ?? -1;
  return index >= 0 ? receiptOf(r!, index, now, true) : undefined;
}

/**
 * Applies a checked, allowed extension at `now`: the current round's deadline day moves (so its state and lateness
 * count from it), the record keeps the extension; returns the receipt and the notices that follow (see
 * extensionLadder). The ladder the extension replaces stops by itself (stillDue compares extension numbers).
 */
export function applyExtension(plan: Plan, r: FindingRecord, x: FindingExtensionRequest, now: number): { receipt: FindingExtensionReceipt; events: FindingEvent[] } {
  const round = current(r);
  const dueDay = extendedDeadlineDay(plan, x.until);
  const deadline = roundDeadline(plan, dueDay);
  const extensions = (r.extensions ??= []);
  const sent = sentInRound(r);
  extensions.push({ requestId: x.requestId, at: now, until: x.until, dueDay, deadline, previousDueDay: round.dueDay, round: round.round });
  round.dueDay = dueDay;
  round.deadline = deadline;
  r.version++;
  const events = extensionLadder(plan, now, dueDay, { findingId: r.findingId, round: round.round, extension: extensions.length, ...sent });
  // The notice tells the reason (kept in the system of record, not in the workflow's record).
  events[0].reason = x.reason;
  return { receipt: receiptOf(r, extensions.length - 1, now, false), events };
}
