/** How a plan's tasks are split over group workflows, and the part of the plan each group needs. Pure. */
import { groupWorkflowId } from '../contract/ids.js';
import type { Plan } from '../contract/plan.js';
import type { PlanLayout } from '../contract/status.js';

/**
 * Unit-tasks per group workflow. Bounds each group's state (carried over continue-as-new) and the notices of one
 * batch, while keeping timers per quarter shared by all the units of a group.
 */
export const UNIT_TASKS_PER_GROUP = 100;

/**
 * How tasks are put into groups. `units` (plans started since digests): the tasks that share units stay in one group
 * where they fit, so that a unit's notices of one instant leave in one batch (one digest). `tasks`: in file order, the
 * layout of plans started before; a running plan keeps the kind it started with.
 */
export type LayoutKind = 'tasks' | 'units';

/** Splits the tasks into groups of at most `perGroup` unit-tasks (a larger task stands alone), by `kind`. */
export function layoutOf(plan: Plan, kind: LayoutKind = 'units', perGroup = UNIT_TASKS_PER_GROUP): PlanLayout {
  const groups = kind === 'units' ? byUnits(plan, perGroup) : inFileOrder(plan, perGroup);
  return { planId: plan.id, groups: groups.map((taskIds, n) => ({ workflowId: groupWorkflowId(plan.id, n), taskIds })) };
}

function inFileOrder(plan: Plan, perGroup: number): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const task of plan.tasks) {
    if (current.length > 0 && size + task.units.length > perGroup) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(task.id);
    size += task.units.length;
  }
  if (current.length) groups.push(current);
  return groups;
}

/**
 * Tasks linked by a shared unit form a cluster; a cluster larger than a group is cut into each unit's own tasks (those
 * it leads, as its first unit). Clusters, led by units of the same leader next to each other, are packed first-fit,
 * which needs at most about twice the groups of the file-order layout (no two groups are both half empty).
 */
function byUnits(plan: Plan, perGroup: number): string[][] {
  const tasks = plan.tasks;
  const parent = tasks.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const firstTaskOf = new Map<string, number>();
  tasks.forEach((t, i) => {
    for (const u of t.units) {
      const seen = firstTaskOf.get(u);
      if (seen === undefined) firstTaskOf.set(u, i);
      else parent[find(i)] = find(seen);
    }
  });
  const clusters = new Map<number, number[]>();
  tasks.forEach((_, i) => {
    const root = find(i);
    const list = clusters.get(root);
    if (list) list.push(i);
    else clusters.set(root, [i]);
  });
  const size = (i: number) => tasks[i].units.length;
  const pieces: number[][] = [];
  for (const members of clusters.values()) {
    if (members.reduce((n, i) => n + size(i), 0) <= perGroup) {
      pieces.push(members);
      continue;
    }
    // Too large for one group: one piece per lead unit (its first unit), so that a unit's own tasks stay together.
    const byLead = new Map<string, number[]>();
    for (const i of members) (byLead.get(tasks[i].units[0]) ?? byLead.set(tasks[i].units[0], []).get(tasks[i].units[0])!).push(i);
    for (const own of byLead.values()) {
      let current: number[] = [];
      let filled = 0;
      for (const i of own) {
        if (current.length && filled + size(i) > perGroup) {
          pieces.push(current);
          current = [];
          filled = 0;
        }
        current.push(i);
        filled += size(i);
      }
      pieces.push(current);
    }
  }
  const leaderOf = new Map(plan.units.map((u) => [u.id, u.leader ?? '']));
  const leaderOrder = new Map<string, number>();
  for (const t of tasks) for (const u of t.units) if (!leaderOrder.has(leaderOf.get(u) ?? '')) leaderOrder.set(leaderOf.get(u) ?? '', leaderOrder.size);
  const leadLeader = (p: number[]) => leaderOrder.get(leaderOf.get(tasks[p[0]].units[0]) ?? '')!;
  pieces.sort((a, b) => leadLeader(a) - leadLeader(b) || a[0] - b[0]);
  const bins: { members: number[]; filled: number }[] = [];
  for (const piece of pieces) {
    const need = piece.reduce((n, i) => n + size(i), 0);
    const bin = bins.find((b) => b.filled + need <= perGroup);
    if (bin) {
      bin.members.push(...piece);
      bin.filled += need;
    } else {
      bins.push({ members: [...piece], filled: need });
    }
  }
  // Each group lists its tasks in file order, and the groups follow their first task.
  return bins.map((b) => b.members.sort((x, y) => x - y)).sort((a, b) => a[0] - b[0]).map((m) => m.map((i) => tasks[i].id));
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
