/**
 * What headquarters and units do with a plan. Writes (start, reports, decisions) go to the workflows over a Temporal
 * client; reads come from the system of record, so they work while no worker runs and after Temporal forgot a plan.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { latestRevisions, retryingNotices, revisionSummaries, storedPlan, storedPlans, storedRecords, storedReviews, storedRevisions, type RetryingNotice, type StoredPlan } from '../store/index.js';
import { ARRIVAL_WINDOW_MS } from '../workflows/contract/arrival.js';
import { planWorkflowId, recordKey } from '../workflows/contract/ids.js';
import { extendReportUpdate, reviewReportUpdate, submitReportUpdate } from '../workflows/contract/messages.js';
import type { Plan } from '../workflows/contract/plan.js';
import { isRefusalList, refusalLine, schemaRefusals, type Refusal, type RefusalCode, type RefusalParams } from '../workflows/contract/refusals.js';
import { extensionInputSchema, type DecisionReceipt, type ExtensionReceipt, type ReportReceipt } from '../workflows/contract/report.js';
import { decisionSubmissionSchema, progressRefusal, reportSubmissionSchema } from '../workflows/contract/submission.js';
import type { PublishedReview } from '../workflows/contract/review.js';
import type { PlanLayout, PlanStatus, RetryingDelivery, Revision, TimelineEntry } from '../workflows/contract/status.js';
import { reportReceipt } from '../workflows/cycle/receipts.js';
import { groupStatus, taskTimeline as taskTimelineOf } from '../workflows/cycle/status.js';
import { statusPlanOf, timelineOf } from '../workflows/amend/track.js';
import type { PlanInput, planWorkflow } from '../workflows/plan.js';
import { findingsOf } from './findings.js';

/** A refusal to show the user as is (no stack): unknown plan, rejected report, engine not running, ... */
export class UserError extends Error {
  readonly code: string;
  /** The typed refusals behind the message, when it is a refusal. */
  readonly refusals: Refusal[];
  constructor(message: string, code = 'EUSER', refusals: Refusal[] = []) {
    super(message);
    this.code = code;
    this.refusals = refusals;
  }
}

/** A UserError made of typed refusals; its message is their English lines. */
export function refusalError(refusals: Refusal[], code = 'EREJECTED'): UserError {
  return new UserError(refusals.map(refusalLine).join('; '), code, refusals);
}

const refused = (field: string, code: RefusalCode, params: RefusalParams, errCode = 'EREJECTED') => refusalError([{ field, code, params }], errCode);

/** What the client side works with: Temporal for writes, the system of record for reads. */
export interface Engine {
  client: Client;
  db: pg.Pool;
  /**
   * How long a write waits for the engine before it says it is not running (default 6 s; a submission waits at most
   * the arrival window of contract/arrival.ts, 6 s, then looks 0.8 s for itself in the database), so that a command or a page answers within 10 s.
   */
  writeTimeoutMs?: number;
  /** Stamp submissions with this machine's clock (default true); off where the workflows run on a skipped clock (tests, rehearsals). */
  stampArrival?: boolean;
  /** The clock submissions are stamped with (default: this machine's); a rehearsal stamps each action with its planned instant. */
  clock?: () => number;
}

export type StartOutcome = { started: true; workflowId: string; runId: string } | { started: false; workflowId: string; state: string };

/** Starts a plan once: a second start of the same plan id changes nothing and says so. */
export async function startPlan(
  client: Client,
  plan: Plan,
  taskQueue: string,
  extra: { startedAt?: number; limits?: PlanInput['limits'] } = {},
): Promise<StartOutcome> {
  const workflowId = planWorkflowId(plan.id);
  try {
    const handle = await client.workflow.start<typeof planWorkflow>('planWorkflow', {
      workflowId,
      taskQueue,
      args: [{ plan, ...extra }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    return { started: true, workflowId, runId: handle.firstExecutionRunId };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const desc = await client.workflow.getHandle(workflowId).describe();
    return { started: false, workflowId, state: desc.status.name };
  }
}

/** Waits until the plan workflow has recorded the plan (false after `ms`: no worker has run it yet). */
export async function awaitRecordedPlan(db: pg.Pool, planId: string, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await storedPlan(db, planId)) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The recorded plan, or a UserError `ENOPLAN`. */
export async function recordedPlan(db: pg.Pool, planId: string): Promise<StoredPlan> {
  const stored = await storedPlan(db, planId);
  if (!stored) throw new UserError(`plan ${planId}: no such plan has been started`, 'ENOPLAN', [{ field: 'planId', code: 'unknownPlan', params: { planId } }]);
  return stored;
}

/** The plan as the workflow runs it (the version in force). */
export async function runningPlan(db: pg.Pool, planId: string): Promise<Plan> {
  return (await recordedPlan(db, planId)).plan;
}

/** The plan as status, ledger and reviews show it: the version in force plus the tasks and pairs amendments retired. */
export async function shownPlan(db: pg.Pool, planId: string): Promise<Plan> {
  const stored = await recordedPlan(db, planId);
  return statusPlanOf(stored.plan, stored.track);
}

/** Which group workflow runs which task. */
export async function planLayout(db: pg.Pool, planId: string): Promise<PlanLayout> {
  return (await recordedPlan(db, planId)).layout;
}

/** The status of every task, unit and quarter (or of one task, or one unit's tasks) at `now`, from the database. */
export async function planStatus(db: pg.Pool, planId: string, only: { taskId?: string; unitId?: string } = {}, now = Date.now()): Promise<PlanStatus> {
  const stored = await recordedPlan(db, planId);
  const records = await storedRecords(db, planId, only);
  let plan = statusPlanOf(stored.plan, stored.track);
  if (only.taskId || only.unitId) {
    plan = {
      ...plan,
      tasks: plan.tasks
        .filter((t) => (!only.taskId || t.id === only.taskId) && (!only.unitId || t.units.includes(only.unitId)))
        .map((t) => (only.unitId ? { ...t, units: t.units.filter((u) => u === only.unitId) } : t)),
    };
  }
  // An amended plan shows its version in force with what it retired, on the timeline in force (workflows/amend).
  const status: PlanStatus = { planId, tasks: groupStatus(plan, timelineOf(stored.plan, stored.startedAt, stored.track), records, now, stored.track) };
  if (stored.plan.inspections?.rounds.some((r) => r.findings.length)) status.findings = await findingsOf(db, stored.plan, { unitId: only.unitId }, now);
  return withRetrying(status, await retryingNotices(db, planId));
}

/** Marks the notices that the mail server has not taken yet (it keeps failing): per report, and for the whole plan. */
function withRetrying(status: PlanStatus, retrying: RetryingNotice[]): PlanStatus {
  if (!retrying.length) return status;
  const byReport = new Map<string, RetryingDelivery[]>();
  for (const n of retrying) {
    if (!n.taskId || !n.unitId || !n.period) continue;
    const k = recordKey(n.taskId, n.unitId, n.period);
    byReport.set(k, [...(byReport.get(k) ?? []), deliveryOf(n)]);
  }
  for (const t of status.tasks) {
    for (const u of t.units) {
      for (const p of u.periods) {
        const mine = byReport.get(recordKey(t.taskId, u.unitId, p.period));
        if (mine) p.retrying = mine;
      }
    }
  }
  status.retrying = retrying.map((n) => ({ taskId: n.taskId, unitId: n.unitId, period: n.period, ...deliveryOf(n) }));
  return status;
}

const deliveryOf = (n: RetryingNotice): RetryingDelivery => ({ kind: n.kind, number: n.number, at: n.at, since: n.since, reason: n.reason, attempts: n.attempts });

/** Every revision of one report. */
export async function reportRevisions(db: pg.Pool, planId: string, taskId: string, unitId: string, period: string): Promise<Revision[]> {
  await recordedPlan(db, planId);
  return storedRevisions(db, planId, taskId, unitId, period);
}

/** The latest revision of each given quarter of one (task, unit). */
export async function latestReports(db: pg.Pool, planId: string, taskId: string, unitId: string, periods: string[]): Promise<Map<string, Revision>> {
  return latestRevisions(db, planId, taskId, unitId, periods);
}

/** The reviews and summaries made so far. */
export async function planReviews(db: pg.Pool, planId: string): Promise<PublishedReview[]> {
  await recordedPlan(db, planId);
  return storedReviews(db, planId);
}

/** Characters of a summary a timeline line shows. */
const SUMMARY_IN_TIMELINE = 200;

/** Every notice, report and decision of one task, oldest first. */
export async function taskTimeline(db: pg.Pool, planId: string, taskId: string): Promise<TimelineEntry[]> {
  const stored = await recordedPlan(db, planId);
  const records = await storedRecords(db, planId, { taskId });
  // The records keep no texts: each report line shows the start of its summary, from the revisions.
  const summaries = await revisionSummaries(db, planId, taskId, SUMMARY_IN_TIMELINE);
  for (const [key, record] of Object.entries(records)) {
    record.revisions = record.revisions.map((v) => ({ ...v, summary: summaries.get(`${key}|${v.requestId}`) ?? v.summary }));
  }
  return taskTimelineOf(statusPlanOf(stored.plan, stored.track), taskId, records, timelineOf(stored.plan, stored.startedAt, stored.track));
}

/** The recorded plans, newest first. */
export async function listPlans(db: pg.Pool): Promise<{ planId: string; title: string; startTime: string; version: number }[]> {
  return (await storedPlans(db)).map((p) => ({ planId: p.planId, title: p.title, startTime: p.startedAt, version: p.version }));
}

/** Layouts for routing writes, kept a few seconds (a plan's layout does not change while it runs). */
const layouts = new WeakMap<pg.Pool, Map<string, { layout: PlanLayout; plan: Plan; at: number }>>();
const LAYOUT_MS = 10_000;

async function routing(db: pg.Pool, planId: string): Promise<{ layout: PlanLayout; plan: Plan }> {
  let perPool = layouts.get(db);
  if (!perPool) layouts.set(db, (perPool = new Map()));
  const known = perPool.get(planId);
  if (known && Date.now() - known.at < LAYOUT_MS) return known;
  const { layout, plan } = await recordedPlan(db, planId);
  perPool.set(planId, { layout, plan, at: Date.now() });
  return { layout, plan };
}

async function routingLayout(db: pg.Pool, planId: string): Promise<PlanLayout> {
  return (await routing(db, planId)).layout;
}

function groupOf(layout: PlanLayout, taskId: string): string {
  const g = layout.groups.find((x) => x.taskIds.includes(taskId));
  if (!g) throw refused('taskId', 'unknownTask', { taskId, planId: layout.planId });
  return g.workflowId;
}

const ENGINE_DOWN = {
  report:
    'the engine is not running: no worker answered within {s} s, so this report has not been recorded. ' +
    'Submit it again later (the same form, or the same --request-id): it is applied once.',
  // Decisions carry no arrival stamp: the copy Temporal keeps may still be applied when a worker returns.
  decision:
    'the engine is not running: no worker answered within {s} s. The decision has not been applied yet (the engine may still apply this attempt when it returns); ' +
    'sending it again later (the same form, or the same --request-id) is safe: it is applied once.',
  amendment:
    'the engine is not running: no worker answered within {s} s. The amendment has not been applied yet (the engine may still apply this attempt when it returns); ' +
    'amending again later with the same file and reason is safe: it is applied once.',
};

/** What a write is, for the sentence that says the engine did not answer. */
export type WriteKind = keyof typeof ENGINE_DOWN;

/** Runs an Update, turning a refusal into a UserError and an engine that does not answer into a clear sentence. */
export async function update<T>(engine: Engine, planId: string, what: WriteKind, run: (client: Client) => Promise<T>, ms = engine.writeTimeoutMs ?? 6_000): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, ms));
  try {
    // The abort also reaches a call whose gRPC retry is asleep while Temporal itself cannot be reached
    // (client/grpc-retry.ts), so the wait ends on time then too (test/client/grpc-retry.test.ts).
    return await engine.client.withAbortSignal(controller.signal, () => run(engine.client));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      const details = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
      if (isRefusalList(details)) throw refusalError(details);
      throw new UserError(cause?.message ?? err.message, 'EREJECTED');
    }
    if (err instanceof WorkflowNotFoundError) throw new UserError(`plan ${planId}: no such plan is running`, 'ENOPLAN', [{ field: 'planId', code: 'unknownPlan', params: { planId } }]);
    if (controller.signal.aborted) throw engineDown(ms, what);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export const engineDown = (ms: number, what: WriteKind) =>
  refused('engine', 'engineDown', { message: ENGINE_DOWN[what].replace('{s}', String(Math.round(ms / 1000))), what }, 'ENOENGINE');

/** How long a submission that got no answer looks for itself in the database before it says it was not recorded. */
const LOOK_BACK_MS = 800;

/**
 * Submits a report; a refused one throws a UserError with typed refusals. The report is stamped here, where it
 * enters, and counts from that moment (contract/arrival.ts): a worker restart does not make it late. When no worker
 * answers within the arrival window the call says so; a copy that reaches a workflow after that is refused there.
 */
export async function submitReport(engine: Engine, planId: string, input: unknown): Promise<ReportReceipt> {
  const stampedAt = Date.now();
  const parsed = reportSubmissionSchema.safeParse(input);
  if (!parsed.success) throw refusalError(schemaRefusals(parsed.error.issues));
  // The workflow's own range check, before anything is sent (the task comes from the plan the routing reads anyway).
  const task = (await routing(engine.db, planId)).plan.tasks.find((t) => t.id === parsed.data.taskId);
  const outOfRange = task && progressRefusal(task, parsed.data.progress);
  if (outOfRange) throw refusalError([outOfRange]);
  // The stamp is always ours: whatever a caller sent as receivedAt is replaced (or dropped when not stamping).
  const { receivedAt: _ignored, ...rest } = parsed.data;
  const stamp = engine.stampArrival !== false;
  const report = stamp ? { ...rest, receivedAt: new Date(stampedAt).toISOString() } : rest;
  const layout = await routingLayout(engine.db, planId);
  const workflowId = groupOf(layout, report.taskId);
  const run = (client: Client) => client.workflow.getHandle(workflowId).executeUpdate(submitReportUpdate, { args: [report] });
  if (!stamp) return update(engine, planId, 'report', run);
  // No update id: the workflow itself answers a repeated request id, with `duplicate: true`, in every run.
  const window = Math.min(engine.writeTimeoutMs ?? ARRIVAL_WINDOW_MS, ARRIVAL_WINDOW_MS);
  try {
    return await update(engine, planId, 'report', run, window - (Date.now() - stampedAt));
  } catch (err) {
    if (!(err instanceof UserError) || err.code !== 'ENOENGINE') throw err;
    // Applied at the last moment, with the answer lost on the way back: the database has it within a write.
    const found = await recordedReceipt(engine.db, planId, report, LOOK_BACK_MS);
    if (found) return found;
    throw engineDown(window, 'report');
  }
}

/** The receipt of a report found in the database by its request id (as a repeat is answered), or undefined. */
async function recordedReceipt(db: pg.Pool, planId: string, r: { taskId: string; unitId: string; period: string; requestId: string }, ms: number): Promise<ReportReceipt | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    const records = await storedRecords(db, planId, { taskId: r.taskId, unitId: r.unitId, period: r.period });
    const record = records[recordKey(r.taskId, r.unitId, r.period)];
    const index = record?.revisions.findIndex((v) => v.requestId === r.requestId) ?? -1;
    if (record && index >= 0) return reportReceipt(r, record, index, true);
    if (Date.now() > until) return undefined;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Headquarters accepts a report: it is then locked. */
export async function acceptReport(
  engine: Engine,
  planId: string,
  input: { taskId: string; unitId: string; period: string; by?: string; requestId?: string },
): Promise<DecisionReceipt> {
  return decide(engine, planId, { ...input, decision: 'accept' });
}

/** Headquarters returns a report for revision: the unit gets a `returned` notice, a new due day and the ladder. */
export async function returnReport(
  engine: Engine,
  planId: string,
  input: { taskId: string; unitId: string; period: string; comment: string; by?: string; requestId?: string },
): Promise<DecisionReceipt> {
  return decide(engine, planId, { ...input, decision: 'return' });
}

/**
 * Headquarters gives one report a new due day (延期): `until` moved forward to a working day. Its notices still to
 * come count from that day, the unit is told in an `extended` notice, and its lateness counts from it.
 */
export async function extendReport(
  engine: Engine,
  planId: string,
  input: { taskId: string; unitId: string; period: string; until: string; reason: string; by?: string; requestId?: string },
): Promise<ExtensionReceipt> {
  const parsed = extensionInputSchema.safeParse({ requestId: randomUUID(), ...withoutUndefined(input) });
  if (!parsed.success) throw refusalError(schemaRefusals(parsed.error.issues));
  const layout = await routingLayout(engine.db, planId);
  const workflowId = groupOf(layout, parsed.data.taskId);
  return update(engine, planId, 'decision', (client) => client.workflow.getHandle(workflowId).executeUpdate(extendReportUpdate, { args: [parsed.data] }));
}

const withoutUndefined = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

async function decide(engine: Engine, planId: string, input: Record<string, unknown>): Promise<DecisionReceipt> {
  // A caller's absent request id (undefined) must not replace the fresh one.
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const parsed = decisionSubmissionSchema.safeParse({ requestId: randomUUID(), ...given });
  if (!parsed.success) throw refusalError(schemaRefusals(parsed.error.issues));
  const layout = await routingLayout(engine.db, planId);
  const workflowId = groupOf(layout, parsed.data.taskId);
  return update(engine, planId, 'decision', (client) => client.workflow.getHandle(workflowId).executeUpdate(reviewReportUpdate, { args: [parsed.data] }));
}

/** Waits until the database shows the report's revision `revision` (read your own write; false after `ms`). */
export async function awaitRecordedRevision(db: pg.Pool, planId: string, r: { taskId: string; unitId: string; period: string; revision: number }, ms = 5_000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    const { rows } = await db.query('SELECT revisions FROM report_records WHERE plan_id = $1 AND task_id = $2 AND unit_id = $3 AND period = $4', [planId, r.taskId, r.unitId, r.period]);
    if (rows[0] && rows[0].revisions >= r.revision) return true;
    if (Date.now() > until) return false;
    await new Promise((res) => setTimeout(res, 25));
  }
}
