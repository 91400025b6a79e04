/** What one group of tasks contributes to a review: per-unit counts, target progress, flagged reports, heatmap. Pure. */
import { recordKey } from '../contract/ids.js';
import type { Plan } from '../contract/plan.js';
import { pairTracked, type Membership } from '../amend/track.js';
import type { UnitPeriodRecord } from '../contract/status.js';
import type { TrackedPeriod } from '../cycle/timeline.js';
import type { ReviewWindow } from './windows.js';

export interface UnitTally {
  unitId: string;
  due: number;
  onTime: number;
  late: number;
  missing: number;
  daysLate: number;
  escalations: number;
  /** With assessment weights only: reports due in the window that headquarters had decided on by the moment. */
  decided?: number;
  /** With assessment weights only: of those, reports accepted and never returned. */
  acceptedClean?: number;
}

export interface TargetProgress {
  taskId: string;
  metric: string;
  total: number;
  expected: number;
  actual: number | null;
  reportedBy: string;
  units: string[];
}

export interface FlaggedReport {
  taskId: string;
  unitId: string;
  period: string;
  status: string;
  problems: string | null;
  /** The revision flagged; once its texts are in the database the group keeps none, and the review reads them there. */
  requestId?: string;
}

/** Heatmap cell of a task and quarter, the worst among its units: M missing, L late, S on time, P not yet due, U untracked. */
export type CellCode = 'M' | 'L' | 'S' | 'P' | 'U';

export interface GroupTally {
  window: string;
  groupIndex: number;
  units: UnitTally[];
  targets: TargetProgress[];
  flagged: FlaggedReport[];
  /** One code per plan quarter, in order, as a string ("SSLM"): compact at the scale of a province. */
  heatmap: { taskId: string; cells: string }[];
}

const WORST: CellCode[] = ['M', 'L', 'S', 'P', 'U'];

/** The group's contribution to `window`, as it stood at the window's moment. */
export function groupTally(
  plan: Plan,
  groupIndex: number,
  periods: TrackedPeriod[],
  records: Record<string, UnitPeriodRecord>,
  window: ReviewWindow,
  membership?: Membership,
): GroupTally {
  const at = window.at;
  const inWindow = new Set(window.periods);
  // Only a weighted assessment counts decisions: the tallies of every other plan keep the shape they always had.
  const weighted = plan.assessment?.weights !== undefined;
  const tallies = new Map<string, UnitTally>();
  const tally = (unitId: string) => {
    let t = tallies.get(unitId);
    if (!t) tallies.set(unitId, (t = { unitId, due: 0, onTime: 0, late: 0, missing: 0, daysLate: 0, escalations: 0, ...(weighted ? { decided: 0, acceptedClean: 0 } : {}) }));
    return t;
  };
  const flagged: FlaggedReport[] = [];
  const heatmap: GroupTally['heatmap'] = [];
  for (const task of plan.tasks) {
    const cells: CellCode[] = [];
    for (const p of periods) {
      let worst = 4;
      for (const unitId of task.units) {
        const record = records[recordKey(task.id, unitId, p.schedule.period)];
        // A pair that joined later or left before the request is not due; a quarter withdrawn while open neither.
        const counts = pairTracked(membership, task.id, unitId, p, record !== undefined) && record?.withdrawnAt === undefined;
        const code = counts ? cellCode(p, record, at) : 'U';
        worst = Math.min(worst, WORST.indexOf(code));
        if (!inWindow.has(p.schedule.period)) continue;
        const t = tally(unitId);
        if (counts && p.tracked && p.schedule.deadline <= at) {
          t.due++;
          const arrived = record?.submittedAt !== undefined && record.submittedAt <= at ? record.submittedAt : undefined;
          if (arrived === undefined) t.missing++;
          else if (arrived < p.schedule.deadline) t.onTime++;
          else {
            t.late++;
            t.daysLate += record!.daysLate ?? 0;
          }
          t.escalations += (record?.escalatedAt ?? []).filter((e) => e <= at).length;
          const decisions = weighted ? (record?.decisions ?? []).filter((d) => d.at <= at) : [];
          if (decisions.length) {
            t.decided!++;
            if (!decisions.some((d) => d.decision === 'return')) t.acceptedClean!++;
          }
        }
        const last = lastRevisionBy(record, at);
        if (last && (last.status === 'off-track' || last.status === 'at-risk')) {
          flagged.push({ taskId: task.id, unitId, period: p.schedule.period, status: last.status, problems: last.problems ?? null, requestId: last.requestId });
        }
      }
      cells.push(WORST[worst]);
    }
    heatmap.push({ taskId: task.id, cells: cells.join('') });
  }
  const dueQuarters = periods.filter((p) => p.schedule.deadline <= at).length;
  const targets: TargetProgress[] = plan.tasks
    .filter((t) => t.target)
    .map((task) => {
      const target = task.target!;
      const reportedBy = target.reportedBy ?? task.units[0];
      let best: { at: number; progress: number } | null = null;
      for (const p of periods) {
        for (const rev of records[recordKey(task.id, reportedBy, p.schedule.period)]?.revisions ?? []) {
          if (rev.progress === undefined || rev.arrivedAt > at) continue;
          if (!best || rev.arrivedAt > best.at) best = { at: rev.arrivedAt, progress: rev.progress };
        }
      }
      return {
        taskId: task.id,
        metric: target.metric,
        total: target.total,
        expected: (target.total * dueQuarters) / periods.length,
        actual: best ? best.progress : null,
        reportedBy,
        units: task.units,
      };
    });
  return { window: window.id, groupIndex, units: [...tallies.values()], targets, flagged, heatmap };
}

function lastRevisionBy(record: UnitPeriodRecord | undefined, at: number) {
  const revs = record?.revisions.filter((r) => r.arrivedAt <= at) ?? [];
  return revs[revs.length - 1];
}

function cellCode(p: TrackedPeriod, record: UnitPeriodRecord | undefined, at: number): CellCode {
  if (!p.tracked) return 'U';
  const arrived = record?.submittedAt !== undefined && record.submittedAt <= at ? record.submittedAt : undefined;
  if (arrived !== undefined) return arrived < p.schedule.deadline ? 'S' : 'L';
  return p.schedule.deadline <= at ? 'M' : 'P';
}
