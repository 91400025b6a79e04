/**
 * What an amendment may not do to a running plan, as typed refusals located by field. The new version's own validity
 * (every reference between ids, its calendar, its cadence) is `checkPlan`'s; `checkAmendment` runs both.
 * Pure and sandbox-safe: the client's preview and the plan workflow's Update validator share it.
 */
import { localDateOf, periodsOf } from '../calendar/index.js';
import { checkPlan, type PlanIssue } from '../contract/plan-check.js';
import type { Plan } from '../contract/plan.js';
import type { Refusal } from '../contract/refusals.js';

/** What a running plan keeps for good, with why. */
const UNCHANGEABLE = [
  { field: 'id', hint: 'a plan of another id is a new plan: start it' },
  { field: 'timezone', hint: 'every day and instant already recorded is local to it' },
  { field: 'start', hint: 'the quarters already tracked count from it' },
] as const;

/** What the earliest end is counted from: the plan's start, the quarter in progress (`period`), or the local day of `at`. */
export interface EndBasis {
  min: string;
  why: string;
  basis: 'start' | 'quarter' | 'today';
  period?: string;
}

/** `earliestEnd` with what it is counted from, for the words of each surface (the refusal carries `basis` and `period`). */
export function earliestEndBasis(before: Plan, at: number): EndBasis {
  const today = localDateOf(at, before.timezone);
  if (today < before.start) return { min: before.start, why: `the plan starts on ${before.start}`, basis: 'start' };
  const period = periodsOf(before.start, before.end).find((p) => p.first <= today && today <= p.last);
  if (period) return { min: period.last, why: `the quarter in progress, ${period.id}, ends on ${period.last}`, basis: 'quarter', period: period.id };
  return { min: today, why: `today is ${today} in ${before.timezone}`, basis: 'today' };
}

/**
 * The earliest end an amendment applied at `at` may give: the last day of the quarter in progress (as the plan in
 * force clips it), or the local day of `at` once the plan has run past its end; before the start, the start.
 */
export function earliestEnd(before: Plan, at: number): { min: string; why: string } {
  const { min, why } = earliestEndBasis(before, at);
  return { min, why };
}

/**
 * Why `after` cannot replace `before` at `at`: a changed id, time zone or start; an end (when it changes) before the
 * last day of the quarter in progress, or before the local day of `at`. Empty when it may.
 */
export function amendmentRefusals(before: Plan, after: Plan, at: number): Refusal[] {
  const out: Refusal[] = [];
  for (const { field, hint } of UNCHANGEABLE) {
    if (before[field] !== after[field]) out.push({ field, code: 'amendUnchangeable', params: { from: before[field], to: after[field], hint } });
  }
  if (after.end !== before.end) {
    const { min, why, basis, period } = earliestEndBasis(before, at);
    if (after.end < min) out.push({ field: 'end', code: 'amendEndTooEarly', params: { min, why, end: after.end, basis, ...(period ? { period } : {}) } });
  }
  return out;
}

/** A plan problem found by `checkPlan` as a refusal (the path of the field, or `plan` for the file as a whole). */
export function planIssueRefusals(issues: readonly PlanIssue[]): Refusal[] {
  return issues.map((i) => ({ field: i.path || 'plan', code: 'invalid', params: { message: i.message } }));
}

export type AmendmentCheck = { ok: true; plan: Plan } | { ok: false; refusals: Refusal[] };

/** The new version checked exactly like a new plan, then against the version in force: every refusal, located. */
export function checkAmendment(before: Plan, raw: unknown, at: number): AmendmentCheck {
  const checked = checkPlan(raw);
  if (!checked.ok) return { ok: false, refusals: planIssueRefusals(checked.issues) };
  const refusals = amendmentRefusals(before, checked.plan, at);
  return refusals.length ? { ok: false, refusals } : { ok: true, plan: checked.plan };
}
