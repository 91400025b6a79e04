/**
 * Amending a running plan: what headquarters sends, what the plan workflow answers, and what each version records.
 * Sandbox-safe: the client, the activities and the workflows share it.
 */
import { z } from 'zod';
import type { Plan, Task, Unit } from './plan.js';
import type { TrackedPeriod } from '../cycle/timeline.js';

/** An amendment as the client sends it: the whole plan, edited, and why. */
export const amendInputSchema = z.strictObject({
  /** The amendment's id: derived from the plan and the reason, so that the same file and reason apply once. */
  requestId: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  /** The whole plan (same id), checked by the workflow exactly like a new one. */
  plan: z.unknown(),
  reason: z.string().trim().min(1, 'must give the reason of the amendment').max(2_000, 'must be at most 2,000 characters'),
  by: z.string().max(200, 'must be at most 200 characters').optional(),
});
export type AmendInput = z.output<typeof amendInputSchema>;

/** "task|unit": a pair of a task and one of its units. */
export const pairKey = (taskId: string, unitId: string) => `${taskId}|${unitId}`;

/**
 * What the plan tracks beyond its file once it has been amended: each quarter's schedule in force, the pairs that
 * joined or left, and the tasks (and units) retired, kept so that earlier quarters still count. Version 1 has none.
 */
export interface PlanTrack {
  /** The version this track belongs to (2 and up). */
  version: number;
  /** The instant T this version was applied. */
  at: number;
  /** Plan-wide: every quarter with the schedule and events in force (a group's own list may be narrower). */
  timeline: TrackedPeriod[];
  /** pairKey -> the instant the pair joined after the plan's start (its quarters count as if the plan began then). */
  joined: Record<string, number>;
  /** pairKey -> the instant the pair was taken off (its quarters not yet requested then are not tracked). */
  left: Record<string, number>;
  /** Tasks no longer in the plan, as they were last in force, with `retiredAt`. */
  retiredTasks: (Task & { retiredAt: number })[];
  /** Units no longer in the plan that a retired task or a pair that left still names. */
  retiredUnits: Unit[];
}

/** The answer to an amendment. */
export interface AmendReceipt {
  planId: string;
  /** The version now in force. */
  version: number;
  /** The instant T it was applied (ISO). */
  at: string;
  /** True when this amendment (same plan and reason) had been applied already: nothing changed. */
  duplicate: boolean;
  /** The difference from the version before it, as recorded. */
  difference: unknown;
}

/** One applied version, as the system of record keeps it. */
export interface PlanVersionRecord {
  planId: string;
  version: number;
  plan: Plan;
  /** T, ms since the epoch. */
  effectiveAt: number;
  /** The plan's own start (ms), as recorded with version 1. */
  startedAt: number;
  reason: string;
  by: string | null;
  requestId: string;
  difference: unknown;
  track: PlanTrack;
  /** The layout in force with this version (groups added for new tasks). */
  layout: { planId: string; groups: { workflowId: string; taskIds: string[] }[] };
}

/** What the plan workflow sends each group when an amendment is applied: its part of the new version. */
export interface GroupAmendment {
  version: number;
  /** T, ms. */
  at: number;
  /** The group's tasks of the new version (tasks retired from it are gone; see retiredTasks). */
  plan: Plan;
  joined: Record<string, number>;
  left: Record<string, number>;
  retiredTasks: (Task & { retiredAt: number })[];
  retiredUnits: Unit[];
}
