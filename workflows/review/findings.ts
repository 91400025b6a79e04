/**
 * What a plan's inspection findings contribute to a review: per unit, the findings due in the window and how they
 * stand at the review's moment, and the inspections' coverage. Pure: the records come from the system of record.
 */
import { compareDates, localDateOf, periodsOf, type LocalDate } from '../calendar/index.js';
import type { FindingRecord } from '../contract/finding.js';
import type { Plan } from '../contract/plan.js';
import type { ReviewWindow } from './windows.js';

/** One unit's findings in a window: those whose first deadline ended by the moment, within the window's days. */
export interface UnitFindings {
  unitId: string;
  /** Findings whose first deadline day is in the window and had ended by the review's moment. */
  due: number;
  /** Of those, closed at the moment by a claim that arrived before its round's deadline ended. */
  closedOnTime: number;
  /** Of those, closed at the moment by a claim that arrived after its round's deadline. */
  closedLate: number;
  /** Of those, past their current round's deadline with no claim in that round at the moment. */
  overdue: number;
  /** Reopenings of those findings at re-check, by the moment. */
  reopened: number;
}

/** The findings figures of a window, one entry per unit with findings due (plan order). */
export interface FindingsTally {
  window: string;
  units: UnitFindings[];
}

/** The inspections' coverage at a review's moment. */
export interface CoverageProgress {
  /** How many coverage targets the plan names. */
  targets: number;
  /** Targets covered by rounds fed back by the moment's day. */
  covered: number;
  /** Of those, first covered by a round fed back within the window. */
  coveredInWindow: number;
  /** The day by which every target must be covered. */
  by: LocalDate;
  /** Targets not covered yet, in the plan's order. */
  uncovered: string[];
  /** Whether the `by` day has passed with targets still uncovered. */
  late: boolean;
}

/** The first and last local day of the window's quarters, as the plan clips them. */
export function windowDays(plan: Plan, window: ReviewWindow): { first: LocalDate; last: LocalDate } {
  const wanted = new Set(window.periods);
  const periods = periodsOf(plan.start, plan.end).filter((p) => wanted.has(p.id));
  if (!periods.length) return { first: plan.start, last: plan.end };
  return { first: periods[0].first, last: periods[periods.length - 1].last };
}

/** How a finding stands at `at`, from the instants its record keeps (a record read a little late changes nothing). */
export type StandingAt = { state: 'closed'; onTime: boolean; reopened: number } | { state: 'claimed' | 'open' | 'overdue'; reopened: number };

/** The finding's state at `at`: closures and reopenings up to it, then a claim awaiting a decision, then its deadline. */
export function standingAt(r: FindingRecord, at: number): StandingAt {
  const deadlineOf = (round: number) => r.rounds.find((x) => x.round === round)?.deadline ?? Infinity;
  const steps = [
    ...r.claims
      .filter((c) => c.decision?.decision === 'accept' && c.decision.at <= at)
      .map((c) => ({ at: c.decision!.at, close: true, onTime: c.at < deadlineOf(c.round) })),
    ...r.rechecks.filter((x) => x.answer?.result === 'reopen' && x.answer.at <= at).map((x) => ({ at: x.answer!.at, close: false, onTime: false })),
  ].sort((a, b) => a.at - b.at);
  let closed: { onTime: boolean } | null = null;
  let reopened = 0;
  for (const s of steps) {
    if (s.close) closed = { onTime: s.onTime };
    else {
      closed = null;
      reopened++;
    }
  }
  if (closed) return { state: 'closed', onTime: closed.onTime, reopened };
  if (r.claims.some((c) => c.at <= at && !(c.decision && c.decision.at <= at))) return { state: 'claimed', reopened };
  const started = r.rounds.filter((x) => x.startedAt <= at);
  const round = started[started.length - 1] ?? r.rounds[0];
  return { state: at >= round.deadline ? 'overdue' : 'open', reopened };
}

/** The findings figures of `window` at its moment, from every finding record of the plan. */
export function findingsTally(plan: Plan, window: ReviewWindow, records: Iterable<FindingRecord>): FindingsTally {
  const { first, last } = windowDays(plan, window);
  const byUnit = new Map<string, UnitFindings>();
  for (const r of records) {
    const round1 = r.rounds[0];
    if (!round1 || round1.deadline > window.at) continue;
    if (compareDates(round1.dueDay, first) < 0 || compareDates(round1.dueDay, last) > 0) continue;
    let u = byUnit.get(r.unitId);
    if (!u) byUnit.set(r.unitId, (u = { unitId: r.unitId, due: 0, closedOnTime: 0, closedLate: 0, overdue: 0, reopened: 0 }));
    u.due++;
    const s = standingAt(r, window.at);
    if (s.state === 'closed') {
      if (s.onTime) u.closedOnTime++;
      else u.closedLate++;
    } else if (s.state === 'overdue') u.overdue++;
    u.reopened += s.reopened;
  }
  const order = new Map(plan.units.map((u, i) => [u.id, i]));
  const units = [...byUnit.values()].sort((a, b) => (order.get(a.unitId) ?? Infinity) - (order.get(b.unitId) ?? Infinity) || (a.unitId < b.unitId ? -1 : 1));
  return { window: window.id, units };
}

/** A unit's closure rate: findings closed on time over findings due; null when none was due. */
export function closureRate(f: Pick<UnitFindings, 'due' | 'closedOnTime'> | undefined): number | null {
  return f && f.due > 0 ? f.closedOnTime / f.due : null;
}

/** The coverage at the window's moment; null when the plan sets no coverage. */
export function coverageAt(plan: Plan, window: ReviewWindow): CoverageProgress | null {
  const coverage = plan.inspections?.coverage;
  if (!coverage) return null;
  const day = localDateOf(window.at, plan.timezone);
  const { first } = windowDays(plan, window);
  const targets = new Set(coverage.targets);
  const covered = new Set<string>();
  const before = new Set<string>();
  for (const round of plan.inspections!.rounds) {
    if (compareDates(round.feedbackDay, day) > 0) continue;
    for (const t of round.covers) {
      if (!targets.has(t)) continue;
      covered.add(t);
      if (compareDates(round.feedbackDay, first) < 0) before.add(t);
    }
  }
  const uncovered = coverage.targets.filter((t) => !covered.has(t));
  return {
    targets: coverage.targets.length,
    covered: covered.size,
    coveredInWindow: [...covered].filter((t) => !before.has(t)).length,
    by: coverage.by,
    uncovered,
    late: uncovered.length > 0 && compareDates(coverage.by, day) < 0,
  };
}

/** Whether the plan has inspection findings or a coverage to report on. */
export function hasInspections(plan: Plan): boolean {
  const i = plan.inspections;
  return !!i && (i.coverage !== undefined || i.rounds.some((r) => r.findings.length > 0));
}

