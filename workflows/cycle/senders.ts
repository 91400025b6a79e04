/**
 * Which workflows of a plan can send a notice to an address, and so whether a call of one of them needs the gather
 * window at all (activities/notices/gather.ts). Pure: it reads the plan, its layout and its findings slices the way
 * the workflows send, the inverse of recipientsOf (recipients.ts) and of the findings workflow's recipients:
 *
 * - a unit's addresses: the groups that hold one of its tasks, and the findings slices that hold one of its findings
 *   or one it verifies;
 * - a leader's addresses: the groups and slices of every unit it leads (escalations to the leader, a finding's cc),
 *   and the plan workflow (a review's lagging notices);
 * - headquarters' addresses: every group and slice (the last escalation level, a finding it verifies), and the plan
 *   workflow (a review's documents and the cc of its lagging notices).
 *
 * An address shared by several of them (a unit and its leader with one mailbox) has all their senders.
 */
import { HEADQUARTERS } from '../contract/finding.js';
import { findingsWorkflowId, planWorkflowId } from '../contract/ids.js';
import { addressList, type Plan } from '../contract/plan.js';
import type { PlanLayout } from '../contract/status.js';
import { plannedFindings } from '../findings/record.js';

/** A sender the plan record does not name (a task outside the layout, a finding whose slice is not known). */
export const UNKNOWN_SENDER = '?';

/** The workflows that can send to each address of one plan. */
export interface PlanSenders {
  planId: string;
  byAddress: Map<string, Set<string>>;
}

/**
 * The senders of every address of `plan`. `layout`: the groups and their tasks (undefined: a task's group is not
 * known). `slices`: the findings ids of each findings workflow, in order (undefined: not known, as for an amended
 * plan, whose later findings got slices of their own).
 */
export function planSenders(plan: Plan, layout: PlanLayout | undefined, slices: readonly (readonly string[])[] | undefined): PlanSenders {
  const byAddress = new Map<string, Set<string>>();
  const add = (addresses: readonly string[], sender: string) => {
    for (const a of addresses) (byAddress.get(a) ?? byAddress.set(a, new Set()).get(a)!).add(sender);
  };
  const units = new Map(plan.units.map((u) => [u.id, u]));
  const leaders = new Map(plan.leaders.map((l) => [l.id, l]));
  const headquarters = addressList(plan.headquarters.email);
  const unitAddresses = (id: string) => {
    const u = units.get(id);
    return u ? addressList(u.email) : [];
  };
  const leaderAddresses = (unitId: string) => {
    const l = leaders.get(units.get(unitId)?.leader ?? '');
    return l ? addressList(l.email) : [];
  };

  const groupOf = new Map<string, string>();
  for (const g of layout?.groups ?? []) for (const t of g.taskIds) groupOf.set(t, g.workflowId);
  for (const task of plan.tasks) {
    const group = groupOf.get(task.id) ?? UNKNOWN_SENDER;
    for (const u of task.units) {
      add(unitAddresses(u), group);
      add(leaderAddresses(u), group);
    }
    add(headquarters, group);
  }

  const sliceOf = new Map<string, string>();
  slices?.forEach((ids, k) => ids.forEach((id) => sliceOf.set(id, findingsWorkflowId(plan.id, k))));
  for (const { finding } of plannedFindings(plan)) {
    const slice = sliceOf.get(finding.id) ?? UNKNOWN_SENDER;
    add(unitAddresses(finding.unit), slice);
    add(leaderAddresses(finding.unit), slice);
    if (finding.verifier !== HEADQUARTERS) add(unitAddresses(finding.verifier), slice);
    add(headquarters, slice);
  }

  const planWorkflow = planWorkflowId(plan.id);
  add(headquarters, planWorkflow);
  for (const l of plan.leaders) add(addressList(l.email), planWorkflow);
  return { planId: plan.id, byAddress };
}

/** Both: whoever could send to an address in either (every version of an amended plan, some workflow still on an older one). */
export function mergeSenders(a: PlanSenders, b: PlanSenders): PlanSenders {
  const byAddress = new Map([...a.byAddress].map(([k, v]) => [k, new Set(v)]));
  for (const [k, v] of b.byAddress) {
    const s = byAddress.get(k) ?? byAddress.set(k, new Set()).get(k)!;
    for (const x of v) s.add(x);
  }
  return { planId: a.planId, byAddress };
}

/**
 * Whether a call of workflow `workflowId` may send `items` (digest items of one plan) without waiting for the other
 * calls of their instant: each item has an address (in its `to` or `cc`) that no other workflow can send to, so no
 * other call can offer an item with the same `to` and `cc` sets (a digest's recipients) — it would carry that address.
 * Never for the plan workflow, whose reviews of one instant are published in calls that run at once, nor for a caller
 * that is not known. A group or a findings slice sends its batches of one instant one after the other (the next
 * batch starts once the one before has gone out), so they never met in a window anyway.
 */
export function sendsAlone(s: PlanSenders, workflowId: string | undefined, items: readonly { to: readonly string[]; cc: readonly string[] }[]): boolean {
  if (!workflowId || workflowId === planWorkflowId(s.planId) || !items.length) return false;
  return items.every((i) => [...i.to, ...i.cc].some((a) => {
    const senders = s.byAddress.get(a);
    return senders?.size === 1 && senders.has(workflowId);
  }));
}
