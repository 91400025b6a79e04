/** How a plan's tasks are split over group workflows, and the part of the plan each group needs. Pure. */
import { groupWorkflowId } from '../contract/ids.js';
import type { Plan } from '../contract/plan.js';
import type { PlanLayout } from '../contract/status.js';

/**
 * Unit-tasks per group workflow. Bounds each group's state (carried over continue-as-new) and the notices of one
 * batch, while keeping timers per quarter shared by all the units of a group.
 */
export const UNIT_TASKS_PER_GROUP = 100;

/** Splits the tasks, in file order, into groups of at most UNIT_TASKS_PER_GROUP unit-tasks (a larger task stands alone). */
export function layoutOf(plan: Plan, perGroup = UNIT_TASKS_PER_GROUP): PlanLayout {
  const groups: PlanLayout['groups'] = [];
  let current: string[] = [];
  let size = 0;
  for (const task of plan.tasks) {
    if (current.length > 0 && size + task.units.length > perGroup) {
      groups.push({ workflowId: groupWorkflowId(plan.id, groups.length), taskIds: current });
      current = [];
      size = 0;
    }
    current.push(task.id);
    size += task.units.length;
  }
  if (current.length) groups.push({ workflowId: groupWorkflowId(plan.id, groups.length), taskIds: current });
  return { planId: plan.id, groups };
}

/** The plan restricted to some tasks and the units and leaders they involve. */
export function subPlan(plan: Plan, taskIds: string[]): Plan {
  const wanted = new Set(taskIds);
  const tasks = plan.tasks.filter((t) => wanted.has(t.id));
  const unitIds = new Set(tasks.flatMap((t) => t.units));
  const units = plan.units.filter((u) => unitIds.has(u.id));
  const leaderIds = new Set(units.map((u) => u.leader).filter((l): l is string => !!l));
  const aspectIds = new Set(tasks.map((t) => t.aspect));
  return {
    ...plan,
    tasks,
    units,
    leaders: plan.leaders.filter((l) => leaderIds.has(l.id)),
    aspects: plan.aspects.filter((a) => aspectIds.has(a.id)),
  };
}
