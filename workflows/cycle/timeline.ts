/** Which notices a group of tasks sends when, given the plan and the moment the plan was started. Pure. */
import { periodsOf, periodSchedule, type PeriodSchedule } from '../calendar/index.js';
import type { Plan } from '../contract/plan.js';
import type { ReviewWindow } from '../review/windows.js';

export type CycleEventKind = 'request' | 'reminder' | 'escalation' | 'deadline' | 'close' | 'review';

/** One moment at which the cycle acts for every unit of a quarter at once. */
export interface CycleEvent {
  at: number;
  kind: CycleEventKind;
  /** The quarter, or for a review the window id (`2027-H1`, `2027`, `plan`). */
  period: string;
  /** Reminder number or escalation level; for a review its position among the plan's reviews; 1 otherwise. */
  number: number;
  escalateTo?: 'unitLeader' | 'headquarters';
  /**
   * Only these pairs (pairKey "task|unit"), for pairs an amendment added to a quarter already requested: they follow
   * their own ladder. Absent: every pair of the quarter that no such event names.
   */
  pairs?: string[];
}

export interface TrackedPeriod {
  schedule: PeriodSchedule;
  tracked: boolean;
  /** When the request goes out: its scheduled moment, or the start if that has passed. */
  requestAt: number;
  events: CycleEvent[];
}

// A review comes after every notice of its instant, so the escalations it counts have gone out.
const KIND_ORDER: Record<CycleEventKind, number> = { request: 0, reminder: 1, escalation: 2, deadline: 3, close: 4, review: 5 };

/** Orders events by instant, then by kind, period and number, so replays and rehearsals agree. */
export function compareEvents(a: CycleEvent, b: CycleEvent): number {
  if (a.kind === 'review' && b.kind === 'review') return a.at - b.at || a.number - b.number;
  return a.at - b.at || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.period < b.period ? -1 : a.period > b.period ? 1 : 0) || a.number - b.number;
}

/**
 * The plan's quarters and their events. A quarter whose due day ended before `startedAt` is not tracked; one whose
 * request moment passed gets its request at `startedAt`, and its reminders and escalations in the past are skipped.
 */
export function cycleTimeline(plan: Plan, startedAt: number): TrackedPeriod[] {
  return periodsOf(plan.start, plan.end).map((p) => trackPeriod(periodSchedule(plan, p), startedAt));
}

/** One quarter's events for a plan (or a pair) that starts being tracked at `startedAt`. */
export function trackPeriod(schedule: PeriodSchedule, startedAt: number): TrackedPeriod {
  const period = schedule.period;
  const tracked = schedule.deadline > startedAt;
  const requestAt = Math.max(schedule.requestAt, startedAt);
  const events: CycleEvent[] = [];
  if (tracked) {
    events.push({ at: requestAt, kind: 'request', period, number: 1 });
    for (const r of schedule.reminders) {
      if (r.at >= startedAt && r.at > requestAt) events.push({ at: r.at, kind: 'reminder', period, number: r.number });
    }
    for (const e of schedule.escalations) {
      if (e.at >= startedAt) events.push({ at: e.at, kind: 'escalation', period, number: e.level, escalateTo: e.to });
    }
    events.push({ at: schedule.deadline, kind: 'deadline', period, number: 1 });
    events.push({ at: schedule.closeAt, kind: 'close', period, number: 1 });
    events.sort(compareEvents);
  }
  return { schedule, tracked, requestAt, events };
}

/** All events of all tracked quarters (and the reviews, when given) in the order the cycle acts on them. */
export function allEvents(periods: TrackedPeriod[], windows: ReviewWindow[] = []): CycleEvent[] {
  const reviews = windows.map((w, i): CycleEvent => ({ at: w.at, kind: 'review', period: w.id, number: i + 1 }));
  return [...periods.flatMap((p) => p.events), ...reviews].sort(compareEvents);
}

/** The notice that follows `event` in its quarter's ladder, if the unit stays silent. */
export function nextNotice(period: TrackedPeriod, event: CycleEvent): CycleEvent | null {
  const lane = laneOf(event);
  for (const e of period.events) {
    if (e.kind !== 'reminder' && e.kind !== 'escalation') continue;
    if (laneOf(e) !== lane) continue;
    if (compareEvents(e, event) > 0) return e;
  }
  return null;
}

/** The ladder an event belongs to: '' for the quarter's own, else the pairs it is restricted to. */
export function laneOf(event: CycleEvent): string {
  return event.pairs ? event.pairs.join(',') : '';
}

/** The pairs of each quarter that follow a ladder of their own (they are left out of the quarter's own events). */
export function ownLanePairs(periods: TrackedPeriod[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const p of periods) {
    for (const e of p.events) {
      if (!e.pairs) continue;
      const set = out.get(p.schedule.period) ?? out.set(p.schedule.period, new Set()).get(p.schedule.period)!;
      for (const k of e.pairs) set.add(k);
    }
  }
  return out;
}
