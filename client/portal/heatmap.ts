/** The heatmap's data: rows of (task, unit) grouped by aspect, one cell per quarter, and who is lagging. Pure. */
import type { Plan } from '../../workflows/contract/plan.js';
import type { PeriodState, PeriodStatus, PlanStatus } from '../../workflows/contract/status.js';

/** One quarter of one (task, unit). */
export interface HeatCell {
  period: string;
  state: PeriodState;
  review: 'accepted' | 'returned' | null;
  /** Returned and its revision not in yet. */
  awaitingRevision: boolean;
}

/** One (task, unit): a cell per quarter, null where the plan has no such quarter for it. */
export interface HeatRow {
  taskId: string;
  taskTitle: string;
  unitId: string;
  unitName: string;
  cells: (HeatCell | null)[];
}

/** The rows of one aspect's tasks. */
export interface HeatGroup {
  aspectId: string;
  aspectTitle: string;
  rows: HeatRow[];
}

/** The whole heatmap: its quarters (columns) and its aspects' rows. */
export interface Heatmap {
  periods: string[];
  groups: HeatGroup[];
}

/** True while a returned report's revision has not arrived. */
export function awaitingRevision(p: PeriodStatus): boolean {
  return (p.review ?? null) === 'returned' && (p.revisionDueAt ?? null) !== null;
}

/** A quarter that makes its unit lagging: overdue, escalated, late, or returned and awaiting its revision. */
export function isLagging(p: PeriodStatus): boolean {
  return p.state === 'overdue' || p.state === 'escalated' || p.state === 'late' || awaitingRevision(p);
}

/** An open or late report, as a leader's list shows them. */
export function isOpenOrLate(p: PeriodStatus): boolean {
  return p.state === 'requested' || isLagging(p);
}

/** The units with a lagging quarter in any of their tasks. */
export function laggingUnits(status: PlanStatus): Set<string> {
  const out = new Set<string>();
  for (const t of status.tasks) for (const u of t.units) if (u.periods.some(isLagging)) out.add(u.unitId);
  return out;
}

/** The heatmap of the plan, limited to `units` when given. */
export function heatmap(plan: Plan, status: PlanStatus, units?: Set<string>): Heatmap {
  const periods = [...new Set(status.tasks.flatMap((t) => t.units.flatMap((u) => u.periods.map((p) => p.period))))].sort();
  const unitNames = new Map(plan.units.map((u) => [u.id, u.name]));
  const byTask = new Map(status.tasks.map((t) => [t.taskId, t]));
  const groups: HeatGroup[] = [];
  for (const aspect of plan.aspects) {
    const rows: HeatRow[] = [];
    for (const task of plan.tasks.filter((t) => t.aspect === aspect.id)) {
      for (const unitId of task.units) {
        if (units && !units.has(unitId)) continue;
        const ps = new Map((byTask.get(task.id)?.units.find((u) => u.unitId === unitId)?.periods ?? []).map((p) => [p.period, p]));
        rows.push({
          taskId: task.id,
          taskTitle: task.title,
          unitId,
          unitName: unitNames.get(unitId) ?? unitId,
          cells: periods.map((period) => {
            const p = ps.get(period);
            return p ? { period, state: p.state, review: p.review ?? null, awaitingRevision: awaitingRevision(p) } : null;
          }),
        });
      }
    }
    if (rows.length) groups.push({ aspectId: aspect.id, aspectTitle: aspect.title, rows });
  }
  return { periods, groups };
}
