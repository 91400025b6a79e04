/**
 * The cycles of one group of a plan's tasks: for every quarter, request -> reminders -> escalation ladder for each
 * (task, unit) that has not reported, with one timer and one mail batch per shared instant.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { daysLate } from './calendar/index.js';
import { planWorkflowId, recordKey } from './contract/ids.js';
import { busyQuery, groupStatusQuery, reviewTallySignal, revisionsQuery, submitReportUpdate } from './contract/messages.js';
import type { NoticeSpec } from './contract/notice.js';
import type { Plan } from './contract/plan.js';
import { describeIssues, reportInputSchema, type ReportInput, type ReportReceipt } from './contract/report.js';
import type { UnitPeriodRecord } from './contract/status.js';
import { recipientsOf } from './cycle/recipients.js';
import { groupStatus } from './cycle/status.js';
import { allEvents, cycleTimeline, nextNotice, type CycleEvent, type TrackedPeriod } from './cycle/timeline.js';
import { groupTally } from './review/tally.js';
import { reviewWindows } from './review/windows.js';

const { sendNotices } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  // A mail server that is down is retried with backoff, without limit; permanent refusals come back as outcomes.
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes' },
});

/** Most notices handed to one activity call. */
const BATCH_SIZE = 500;
/** Revisions kept per report before further ones are refused (bounds the state). */
const MAX_REVISIONS = 50;
/** Roll over to a fresh run well before Temporal's per-execution limits. */
const MAX_UPDATES_PER_RUN = 500;
const MAX_HISTORY_PER_RUN = 8_000;

/** What a group workflow carries over continue-as-new. */
export interface GroupCarry {
  /** Every event at or before this instant has been acted on. */
  doneThrough: number | null;
  records: Record<string, UnitPeriodRecord>;
}

export interface GroupInput {
  plan: Plan;
  groupIndex: number;
  /** When the plan was started: quarters whose due day ended before it are not tracked. */
  startedAt: number;
  carry?: GroupCarry;
  /** Lower roll-over thresholds (tests use them to force continue-as-new). */
  limits?: RollLimits;
}

export interface RollLimits {
  maxUpdatesPerRun?: number;
  maxHistoryPerRun?: number;
}

export interface GroupResult {
  planId: string;
  groupIndex: number;
  closedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Runs the review cycles of the tasks in `input.plan` until their last quarter closes. */
export async function groupWorkflow(input: GroupInput): Promise<GroupResult> {
  const { plan, startedAt } = input;
  const periods = cycleTimeline(plan, startedAt);
  const byPeriod = new Map(periods.map((p) => [p.schedule.period, p]));
  const tasks = new Map(plan.tasks.map((t) => [t.id, t]));
  const units = new Map(plan.units.map((u) => [u.id, u]));
  const records: Record<string, UnitPeriodRecord> = input.carry?.records ?? {};
  let doneThrough = input.carry?.doneThrough ?? null;
  let busy = false;
  let updatesThisRun = 0;

  const reject = (message: string): never => {
    throw new Error(message);
  };

  function validateReport(raw: ReportInput): void {
    const parsed = reportInputSchema.safeParse(raw);
    if (!parsed.success) reject(describeIssues(parsed.error.issues));
    const r = parsed.data!;
    const task = tasks.get(r.taskId) ?? reject(`taskId: unknown task "${r.taskId}" in plan ${plan.id}`);
    if (!units.has(r.unitId) && !task.units.includes(r.unitId)) reject(`unitId: unknown unit "${r.unitId}" in plan ${plan.id}`);
    if (!task.units.includes(r.unitId)) reject(`unitId: unit "${r.unitId}" is not responsible for task "${r.taskId}"`);
    const period = byPeriod.get(r.period) ?? reject(`period: ${r.period} is not a quarter of plan ${plan.id} (${plan.start} to ${plan.end})`);
    if (!period.tracked) reject(`period: ${r.period} is not tracked: its due day had ended when the plan started`);
    const record = records[recordKey(r.taskId, r.unitId, r.period)];
    if (!record) reject(`period: ${r.period} has not been requested yet; the request goes out at ${iso(period.requestAt)}`);
    if (record!.revisions.some((v) => v.requestId === r.requestId)) return; // a repeat: answered with the first receipt
    if (Date.now() >= period.schedule.closeAt) reject(`period: ${r.period} closed at ${iso(period.schedule.closeAt)}; reports are no longer accepted`);
    if (record!.revisions.length >= MAX_REVISIONS) reject(`requestId: this report already has ${MAX_REVISIONS} revisions, the most kept`);
  }

  function receipt(r: ReportInput, record: UnitPeriodRecord, index: number, duplicate: boolean): ReportReceipt {
    const late = record.daysLate ?? 0;
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
    };
  }

  setHandler(
    submitReportUpdate,
    (raw) => {
      const r = reportInputSchema.parse(raw);
      const record = records[recordKey(r.taskId, r.unitId, r.period)];
      const seen = record.revisions.findIndex((v) => v.requestId === r.requestId);
      if (seen >= 0) return receipt(r, record, seen, true);
      const now = Date.now();
      const { requestId, status, summary, progress, problems, nextSteps, submittedBy } = r;
      record.revisions.push({ requestId, arrivedAt: now, status, summary, progress, problems, nextSteps, submittedBy });
      if (record.submittedAt === undefined) {
        record.submittedAt = now;
        record.daysLate = daysLate(now, byPeriod.get(r.period)!.schedule.dueDay, plan.timezone);
      }
      updatesThisRun++;
      return receipt(r, record, record.revisions.length - 1, false);
    },
    { validator: validateReport },
  );
  setHandler(groupStatusQuery, () => groupStatus(plan, periods, records, Date.now()));
  setHandler(busyQuery, () => busy);
  setHandler(revisionsQuery, ({ taskId, unitId, period }) => records[recordKey(taskId, unitId, period)]?.revisions ?? []);

  const mustRoll = () =>
    workflowInfo().continueAsNewSuggested ||
    workflowInfo().historyLength > (input.limits?.maxHistoryPerRun ?? MAX_HISTORY_PER_RUN) ||
    updatesThisRun >= (input.limits?.maxUpdatesPerRun ?? MAX_UPDATES_PER_RUN);

  async function roll(): Promise<never> {
    await condition(allHandlersFinished);
    return continueAsNew<typeof groupWorkflow>({ ...input, carry: { doneThrough, records } });
  }

  // Runs begun before reviews existed replay without them.
  const windows = patched('reviews') ? reviewWindows(plan) : [];
  const events = allEvents(periods, windows).filter((e) => doneThrough === null || e.at > doneThrough);
  let i = 0;
  while (i < events.length) {
    const at = events[i].at;
    const batch: CycleEvent[] = [];
    while (i < events.length && events[i].at === at) batch.push(events[i++]);
    while (Date.now() < at) {
      if (await condition(mustRoll, at - Date.now())) await roll();
    }
    await act(batch, at);
    for (const event of batch) {
      if (event.kind !== 'review') continue;
      const window = windows.find((w) => w.id === event.period)!;
      await getExternalWorkflowHandle(planWorkflowId(plan.id)).signal(reviewTallySignal, groupTally(plan, input.groupIndex, periods, records, window));
    }
    doneThrough = at;
    if (mustRoll()) await roll();
  }
  await condition(allHandlersFinished);
  return { planId: plan.id, groupIndex: input.groupIndex, closedAt: iso(Date.now()) };

  /** Sends the notices of every event at `at` to the units that have not reported, and records the outcome. */
  async function act(batch: CycleEvent[], at: number): Promise<void> {
    const notices: { spec: NoticeSpec; record: UnitPeriodRecord }[] = [];
    for (const event of batch) {
      if (event.kind === 'deadline' || event.kind === 'close' || event.kind === 'review') continue;
      const period = byPeriod.get(event.period)!;
      for (const task of plan.tasks) {
        for (const unitId of task.units) {
          const key = recordKey(task.id, unitId, event.period);
          if (event.kind === 'request') {
            records[key] ??= { requestedAt: at, reminders: 0, escalations: 0, revisions: [], deliveryIssues: [] };
          } else if (!records[key] || records[key].submittedAt !== undefined) {
            continue;
          }
          notices.push({ spec: noticeSpec(task.id, unitId, event, period, at), record: records[key] });
        }
      }
    }
    if (notices.length === 0) return;
    busy = true;
    try {
      for (let start = 0; start < notices.length; start += BATCH_SIZE) {
        const slice = notices.slice(start, start + BATCH_SIZE);
        const outcomes = await sendNotices({ at: iso(at), notices: slice.map((n) => n.spec) });
        outcomes.forEach((outcome, k) => {
          const { spec, record } = slice[k];
          if (outcome.status === 'refused' || outcome.status === 'unconfirmed') {
            record.deliveryIssues.push({ kind: spec.key.kind, number: spec.key.number, at: spec.at, reason: outcome.reason });
            if (outcome.status === 'refused') return;
          }
          if (outcome.status === 'sent' && outcome.rejected.length) {
            const reason = `refused recipients: ${outcome.rejected.join(', ')}`;
            record.deliveryIssues.push({ kind: spec.key.kind, number: spec.key.number, at: spec.at, reason });
          }
          if (spec.key.kind === 'reminder') {
            record.reminders++;
          } else if (spec.key.kind === 'escalation') {
            record.escalations++;
            (record.escalatedAt ??= []).push(at);
          }
        });
      }
    } finally {
      busy = false;
    }
  }

  function noticeSpec(taskId: string, unitId: string, event: CycleEvent, period: TrackedPeriod, at: number): NoticeSpec {
    const task = tasks.get(taskId)!;
    const unit = units.get(unitId);
    if (!unit) throw ApplicationFailure.nonRetryable(`task ${taskId} names unknown unit ${unitId}`);
    const kind = event.kind as NoticeSpec['key']['kind'];
    const next = nextNotice(period, event);
    return {
      key: { planId: plan.id, taskId, unitId, period: event.period, kind, number: event.number },
      at: iso(at),
      ...recipientsOf(plan, unit, kind, event.escalateTo),
      locale: plan.locale,
      timezone: plan.timezone,
      planTitle: plan.title,
      taskTitle: task.title,
      unitName: unit.name,
      dueDay: period.schedule.dueDay,
      deadline: iso(period.schedule.deadline),
      escalatedTo: event.escalateTo,
      next: next
        ? {
            kind: next.kind as NoticeSpec['key']['kind'],
            at: iso(next.at),
            to: next.kind === 'escalation' ? (next.escalateTo ?? 'headquarters') : 'unit',
          }
        : null,
    };
  }
}
