/** The status of a group's tasks, computed from its records and the moment of asking. Pure. */
import { recordKey } from '../contract/ids.js';
import type { Plan } from '../contract/plan.js';
import type { PeriodState, PeriodStatus, TaskStatus, UnitPeriodRecord } from '../contract/status.js';
import type { TrackedPeriod } from './timeline.js';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The state of one (task, unit, quarter) at `now`. */
export function periodState(period: TrackedPeriod, record: UnitPeriodRecord | undefined, now: number): PeriodState {
  if (!period.tracked) return 'untracked';
  if (!record) return 'scheduled';
  if (record.submittedAt !== undefined) return (record.daysLate ?? 0) > 0 ? 'late' : 'submitted';
  if (record.escalations > 0) return 'escalated';
  return now >= period.schedule.deadline ? 'overdue' : 'requested';
}

/** Status rows for every task of the plan, unit and quarter. */
export function groupStatus(
  plan: Plan,
  periods: TrackedPeriod[],
  records: Record<string, UnitPeriodRecord>,
  now: number,
): TaskStatus[] {
  return plan.tasks.map((task) => ({
    taskId: task.id,
    units: task.units.map((unitId) => ({
      unitId,
      periods: periods.map((p): PeriodStatus => {
        const record = records[recordKey(task.id, unitId, p.schedule.period)];
        const last = record?.revisions[record.revisions.length - 1];
        return {
          period: p.schedule.period,
          state: periodState(p, record, now),
          requestedAt: iso(record?.requestedAt),
          dueAt: new Date(p.schedule.deadline).toISOString(),
          submittedAt: iso(record?.submittedAt),
          daysLate: record?.submittedAt !== undefined ? (record.daysLate ?? 0) : null,
          reminders: record?.reminders ?? 0,
          escalations: record?.escalations ?? 0,
          revisions: record?.revisions.length ?? 0,
          reportStatus: last?.status ?? null,
          progress: last?.progress ?? null,
          deliveryIssues: record?.deliveryIssues ?? [],
        };
      }),
    })),
  }));
}
