/** What a unit is told when its report is accepted (or repeated): one rule for the workflow and for the client. */
import type { ReportReceipt } from '../contract/report.js';
import type { UnitPeriodRecord } from '../contract/status.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The receipt of revision `index` of `record`; `answersReturnLate` is the lateness of a revision a return asked for. */
export function reportReceipt(
  r: { taskId: string; unitId: string; period: string },
  record: UnitPeriodRecord,
  index: number,
  duplicate: boolean,
  answersReturnLate?: number,
): ReportReceipt {
  const late = answersReturnLate ?? record.daysLate ?? 0;
  return {
    taskId: r.taskId,
    unitId: r.unitId,
    period: r.period,
    revision: index + 1,
    arrivedAt: iso(record.revisions[index].arrivedAt),
    firstArrivedAt: iso(record.submittedAt!),
    onTime: late === 0,
    daysLate: late,
    duplicate,
    ...(answersReturnLate !== undefined ? { answersReturn: true } : {}),
  };
}
