/**
 * The rule of time of an amendment (issue "Amend a running plan", §2), as a pure function of the timeline in force,
 * the new version and the instant T it is applied:
 *
 * - A quarter closed at T keeps its schedule (and a quarter never tracked stays so).
 * - A quarter whose request went out (the request acted on, at or before `doneThrough`) keeps that request. Its
 *   notices still to come follow the new version's schedule for the quarter: those whose new instant is before T are
 *   not sent, reminders are numbered on after the last one sent, and escalation levels already sent are not sent
 *   again. Its due day, deadline and closing follow the new version.
 * - Any other quarter follows the new version entirely, as if the plan had started at T (a request whose moment has
 *   passed goes out at T).
 * - Pairs that join a quarter already requested get a ladder of their own (events restricted to them): request at T
 *   (when its due day has not ended), then the new schedule's notices from T on, as if the plan had started at T.
 *
 * Sandbox-safe and deterministic: the plan workflow, the group workflows and the client's preview all call it.
 */
import { periodSchedule, periodsOf } from '../calendar/index.js';
import type { Plan } from '../contract/plan.js';
import { compareEvents, laneOf, trackPeriod, type CycleEvent, type TrackedPeriod } from '../cycle/timeline.js';

export interface AmendTimelineInput {
  /** The timeline in force before the amendment. */
  previous: TrackedPeriod[];
  /** The new version (for a group: its part of it). */
  plan: Plan;
  /** The plan's own start. */
  startedAt: number;
  /** T: the instant the amendment is applied. */
  at: number;
  /** Every event at or before this instant was acted on (null: none yet). */
  doneThrough: number | null;
  /** Pairs (pairKey) this amendment adds to tasks that were already there, or with new tasks. */
  joining?: string[];
}

/** The timeline in force from T on (see the module's rules). */
export function amendTimeline(input: AmendTimelineInput): TrackedPeriod[] {
  const { previous, plan, startedAt, doneThrough } = input;
  const acted = doneThrough ?? -Infinity;
  // Nothing of the new version is placed at or before an instant already acted on.
  const at = Math.max(input.at, acted + 1);
  const joining = [...new Set(input.joining ?? [])].sort();
  const before = new Map(previous.map((p) => [p.schedule.period, p]));
  return periodsOf(plan.start, plan.end).map((period): TrackedPeriod => {
    const prev = before.get(period.id);
    if (prev && !prev.tracked) return prev;
    if (prev && prev.schedule.closeAt <= at) return prev;
    const schedule = periodSchedule(plan, period);
    if (!prev || prev.requestAt > acted) return trackPeriod(schedule, Math.max(startedAt, at));
    // Requested before T: every ladder of the quarter goes on under the new schedule.
    const lanes = new Map<string, CycleEvent[]>([['', []]]);
    for (const e of prev.events) {
      if (e.kind === 'deadline' || e.kind === 'close') continue;
      const lane = laneOf(e);
      (lanes.get(lane) ?? lanes.set(lane, []).get(lane)!).push(e);
    }
    const events: CycleEvent[] = [];
    for (const [lane, old] of lanes) {
      const pairs = lane ? lane.split(',') : undefined;
      const request = old.find((e) => e.kind === 'request');
      if (pairs && request && request.at > acted) {
        // A ladder of its own not begun yet: it begins again under the new version.
        events.push(...ownLane(schedule, at, pairs));
        continue;
      }
      const done = old.filter((e) => e.at <= acted);
      const lastReminder = Math.max(0, ...done.filter((e) => e.kind === 'reminder').map((e) => e.number));
      const lastLevel = Math.max(0, ...done.filter((e) => e.kind === 'escalation').map((e) => e.number));
      const requestAt = request?.at ?? prev.requestAt;
      let n = lastReminder;
      for (const r of schedule.reminders) {
        if (r.at >= at && r.at > requestAt) events.push({ at: r.at, kind: 'reminder', period: period.id, number: ++n, ...(pairs ? { pairs } : {}) });
      }
      for (const e of schedule.escalations) {
        if (e.at >= at && e.level > lastLevel) events.push({ at: e.at, kind: 'escalation', period: period.id, number: e.level, escalateTo: e.to, ...(pairs ? { pairs } : {}) });
      }
    }
    if (joining.length) events.push(...ownLane(schedule, at, joining));
    events.push({ at: schedule.deadline, kind: 'deadline', period: period.id, number: 1 });
    events.push({ at: schedule.closeAt, kind: 'close', period: period.id, number: 1 });
    events.sort(compareEvents);
    return { schedule, tracked: true, requestAt: prev.requestAt, events };
  });
}

/** The ladder of pairs that join a requested quarter at T: as if the plan had started at T, for them alone. */
function ownLane(schedule: TrackedPeriod['schedule'], at: number, pairs: string[]): CycleEvent[] {
  const fresh = trackPeriod(schedule, at);
  if (!fresh.tracked) return [];
  return fresh.events.filter((e) => e.kind !== 'deadline' && e.kind !== 'close').map((e) => ({ ...e, pairs }));
}
