/**
 * Whether a group accepts a report or a decision now: the refusals, in the order they are checked, or none. Pure: a
 * function of the group's plan and records and of the moment; the update validators call it.
 */
import { arrivalOf } from '../contract/arrival.js';
import { recordKey } from '../contract/ids.js';
import type { Plan, Task, Unit } from '../contract/plan.js';
import { schemaRefusals, type Refusal, type RefusalCode, type RefusalParams } from '../contract/refusals.js';
import { decisionSubmissionSchema, progressRefusal, reportSubmissionSchema } from '../contract/submission.js';
import type { UnitPeriodRecord } from '../contract/status.js';
import { extensionInputSchema } from '../contract/report.js';
import { compareDates, localDateOf } from '../calendar/index.js';
import { closeOf, currentDue, extendedDueDay } from './extension.js';
import { lastDecision } from './status.js';
import type { TrackedPeriod } from './timeline.js';

/** What the checks read of a group. */
export interface ReportScope {
  plan: Plan;
  tasks: Map<string, Task>;
  units: Map<string, Unit>;
  byPeriod: Map<string, TrackedPeriod>;
  records: Record<string, UnitPeriodRecord>;
  maxRevisions: number;
  /** Extensions kept per report before further ones are refused (absent: no bound). */
  maxExtensions?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Thrown inside the checks to stop at the first refusal; caught before it leaves this module. */
class Refused {
  constructor(readonly refusals: Refusal[]) {}
}
const no = (field: string, code: RefusalCode, params: RefusalParams = {}): never => {
  throw new Refused([{ field, code, params }]);
};
function checked(run: () => void): Refusal[] {
  try {
    run();
    return [];
  } catch (err) {
    if (err instanceof Refused) return err.refusals;
    throw err;
  }
}

/** The refusals of a unit's report at `now` (none: accept it, or answer a repeated request id with its first receipt). */
export function reportRefusals(g: ReportScope, raw: unknown, now: number): Refusal[] {
  const parsed = reportSubmissionSchema.safeParse(raw);
  if (!parsed.success) return schemaRefusals(parsed.error.issues);
  const r = parsed.data;
  const planId = g.plan.id;
  return checked(() => {
    const task = g.tasks.get(r.taskId) ?? no('taskId', 'unknownTask', { taskId: r.taskId, planId });
    if (!g.units.has(r.unitId) && !task.units.includes(r.unitId)) no('unitId', 'unknownUnit', { unitId: r.unitId, planId });
    if (!task.units.includes(r.unitId)) no('unitId', 'notResponsible', { unitId: r.unitId, taskId: r.taskId });
    const outOfRange = progressRefusal(task, r.progress);
    if (outOfRange) throw new Refused([outOfRange]);
    const period = g.byPeriod.get(r.period) ?? no('period', 'notAQuarter', { period: r.period, planId, start: g.plan.start, end: g.plan.end });
    if (!period.tracked) no('period', 'notTracked', { period: r.period });
    const record = g.records[recordKey(r.taskId, r.unitId, r.period)] ?? no('period', 'notRequestedYet', { period: r.period, requestAt: iso(period.requestAt) });
    if (record.revisions.some((v) => v.requestId === r.requestId)) return; // a repeat: answered with the first receipt
    // The report counts from when the engine received it, within the bounds of contract/arrival.ts.
    const arrival = arrivalOf(r.receivedAt, now);
    if ('problem' in arrival) {
      no('receivedAt', arrival.problem === 'future' ? 'receivedInFuture' : 'arrivedTooLate', { receivedAt: iso(arrival.at), now: iso(now) });
    }
    if (arrival.at < period.requestAt) no('period', 'notRequestedYet', { period: r.period, requestAt: iso(period.requestAt) });
    const decision = lastDecision(record);
    if (decision?.decision === 'accept') no('period', 'locked', { period: r.period, at: iso(decision.at) });
    // A returned report reopens its quarter for the revision, even past the quarter's close.
    // An extension keeps the quarter open for its report until the extension's close.
    const closeAt = closeOf(period, record);
    if (record.awaitingSince === undefined && arrival.at >= closeAt) no('period', 'closed', { period: r.period, closeAt: iso(closeAt), noMore: 1 });
    if (record.revisions.length >= g.maxRevisions) no('requestId', 'tooManyRevisions', { max: g.maxRevisions });
  });
}

/** The refusals of headquarters' decision at `now` (none: apply it, or answer a repeated request id). */
export function decisionRefusals(g: ReportScope, raw: unknown, now: number): Refusal[] {
  const parsed = decisionSubmissionSchema.safeParse(raw);
  if (!parsed.success) return schemaRefusals(parsed.error.issues);
  const d = parsed.data;
  const planId = g.plan.id;
  return checked(() => {
    const task = g.tasks.get(d.taskId) ?? no('taskId', 'unknownTask', { taskId: d.taskId, planId });
    if (!task.units.includes(d.unitId)) no('unitId', 'notResponsible', { unitId: d.unitId, taskId: d.taskId });
    const period = g.byPeriod.get(d.period) ?? no('period', 'notAQuarter', { period: d.period, planId });
    const record = g.records[recordKey(d.taskId, d.unitId, d.period)];
    if (!record || record.submittedAt === undefined) no('period', 'noReportYet', { taskId: d.taskId, unitId: d.unitId, period: d.period });
    if (record.decisions?.some((x) => x.requestId === d.requestId)) return; // a repeat
    const last = lastDecision(record);
    if (last?.decision === 'accept') no('decision', 'locked', { at: iso(last.at) });
    if (d.decision === 'return' && record.awaitingSince !== undefined) no('decision', 'awaitingRevision', { at: iso(record.awaitingSince) });
    // An extension that moved the close keeps the report open to a return until then.
    if (d.decision === 'return' && now >= closeOf(period, record)) no('period', 'closed', { period: d.period, closeAt: iso(closeOf(period, record)) });
  });
}

/**
 * The refusals of headquarters' extension at `now` (none: apply it, or answer a repeated request id). The report must
 * have been requested, not accepted, and be awaited (not arrived, or returned); the new due day must be after its
 * current one and not passed.
 */
export function extensionRefusals(g: ReportScope, raw: unknown, now: number): Refusal[] {
  const parsed = extensionInputSchema.safeParse(raw);
  if (!parsed.success) return schemaRefusals(parsed.error.issues);
  const x = parsed.data;
  const planId = g.plan.id;
  return checked(() => {
    const task = g.tasks.get(x.taskId) ?? no('taskId', 'unknownTask', { taskId: x.taskId, planId });
    if (!g.units.has(x.unitId) && !task.units.includes(x.unitId)) no('unitId', 'unknownUnit', { unitId: x.unitId, planId });
    if (!task.units.includes(x.unitId)) no('unitId', 'notResponsible', { unitId: x.unitId, taskId: x.taskId });
    const period = g.byPeriod.get(x.period) ?? no('period', 'notAQuarter', { period: x.period, planId, start: g.plan.start, end: g.plan.end });
    if (!period.tracked) no('period', 'notTracked', { period: x.period });
    const record = g.records[recordKey(x.taskId, x.unitId, x.period)] ?? no('period', 'notRequestedYet', { period: x.period, requestAt: iso(period.requestAt) });
    if (record.extensions?.some((e) => e.requestId === x.requestId)) return; // a repeat: answered with the first receipt
    const decision = lastDecision(record);
    if (decision?.decision === 'accept') no('period', 'locked', { period: x.period, at: iso(decision.at) });
    if (record.submittedAt !== undefined && record.awaitingSince === undefined) no('period', 'notDueNow', { period: x.period, at: iso(record.submittedAt) });
    if (record.awaitingSince === undefined && now >= closeOf(period, record)) no('period', 'closed', { period: x.period, closeAt: iso(closeOf(period, record)) });
    if (g.maxExtensions !== undefined && (record.extensions?.length ?? 0) >= g.maxExtensions) no('requestId', 'tooManyExtensions', { max: g.maxExtensions });
    const current = currentDue(period, record).dueDay;
    const dueDay = extendedDueDay(g.plan, x.until);
    if (compareDates(dueDay, current) <= 0) no('until', 'notLaterDue', { until: x.until, dueDay, current });
    const today = localDateOf(now, g.plan.timezone);
    if (compareDates(dueDay, today) < 0) no('until', 'duePassed', { until: x.until, dueDay, today });
  });
}
