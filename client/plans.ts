/** What headquarters and units do with a running plan, over a Temporal client. */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowIdReusePolicy,
  type Client,
} from '@temporalio/client';
import { planWorkflowId } from '../workflows/contract/ids.js';
import { submitReportUpdate, groupStatusQuery, layoutQuery, planQuery, reviewReportUpdate, reviewsQuery, revisionsQuery, timelineQuery } from '../workflows/contract/messages.js';
import type { PublishedReview } from '../workflows/contract/review.js';
import type { Plan } from '../workflows/contract/plan.js';
import { describeIssues, reportInputSchema, reviewDecisionSchema, type DecisionReceipt, type ReportReceipt } from '../workflows/contract/report.js';
import { randomUUID } from 'node:crypto';
import type { PlanLayout, PlanStatus, Revision, TimelineEntry } from '../workflows/contract/status.js';
import type { planWorkflow } from '../workflows/plan.js';
import type { RollLimits } from '../workflows/group.js';

/** A refusal to show the user as is (no stack): unknown plan, rejected report, ... */
export class UserError extends Error {
  readonly code: string;
  constructor(message: string, code = 'EUSER') {
    super(message);
    this.code = code;
  }
}

export type StartOutcome = { started: true; workflowId: string; runId: string } | { started: false; workflowId: string; state: string };

/** Starts a plan once: a second start of the same plan id changes nothing and says so. */
export async function startPlan(
  client: Client,
  plan: Plan,
  taskQueue: string,
  extra: { startedAt?: number; limits?: RollLimits } = {},
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

/** Remembers each plan's layout, which never changes while the plan runs. */
const layouts = new WeakMap<Client, Map<string, PlanLayout>>();

/** Which group workflow runs which task. */
export async function planLayout(client: Client, planId: string): Promise<PlanLayout> {
  let perClient = layouts.get(client);
  if (!perClient) layouts.set(client, (perClient = new Map()));
  const known = perClient.get(planId);
  if (known) return known;
  try {
    const layout = await client.workflow.getHandle(planWorkflowId(planId)).query(layoutQuery);
    perClient.set(planId, layout);
    return layout;
  } catch (err) {
    throw notFound(err, planId);
  }
}

function notFound(err: unknown, planId: string): unknown {
  if (err instanceof WorkflowNotFoundError) return new UserError(`plan ${planId}: no such plan has been started`, 'ENOPLAN');
  return err;
}

/** The plan as the workflow runs it. */
export async function runningPlan(client: Client, planId: string): Promise<Plan> {
  try {
    return await client.workflow.getHandle(planWorkflowId(planId)).query(planQuery);
  } catch (err) {
    throw notFound(err, planId);
  }
}

/** The status of every task, unit and quarter of a plan. */
export async function planStatus(client: Client, planId: string): Promise<PlanStatus> {
  const layout = await planLayout(client, planId);
  const parts = await Promise.all(layout.groups.map((g) => client.workflow.getHandle(g.workflowId).query(groupStatusQuery)));
  return { planId, tasks: parts.flat() };
}

function groupOf(layout: PlanLayout, taskId: string): string {
  const g = layout.groups.find((x) => x.taskIds.includes(taskId));
  if (!g) throw new UserError(`taskId: unknown task "${taskId}" in plan ${layout.planId}`, 'EREJECTED');
  return g.workflowId;
}

/** Submits a report; a refused one throws a UserError with the validator's reason. */
export async function submitReport(client: Client, planId: string, input: unknown): Promise<ReportReceipt> {
  const parsed = reportInputSchema.safeParse(input);
  if (!parsed.success) throw new UserError(describeIssues(parsed.error.issues), 'EREJECTED');
  const report = parsed.data;
  const layout = await planLayout(client, planId);
  const handle = client.workflow.getHandle(groupOf(layout, report.taskId));
  try {
    // No update id: the workflow itself answers a repeated request id, with `duplicate: true`, in every run.
    return await handle.executeUpdate(submitReportUpdate, { args: [report] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new UserError(err.cause?.message ?? err.message, 'EREJECTED');
    throw notFound(err, planId);
  }
}

/** Every revision of one report. */
export async function reportRevisions(client: Client, planId: string, taskId: string, unitId: string, period: string): Promise<Revision[]> {
  const layout = await planLayout(client, planId);
  return client.workflow.getHandle(groupOf(layout, taskId)).query(revisionsQuery, { taskId, unitId, period });
}

/** The reviews and summaries the plan workflow has made so far. */
export async function planReviews(client: Client, planId: string): Promise<PublishedReview[]> {
  try {
    return await client.workflow.getHandle(planWorkflowId(planId)).query(reviewsQuery);
  } catch (err) {
    throw notFound(err, planId);
  }
}

/** Headquarters accepts a report: it is then locked. */
export async function acceptReport(
  client: Client,
  planId: string,
  input: { taskId: string; unitId: string; period: string; by?: string; requestId?: string },
): Promise<DecisionReceipt> {
  return decide(client, planId, { ...input, decision: 'accept' });
}

/** Headquarters returns a report for revision: the unit gets a `returned` notice, a new due day and the ladder. */
export async function returnReport(
  client: Client,
  planId: string,
  input: { taskId: string; unitId: string; period: string; comment: string; by?: string; requestId?: string },
): Promise<DecisionReceipt> {
  return decide(client, planId, { ...input, decision: 'return' });
}

async function decide(client: Client, planId: string, input: Record<string, unknown>): Promise<DecisionReceipt> {
  const parsed = reviewDecisionSchema.safeParse({ requestId: randomUUID(), ...input });
  if (!parsed.success) throw new UserError(describeIssues(parsed.error.issues), 'EREJECTED');
  const layout = await planLayout(client, planId);
  const handle = client.workflow.getHandle(groupOf(layout, parsed.data.taskId));
  try {
    return await handle.executeUpdate(reviewReportUpdate, { args: [parsed.data] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new UserError(err.cause?.message ?? err.message, 'EREJECTED');
    throw notFound(err, planId);
  }
}

/** Every notice, report and decision of one task, oldest first. */
export async function taskTimeline(client: Client, planId: string, taskId: string): Promise<TimelineEntry[]> {
  const layout = await planLayout(client, planId);
  return client.workflow.getHandle(groupOf(layout, taskId)).query(timelineQuery, { taskId });
}

/** The plans started on this namespace (newest first), from Temporal's visibility store. */
export async function listPlans(client: Client): Promise<{ planId: string; workflowId: string; status: string; startTime: string }[]> {
  const plans: { planId: string; workflowId: string; status: string; startTime: string }[] = [];
  for await (const w of client.workflow.list({ query: "WorkflowType = 'planWorkflow'" })) {
    plans.push({ planId: w.workflowId.replace(/^review-cycles:/, ''), workflowId: w.workflowId, status: w.status.name, startTime: w.startTime.toISOString() });
  }
  return plans;
}
