/** Every report of some units in a plan (task × quarter), open ones first, for a unit's page and a leader's view. Pure. */
import { daysLate, localDateOf } from '../../workflows/calendar/index.js';
import type { Plan } from '../../workflows/contract/plan.js';
import type { PeriodStatus, PlanStatus } from '../../workflows/contract/status.js';
import { awaitingRevision } from './heatmap.js';

/** A scheduled report whose due day is this close is listed right after the open ones. */
export const DUE_SOON_DAYS = 14;

/** One report of a unit, with what its page says about it. */
export interface UnitReport {
  taskId: string;
  taskTitle: string;
  unitId: string;
  unitName: string;
  status: PeriodStatus;
  /** Requested, overdue, escalated, or returned and awaiting its revision: the unit can submit it now. */
  open: boolean;
  /** Not requested yet, but due within DUE_SOON_DAYS. */
  dueSoon: boolean;
  /** The deadline that counts now: the revision's after a return, else the quarter's. */
  deadline: string;
  /** Days late: as recorded once submitted, so far while still open, 0 otherwise. */
  daysLate: number;
}

/** True when the unit can submit this report now (it is asked for, or asked for again after a return). */
export function isOpenReport(p: PeriodStatus): boolean {
  return p.state === 'requested' || p.state === 'overdue' || p.state === 'escalated' || awaitingRevision(p);
}

const DAY_MS = 86_400_000;

/**
 * The reports of `units` in plan order, sorted: open ones (earliest deadline first), then the ones due soon, then
 * the rest (by quarter); `now` decides lateness and what is due soon.
 */
export function unitReports(plan: Plan, status: PlanStatus, units: ReadonlySet<string>, now: number): UnitReport[] {
  const unitNames = new Map(plan.units.map((u) => [u.id, u.name]));
  const byTask = new Map(status.tasks.map((t) => [t.taskId, t]));
  const out: (UnitReport & { order: number })[] = [];
  let order = 0;
  for (const task of plan.tasks) {
    for (const unitId of task.units) {
      if (!units.has(unitId)) continue;
      for (const p of byTask.get(task.id)?.units.find((u) => u.unitId === unitId)?.periods ?? []) {
        const open = isOpenReport(p);
        const deadline = p.revisionDueAt ?? p.dueAt;
        const dueSoon = !open && p.state === 'scheduled' && Date.parse(deadline) - now <= DUE_SOON_DAYS * DAY_MS;
        // Lateness so far of an open report: as the engine will count it if it arrived now (the due day's end).
        const late = open ? daysLate(now, localDateOf(Date.parse(deadline) - 1, plan.timezone), plan.timezone) : (p.daysLate ?? 0);
        out.push({ taskId: task.id, taskTitle: task.title, unitId, unitName: unitNames.get(unitId) ?? unitId, status: p, open, dueSoon, deadline, daysLate: late, order: order++ });
      }
    }
  }
  const rank = (r: UnitReport) => (r.open ? 0 : r.dueSoon ? 1 : 2);
  out.sort((a, b) => rank(a) - rank(b) || (rank(a) < 2 ? Date.parse(a.deadline) - Date.parse(b.deadline) : a.status.period.localeCompare(b.status.period)) || a.order - b.order);
  return out.map(({ order: _order, ...r }) => r);
}
