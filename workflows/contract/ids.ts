/** Workflow ids and the task queue, defined once. */

/** The task queue every worker polls; the version changes only with an incompatible workflow change. */
export const DEFAULT_TASK_QUEUE = 'review-cycles-v1';

/** The id of a plan's long-running workflow: starting the same plan twice meets this id and stops. */
export function planWorkflowId(planId: string): string {
  return `review-cycles:${planId}`;
}

/** The id of the workflow that runs the cycles of one group of a plan's tasks. */
export function groupWorkflowId(planId: string, groupIndex: number): string {
  return `review-cycles:${planId}:tasks-${groupIndex + 1}`;
}

/** The id of the workflow that runs one slice of a plan's inspection findings. */
export function findingsWorkflowId(planId: string, sliceIndex: number): string {
  return `review-cycles:${planId}:findings-${sliceIndex + 1}`;
}

/** The key of one (task, unit, period) in workflow state. */
export function recordKey(taskId: string, unitId: string, period: string): string {
  return `${taskId}|${unitId}|${period}`;
}
