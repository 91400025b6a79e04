/** A plan's long-running workflow: validates the plan, starts one group workflow per slice of tasks, waits for them. */
import { ApplicationFailure, ParentClosePolicy, setHandler, startChild } from '@temporalio/workflow';
import { INVALID_PLAN } from './contract/errors.js';
import { layoutQuery, planQuery } from './contract/messages.js';
import { checkPlan } from './contract/plan-check.js';
import type { Plan } from './contract/plan.js';
import { layoutOf, subPlan } from './cycle/layout.js';
import { groupWorkflow, type RollLimits } from './group.js';

export interface PlanInput {
  plan: Plan;
  /** The moment the plan counts as started (defaults to the workflow's start). */
  startedAt?: number;
  /** Lower roll-over thresholds for the group workflows (tests). */
  limits?: RollLimits;
}

export interface PlanResult {
  planId: string;
  groups: number;
}

/** Runs a whole plan until its last quarter closes. */
export async function planWorkflow(input: PlanInput): Promise<PlanResult> {
  const checked = checkPlan(input.plan);
  if (!checked.ok) {
    const lines = checked.issues.map((i) => `${i.path || 'plan'}: ${i.message}`);
    throw ApplicationFailure.create({ type: INVALID_PLAN, message: `invalid plan: ${lines.join('; ')}`, nonRetryable: true });
  }
  const plan = checked.plan;
  const layout = layoutOf(plan);
  setHandler(layoutQuery, () => layout);
  setHandler(planQuery, () => plan);
  const startedAt = input.startedAt ?? Date.now();
  const children = await Promise.all(
    layout.groups.map((g, groupIndex) =>
      startChild(groupWorkflow, {
        workflowId: g.workflowId,
        args: [{ plan: subPlan(plan, g.taskIds), groupIndex, startedAt, ...(input.limits ? { limits: input.limits } : {}) }],
        parentClosePolicy: ParentClosePolicy.TERMINATE,
      }),
    ),
  );
  await Promise.all(children.map((c) => c.result()));
  return { planId: plan.id, groups: layout.groups.length };
}
