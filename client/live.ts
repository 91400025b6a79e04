/**
 * What the running workflows themselves know, by Temporal queries (a worker must run). Used by `db sync` to re-project
 * into the database, and by tests that compare the database with the workflows.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { planWorkflowId } from '../workflows/contract/ids.js';
import { groupStatusQuery, layoutQuery, planQuery, recordsQuery, reviewsQuery, revisionsQuery } from '../workflows/contract/messages.js';
import type { PublishedReview } from '../workflows/contract/review.js';
import type { Plan } from '../workflows/contract/plan.js';
import type { PlanLayout, PlanStatus, Revision } from '../workflows/contract/status.js';
import { UserError } from './plans.js';

function notFound(err: unknown, planId: string): unknown {
  if (err instanceof WorkflowNotFoundError) return new UserError(`plan ${planId}: no such plan is running in Temporal`, 'ENOPLAN');
  return err;
}

/** Which group workflow runs which task, as the plan workflow says. */
export async function liveLayout(client: Client, planId: string): Promise<PlanLayout> {
  try {
    return await client.workflow.getHandle(planWorkflowId(planId)).query(layoutQuery);
  } catch (err) {
    throw notFound(err, planId);
  }
}

/** The plan as the plan workflow runs it. */
export async function livePlan(client: Client, planId: string): Promise<Plan> {
  try {
    return await client.workflow.getHandle(planWorkflowId(planId)).query(planQuery);
  } catch (err) {
    throw notFound(err, planId);
  }
}

/** The status of every task, unit and quarter, as the group workflows say. */
export async function liveStatus(client: Client, planId: string): Promise<PlanStatus> {
  const [layout, plan] = await Promise.all([liveLayout(client, planId), livePlan(client, planId)]);
  const parts = await Promise.all(layout.groups.map((g) => client.workflow.getHandle(g.workflowId).query(groupStatusQuery)));
  // In plan order, as the database's status has it (a group's tasks need not be adjacent in the plan).
  const order = new Map(plan.tasks.map((t, i) => [t.id, i]));
  return { planId, tasks: parts.flat().sort((a, b) => (order.get(a.taskId) ?? 0) - (order.get(b.taskId) ?? 0)) };
}

/** Every revision of one report, as its group workflow keeps it (without texts once recorded). */
export async function liveRevisions(client: Client, planId: string, taskId: string, unitId: string, period: string): Promise<Revision[]> {
  const layout = await liveLayout(client, planId);
  const g = layout.groups.find((x) => x.taskIds.includes(taskId));
  if (!g) throw new UserError(`taskId: unknown task "${taskId}" in plan ${planId}`, 'EREJECTED');
  return client.workflow.getHandle(g.workflowId).query(revisionsQuery, { taskId, unitId, period });
}

/** The reviews and summaries the plan workflow has made so far. */
export async function liveReviews(client: Client, planId: string): Promise<PublishedReview[]> {
  try {
    return await client.workflow.getHandle(planWorkflowId(planId)).query(reviewsQuery);
  } catch (err) {
    throw notFound(err, planId);
  }
}

/**
 * Re-projects what the running workflows know into the database, idempotently: the plan, every record with its
 * decisions, and the revisions with the texts the workflows still hold (none once recorded: a revision the database
 * already has is kept as it is). Returns how many records it wrote.
 */
export async function syncPlan(client: Client, db: import('pg').Pool, planId: string): Promise<{ records: number; groups: number }> {
  const { recordPlan, recordProgress, storedPlan } = await import('../store/records.js');
  const { statusPlanOf, timelineOf } = await import('../workflows/amend/track.js');
  const { textOf, withoutTexts } = await import('../workflows/contract/progress.js');
  const plan = await livePlan(client, planId);
  const layout = await liveLayout(client, planId);
  const known = await storedPlan(db, planId);
  const startedAt = known?.startedAt ?? (await client.workflow.getHandle(planWorkflowId(planId)).describe()).startTime.getTime();
  await recordPlan(db, { planId, version: known?.version ?? 1, plan, startedAt, layout });
  // An amended plan: the timeline in force, and the tasks amendments retired (their records are still the plan's).
  const periods = new Map(timelineOf(plan, startedAt, known?.track).map((p) => [p.schedule.period, p]));
  const aspects = new Map(statusPlanOf(plan, known?.track).tasks.map((t) => [t.id, t.aspect]));
  let count = 0;
  for (const g of layout.groups) {
    const records = await client.workflow.getHandle(g.workflowId).query(recordsQuery);
    const changes = Object.entries(records).map(([key, record]) => {
      const [taskId, unitId, period] = key.split('|');
      return { taskId, unitId, period, aspectId: aspects.get(taskId) ?? '', deadline: periods.get(period)!.schedule.deadline, record: withoutTexts(record), texts: record.revisions.map(textOf) };
    });
    for (let i = 0; i < changes.length; i += 500) await recordProgress(db, { planId, changes: changes.slice(i, i + 500) }, { force: true });
    count += changes.length;
  }
  return { records: count, groups: layout.groups.length };
}
