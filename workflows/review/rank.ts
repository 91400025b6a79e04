/** Merges the groups' tallies into a review: ranking, advanced and backward units, tasks behind plan, lagging units. Pure. */
import type { AssessmentWeights, Plan } from '../contract/plan.js';
import { closureRate, coverageAt, hasInspections, type CoverageProgress, type FindingsTally, type UnitFindings } from './findings.js';
import { compareScores, unitScore, type UnitScore } from './score.js';
import type { FlaggedReport, GroupTally, TargetProgress, UnitTally } from './tally.js';
import type { ReviewWindow } from './windows.js';

export interface RankedUnit extends UnitTally {
  rank: number;
  onTimeRate: number;
  /** Places gained since the previous annual summary (positive = moved up); null when not ranked then. */
  rankChange?: number | null;
  /** Plans with inspections: the unit's findings due in the window and how they stand. */
  findings?: Omit<UnitFindings, 'unitId'>;
  /** Plans with inspections: findings closed on time / due; null when none was due (it then ranks as fully closed). */
  closureRate?: number | null;
  /** Plans with assessment weights: the unit's score and its parts. */
  score?: UnitScore;
}

/** A unit's findings figures as a review shows them. */
export interface UnitFindingsRow extends UnitFindings {
  closureRate: number | null;
}

/** What a review shows of the plan's inspections. */
export interface ReviewFindings {
  /** Every unit with findings due in the window, ranked or not, in plan order. */
  units: UnitFindingsRow[];
  coverage: CoverageProgress | null;
}

export interface BehindPlan {
  taskId: string;
  expected: number;
  actual: number | null;
  metric: string;
  total: number;
}

/** Why a unit is lagging: data, worded by each document's and notice's language. */
export type LaggingReason =
  | { kind: 'backward'; rank: number; of: number }
  | { kind: 'missing'; count: number }
  | { kind: 'overdueFindings'; count: number }
  | { kind: 'behindPlan'; taskId: string; metric: string; expected: number; actual: number | null };

export interface LaggingUnit {
  unitId: string;
  reasons: LaggingReason[];
}

export interface LeaderLagging {
  leaderId: string;
  units: LaggingUnit[];
}

/** The computed content of one review or summary, the same for its JSON, Markdown and HTML. */
export interface Review {
  /** Set for amended plans: the plan versions in force during the window (the first from its moment on). */
  versions?: { version: number; from: string; reason: string | null }[];
  planId: string;
  planTitle: string;
  window: string;
  kind: 'review' | 'summary';
  at: string;
  periods: string[];
  ranking: RankedUnit[];
  advanced: string[];
  backward: string[];
  behindPlan: BehindPlan[];
  /** Off-track and at-risk reports, at most MAX_FLAGGED of them; `flaggedTotal` counts them all. */
  flagged: FlaggedReport[];
  flaggedTotal: number;
  lagging: LeaderLagging[];
  /** Units that are lagging but have no leader to notify. */
  laggingWithoutLeader: LaggingUnit[];
  /** Per task, one heatmap code per plan quarter (see CellCode), as a string. */
  heatmap: { taskId: string; cells: string }[];
  allPeriods: string[];
  previousWindow: string | null;
  /** Present for plans with inspections. */
  findings?: ReviewFindings;
  /** Present when the plan's assessment has weights: the ranking then orders by score. */
  weights?: AssessmentWeights;
}

/** Flagged reports listed in one review: keeps its payload well under Temporal's 2 MB at any scale. */
export const MAX_FLAGGED = 1_000;

/** ceil(share x n), immune to float noise such as 0.3 x 10 = 3.0000000000000004. */
export function shareCount(share: number, n: number): number {
  return Math.ceil(Math.round(share * n * 1e9) / 1e9);
}

/** A unit's closure rate as the ranking weighs it: none due counts as fully closed; plans without findings tie. */
const closureKey = (u: RankedUnit) => (u.closureRate === undefined ? 0 : (u.closureRate ?? 1));

/** Orders units: on-time rate, then closure rate, descending, then missing, days late and escalations ascending, then unit id. */
export function compareUnits(a: RankedUnit, b: RankedUnit): number {
  return (
    b.onTimeRate - a.onTimeRate ||
    closureKey(b) - closureKey(a) ||
    a.missing - b.missing ||
    a.daysLate - b.daysLate ||
    a.escalations - b.escalations ||
    (a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0)
  );
}

/** Adds up the units' tallies over the groups. */
export function mergeTallies(parts: GroupTally[]): UnitTally[] {
  const merged = new Map<string, UnitTally>();
  for (const part of parts) {
    for (const u of part.units) {
      const m = merged.get(u.unitId) ?? { unitId: u.unitId, due: 0, onTime: 0, late: 0, missing: 0, daysLate: 0, escalations: 0 };
      m.due += u.due;
      m.onTime += u.onTime;
      m.late += u.late;
      m.missing += u.missing;
      m.daysLate += u.daysLate;
      m.escalations += u.escalations;
      if (u.decided !== undefined) {
        m.decided = (m.decided ?? 0) + u.decided;
        m.acceptedClean = (m.acceptedClean ?? 0) + (u.acceptedClean ?? 0);
      }
      merged.set(u.unitId, m);
    }
  }
  return [...merged.values()];
}

/** Whether a task's target is behind plan, given how far below the expected progress it may fall. */
const isBehind = (t: TargetProgress, tolerance: number) => t.actual === null || t.actual < t.expected * (1 - tolerance);

/** The share of a unit's target tasks not behind plan; null when none of its tasks has a target. */
export function progressShare(unitId: string, targets: TargetProgress[], tolerance: number): number | null {
  const own = targets.filter((t) => t.units.includes(unitId));
  return own.length ? own.filter((t) => !isBehind(t, tolerance)).length / own.length : null;
}

/**
 * Builds the review of `window` from every group's tally and, for plans with findings, the window's findings tally;
 * `previous` holds the ranks of the previous annual summary.
 */
export function buildReview(
  plan: Plan,
  window: ReviewWindow,
  parts: GroupTally[],
  allPeriods: string[],
  previous: { window: string; ranks: Record<string, number> } | null,
  findings: FindingsTally | null = null,
): Review {
  const ordered = [...parts].sort((a, b) => a.groupIndex - b.groupIndex);
  const tolerance = plan.assessment.progressTolerance;
  const targets = ordered.flatMap((p) => p.targets);
  const inspections = hasInspections(plan);
  const findingsOf = new Map((findings?.units ?? []).map((f) => [f.unitId, f]));
  const weights = plan.assessment.weights;
  const ranking: RankedUnit[] = mergeTallies(ordered)
    .filter((u) => u.due > 0)
    .map((u) => {
      const ranked: RankedUnit = { ...u, rank: 0, onTimeRate: u.onTime / u.due };
      if (inspections) {
        const { unitId: _id, ...f } = findingsOf.get(u.unitId) ?? { unitId: u.unitId, due: 0, closedOnTime: 0, closedLate: 0, overdue: 0, reopened: 0 };
        ranked.findings = f;
        ranked.closureRate = closureRate(f);
      }
      if (weights) {
        ranked.score = unitScore(weights, {
          timeliness: ranked.onTimeRate,
          progress: progressShare(u.unitId, targets, tolerance),
          quality: u.decided ? (u.acceptedClean ?? 0) / u.decided : null,
          findings: ranked.closureRate ?? null,
        });
      }
      return ranked;
    })
    .sort((a, b) => (weights ? compareScores(a.score!.score, b.score!.score) : 0) || compareUnits(a, b))
    .map((u, i) => ({ ...u, rank: i + 1 }));
  const n = ranking.length;
  const overdueFindings = (u: RankedUnit) => u.findings?.overdue ?? 0;
  // A unit with an overdue finding is never named advanced.
  const advanced = ranking
    .filter((u) => u.late === 0 && u.missing === 0 && overdueFindings(u) === 0)
    .slice(0, shareCount(plan.assessment.advancedShare, n))
    .map((u) => u.unitId);
  const laggards = ranking.filter((u) => u.late + u.missing + overdueFindings(u) > 0);
  const k = shareCount(plan.assessment.backwardShare, n);
  const backward = (k > 0 ? laggards.slice(-k) : []).map((u) => u.unitId);
  if (previous && window.kind === 'summary' && window.id !== 'plan') {
    for (const u of ranking) u.rankChange = previous.ranks[u.unitId] !== undefined ? previous.ranks[u.unitId] - u.rank : null;
  }
  const behind = targets.filter((t) => isBehind(t, tolerance));
  const behindPlan = behind.map((t) => ({ taskId: t.taskId, expected: t.expected, actual: t.actual, metric: t.metric, total: t.total }));

  const reasons = new Map<string, LaggingReason[]>();
  const because = (unitId: string, reason: LaggingReason) => reasons.set(unitId, [...(reasons.get(unitId) ?? []), reason]);
  for (const u of ranking) {
    if (backward.includes(u.unitId)) because(u.unitId, { kind: 'backward', rank: u.rank, of: n });
    if (u.missing > 0) because(u.unitId, { kind: 'missing', count: u.missing });
  }
  // Ranked or not: a unit with an overdue finding is lagging.
  for (const f of findings?.units ?? []) if (f.overdue > 0) because(f.unitId, { kind: 'overdueFindings', count: f.overdue });
  for (const t of behind) {
    for (const unitId of t.units) because(unitId, { kind: 'behindPlan', taskId: t.taskId, metric: t.metric, expected: t.expected, actual: t.actual });
  }
  const flagged = ordered.flatMap((p) => p.flagged);
  const byLeader = new Map<string, LaggingUnit[]>();
  const withoutLeader: LaggingUnit[] = [];
  for (const unit of plan.units) {
    const why = reasons.get(unit.id);
    if (!why) continue;
    if (unit.leader) byLeader.set(unit.leader, [...(byLeader.get(unit.leader) ?? []), { unitId: unit.id, reasons: why }]);
    else withoutLeader.push({ unitId: unit.id, reasons: why });
  }
  const lagging = plan.leaders.filter((l) => byLeader.has(l.id)).map((l) => ({ leaderId: l.id, units: byLeader.get(l.id)! }));

  return {
    planId: plan.id,
    planTitle: plan.title,
    window: window.id,
    kind: window.kind,
    at: new Date(window.at).toISOString(),
    periods: window.periods,
    ranking,
    advanced,
    backward,
    behindPlan,
    flagged: flagged.slice(0, MAX_FLAGGED),
    flaggedTotal: flagged.length,
    lagging,
    laggingWithoutLeader: withoutLeader,
    heatmap: ordered.flatMap((p) => p.heatmap),
    allPeriods,
    previousWindow: previous && window.kind === 'summary' && window.id !== 'plan' ? previous.window : null,
    ...(inspections ? { findings: { units: (findings?.units ?? []).map((f) => ({ ...f, closureRate: closureRate(f) })), coverage: coverageAt(plan, window) } } : {}),
    ...(weights ? { weights } : {}),
  };
}

