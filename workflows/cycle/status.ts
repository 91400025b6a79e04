/** The status of a group's tasks, computed from its records and the moment of asking. Pure. */
import { recordKey } from '../contract/ids.js';
import type { Plan } from '../contract/plan.js';
import type { PeriodState, PeriodStatus, TaskStatus, TimelineEntry, UnitPeriodRecord } from '../contract/status.js';
import type { TrackedPeriod } from './timeline.js';
import { quarterDue, quarterExtension, revisionDue } from './extension.js';
import { pairTracked, type Membership } from '../amend/track.js';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The last decision of headquarters on a report, if any. */
export function lastDecision(record: UnitPeriodRecord | undefined) {
  return record?.decisions?.[record.decisions.length - 1];
}

/** How many times the report was returned. */
export function roundOf(record: UnitPeriodRecord | undefined): number {
  return record?.decisions?.filter((d) => d.decision === 'return').length ?? 0;
}

/** The state of one (task, unit, quarter) at `now`. */
export function periodState(period: TrackedPeriod, record: UnitPeriodRecord | undefined, now: number): PeriodState {
  if (!period.tracked) return 'untracked';
  if (!record) return 'scheduled';
  if (record.withdrawnAt !== undefined) return 'withdrawn';
  if (record.awaitingSince !== undefined) {
    // Returned for revision: the revision's own ladder and deadline decide (an extension's, once extended).
    const due = revisionDue(record);
    const since = due?.extension?.at ?? record.awaitingSince;
    if ((record.sent ?? []).some((s) => s.kind === 'escalation' && s.round === roundOf(record) && s.at >= since)) return 'escalated';
    return due !== undefined && now >= due.deadline ? 'overdue' : 'requested';
  }
  if (record.submittedAt !== undefined) return (record.daysLate ?? 0) > 0 ? 'late' : 'submitted';
  const extension = quarterExtension(record);
  if (extension) {
    // Extended: only what came after the extension counts, against the new due day.
    if ((record.sent ?? []).some((s) => s.kind === 'escalation' && s.round === 0 && s.at >= extension.at)) return 'escalated';
    return now >= extension.deadline ? 'overdue' : 'requested';
  }
  if (record.escalations > 0) return 'escalated';
  return now >= period.schedule.deadline ? 'overdue' : 'requested';
}

/** Status rows for every task of the plan, unit and quarter. */
export function groupStatus(
  plan: Plan,
  periods: TrackedPeriod[],
  records: Record<string, UnitPeriodRecord>,
  now: number,
  membership?: Membership,
): TaskStatus[] {
  return plan.tasks.map((task) => ({
    taskId: task.id,
    units: task.units.map((unitId) => ({
      unitId,
      periods: periods.map((p): PeriodStatus => {
        const record = records[recordKey(task.id, unitId, p.schedule.period)];
        const last = record?.revisions[record.revisions.length - 1];
        const decision = lastDecision(record);
        const extensions = record?.extensions?.length ?? 0;
        return {
          period: p.schedule.period,
          state: pairTracked(membership, task.id, unitId, p, record !== undefined) ? periodState(p, record, now) : 'untracked',
          requestedAt: iso(record?.requestedAt),
          dueAt: new Date(quarterDue(p, record).deadline).toISOString(),
          submittedAt: iso(record?.submittedAt),
          daysLate: record?.submittedAt !== undefined ? (record.daysLate ?? 0) : null,
          reminders: record?.reminders ?? 0,
          escalations: record?.escalations ?? 0,
          revisions: record?.revisions.length ?? 0,
          reportStatus: last?.status ?? null,
          progress: last?.progress ?? null,
          deliveryIssues: record?.deliveryIssues ?? [],
          review: decision ? (decision.decision === 'accept' ? 'accepted' : 'returned') : null,
          revisionDueAt: record?.awaitingSince !== undefined ? iso(revisionDue(record)?.deadline) : null,
          round: roundOf(record),
          ...(extensions ? { extensions } : {}),
          ...(record?.dueMoves ? { dueMoves: record.dueMoves } : {}),
        };
      }),
    })),
  }));
}

/** Every notice, report and decision of one task, oldest first. */
export function taskTimeline(plan: Plan, taskId: string, records: Record<string, UnitPeriodRecord>, periods: TrackedPeriod[]): TimelineEntry[] {
  const task = plan.tasks.find((t) => t.id === taskId);
  if (!task) return [];
  const entries: (TimelineEntry & { ms: number })[] = [];
  for (const unitId of task.units) {
    for (const p of periods) {
      const period = p.schedule.period;
      const record = records[recordKey(taskId, unitId, period)];
      if (!record) continue;
      const base = { unitId, period };
      for (const s of record.sent ?? []) {
        if (s.kind === 'returned' || s.kind === 'extended') continue; // shown with its decision or extension, which say why
        entries.push({ ...base, ms: s.at, at: iso(s.at)!, kind: s.kind as TimelineEntry['kind'], number: s.number, round: s.round, detail: null });
      }
      record.revisions.forEach((r, i) =>
        entries.push({ ...base, ms: r.arrivedAt, at: iso(r.arrivedAt)!, kind: 'report', number: i + 1, round: 0, detail: `${r.status}: ${r.summary.slice(0, 200)}` }),
      );
      (record.extensions ?? []).forEach((x, i) =>
        entries.push({ ...base, ms: x.at, at: iso(x.at)!, kind: 'extended', number: i + 1, round: x.round, detail: `${x.reason} (due ${x.dueDay}${x.by ? `, by ${x.by}` : ''})` }),
      );
      let round = 0;
      for (const d of record.decisions ?? []) {
        if (d.decision === 'return') round++;
        entries.push({
          ...base,
          ms: d.at,
          at: iso(d.at)!,
          kind: d.decision === 'accept' ? 'accepted' : 'returned',
          number: d.decision === 'accept' ? 1 : round,
          round,
          detail: d.decision === 'return' ? `${d.comment ?? ''} (revise by ${d.revisionDueDay})` : (d.by ?? null),
        });
      }
    }
  }
  return entries.sort((a, b) => a.ms - b.ms).map(({ ms: _ms, ...e }) => e);
}
