/**
 * What an amendment changes beyond the file: which pairs joined and left, which tasks were retired, and the timeline
 * in force; and the plan that status and reviews read (the version in force plus what it retired). Pure.
 */
import { pairKey, type PlanTrack } from '../contract/amend.js';
import type { Plan, Task, Unit } from '../contract/plan.js';
import { cycleTimeline, type TrackedPeriod } from '../cycle/timeline.js';
import { amendTimeline } from './timeline.js';

/** Who joined and left when: what status, tallies and the groups need to tell tracked pairs from others. */
export interface Membership {
  joined: Record<string, number>;
  left: Record<string, number>;
}

/** Every pair of the plan. */
export function pairsOf(plan: Pick<Plan, 'tasks'>): Set<string> {
  return new Set(plan.tasks.flatMap((t) => t.units.map((u) => pairKey(t.id, u))));
}

/** The timeline in force: the track's, or the plan's own before any amendment. */
export function timelineOf(plan: Plan, startedAt: number, track?: PlanTrack): TrackedPeriod[] {
  return track?.timeline ?? cycleTimeline(plan, startedAt);
}

/** The track of the version that follows `before` (in force with `track`) when `after` is applied at `at`. */
export function nextTrack(input: { track?: PlanTrack; before: Plan; after: Plan; startedAt: number; at: number; version: number }): PlanTrack {
  const { track, before, after, startedAt, at, version } = input;
  const had = pairsOf(before);
  const has = pairsOf(after);
  const joined = { ...(track?.joined ?? {}) };
  const left = { ...(track?.left ?? {}) };
  const keptTasks = new Set(before.tasks.map((t) => t.id));
  const joining: string[] = [];
  for (const k of has) {
    if (had.has(k)) continue;
    joined[k] = at;
    delete left[k];
    if (keptTasks.has(k.split('|')[0])) joining.push(k);
  }
  for (const k of had) if (!has.has(k)) left[k] = at;
  const afterTasks = new Set(after.tasks.map((t) => t.id));
  const retiredTasks = [
    ...(track?.retiredTasks ?? []).filter((t) => !afterTasks.has(t.id)),
    ...before.tasks.filter((t) => !afterTasks.has(t.id)).map((t) => ({ ...t, retiredAt: at })),
  ];
  const timeline = amendTimeline({ previous: timelineOf(before, startedAt, track), plan: after, startedAt, at, doneThrough: at - 1, joining });
  return { version, at, timeline, joined, left, retiredTasks, retiredUnits: retiredUnitsOf(after, retiredTasks, left, [...before.units, ...(track?.retiredUnits ?? [])]) };
}

/** Units gone from the plan that a retired task or a pair that left still names (for their names in status). */
function retiredUnitsOf(after: Plan, retiredTasks: Task[], left: Record<string, number>, known: Unit[]): Unit[] {
  const present = new Set(after.units.map((u) => u.id));
  const named = new Set([...retiredTasks.flatMap((t) => t.units), ...Object.keys(left).map((k) => k.split('|')[1])]);
  const out = new Map<string, Unit>();
  for (const u of known) if (!present.has(u.id) && named.has(u.id) && !out.has(u.id)) out.set(u.id, u);
  return [...out.values()];
}

/**
 * The plan that status and reviews read: the version in force, each task with the units that left it, the retired
 * tasks after it, and the units they name. Their records of earlier quarters still count.
 */
export function statusPlanOf(plan: Plan, track?: Pick<PlanTrack, 'left' | 'retiredTasks' | 'retiredUnits'>): Plan {
  if (!track) return plan;
  const leftOf = new Map<string, string[]>();
  for (const k of Object.keys(track.left)) {
    const [taskId, unitId] = k.split('|');
    (leftOf.get(taskId) ?? leftOf.set(taskId, []).get(taskId)!).push(unitId);
  }
  const tasks = plan.tasks.map((t) => {
    const gone = (leftOf.get(t.id) ?? []).filter((u) => !t.units.includes(u));
    return gone.length ? { ...t, units: [...t.units, ...gone] } : t;
  });
  const known = new Set(plan.tasks.map((t) => t.id));
  const retired = track.retiredTasks.filter((t) => !known.has(t.id)).map(({ retiredAt: _r, ...t }) => t);
  const unitIds = new Set(plan.units.map((u) => u.id));
  const aspectIds = new Set(plan.aspects.map((a) => a.id));
  const aspects = [...plan.aspects, ...retired.filter((t) => !aspectIds.has(t.aspect)).map((t) => ({ id: t.aspect, title: t.aspect }))];
  return {
    ...plan,
    tasks: [...tasks, ...retired],
    units: [...plan.units, ...track.retiredUnits.filter((u) => !unitIds.has(u.id))],
    aspects: aspects.filter((a, i) => aspects.findIndex((b) => b.id === a.id) === i),
  };
}

/** Whether a pair's quarter counts (is due, shows a state other than untracked) given who joined and left when. */
export function pairTracked(membership: Membership | undefined, taskId: string, unitId: string, period: TrackedPeriod, hasRecord: boolean): boolean {
  if (hasRecord) return true;
  if (!period.tracked) return false;
  if (!membership) return true;
  const k = pairKey(taskId, unitId);
  if (membership.left[k] !== undefined) return false; // no record: it left before the quarter was requested
  const joined = membership.joined[k];
  return joined === undefined || period.schedule.deadline > joined;
}
