/** The heatmap's data: rows of (task, unit) grouped by aspect, one cell per quarter, and who is lagging; the dashboard's summary rows. Pure. */
import type { Plan } from '../../workflows/contract/plan.js';
import type { PeriodState, PeriodStatus, PlanStatus } from '../../workflows/contract/status.js';
import type { DashboardSummary, DrillDown, StateCounts } from '../../store/dashboard.js';

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

/** A quarter that makes its unit lagging: overdue, escalated, late, or returned and awaiting its revision; never a withdrawn one. */
export function isLagging(p: PeriodStatus): boolean {
  return p.state === 'overdue' || p.state === 'escalated' || p.state === 'late' || (p.state !== 'withdrawn' && awaitingRevision(p));
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

/** The heatmap of one aspect's drill-down (store/dashboard.ts `aspectDrillDown`): one group, its rows in plan order. */
export function drillHeatmap(plan: Plan, drill: DrillDown): Heatmap {
  const unitNames = new Map(plan.units.map((u) => [u.id, u.name]));
  const aspect = plan.aspects.find((a) => a.id === drill.aspectId);
  const rows: HeatRow[] = drill.tasks.flatMap((t) =>
    t.units.map((u) => ({ taskId: t.taskId, taskTitle: t.title, unitId: u.unitId, unitName: unitNames.get(u.unitId) ?? u.unitId, cells: u.cells.map((c) => ({ ...c })) })),
  );
  return { periods: drill.periods, groups: rows.length ? [{ aspectId: drill.aspectId, aspectTitle: aspect?.title ?? drill.aspectId, rows }] : [] };
}

/** A row of the dashboard's summary tables: counts by state over all quarters and per quarter. */
export interface SummaryRow {
  id: string;
  title: string;
  /** Tasks of an aspect, or of a unit. */
  tasks: number;
  counts: StateCounts;
  byPeriod: Record<string, StateCounts>;
  laggingRecords: number;
  lagging: boolean;
}

const plus = (a: StateCounts, b: StateCounts): StateCounts => Object.fromEntries(Object.keys(a).map((k) => [k, a[k as PeriodState] + b[k as PeriodState]])) as StateCounts;

/**
 * The summary's rows per aspect and per unit, and its totals per quarter; with `laggingOnly`, only the lagging units
 * (and each aspect counted over those units only).
 */
export function summaryTables(summary: DashboardSummary, laggingOnly: boolean) {
  const keep = (unitId: string) => !laggingOnly || summary.laggingUnits.includes(unitId);
  const units: SummaryRow[] = summary.units
    .filter((u) => keep(u.unitId))
    .map((u) => ({ id: u.unitId, title: u.name, tasks: u.pairs, counts: u.counts, byPeriod: u.byPeriod, laggingRecords: u.laggingRecords, lagging: u.lagging }));
  const aspects: SummaryRow[] = summary.aspects.map((a) => {
    if (!laggingOnly) return { id: a.aspectId, title: a.title, tasks: a.tasks, counts: a.counts, byPeriod: a.byPeriod, laggingRecords: a.laggingRecords, lagging: a.laggingRecords > 0 };
    const cells = a.units.filter((u) => keep(u.unitId));
    const empty = Object.fromEntries(Object.keys(summary.totals.counts).map((k) => [k, 0])) as StateCounts;
    return {
      id: a.aspectId,
      title: a.title,
      tasks: a.tasks,
      counts: cells.reduce((s, u) => plus(s, u.counts), empty),
      byPeriod: Object.fromEntries(summary.periods.map(({ period }) => [period, cells.reduce((s, u) => plus(s, u.byPeriod[period]), empty)])),
      laggingRecords: cells.reduce((s, u) => s + u.laggingRecords, 0),
      lagging: cells.some((u) => u.lagging),
    };
  });
  const empty = Object.fromEntries(Object.keys(summary.totals.counts).map((k) => [k, 0])) as StateCounts;
  const byPeriod = summary.periods.map(({ period, tracked }) => ({ period, tracked, counts: units.reduce((s, u) => plus(s, u.byPeriod[period]), empty) }));
  return { aspects, units, byPeriod };
}
