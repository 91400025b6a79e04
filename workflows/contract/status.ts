/** The status of a plan as reported by `plan status --json` and the rehearsal's status.json. */
import type { FindingStatus } from './finding.js';

export const PERIOD_STATES = ['untracked', 'scheduled', 'requested', 'submitted', 'late', 'overdue', 'escalated', 'withdrawn'] as const;
export type PeriodState = (typeof PERIOD_STATES)[number];

/** A notice the mail server refused for good (or whose delivery is unconfirmed); the cycle went on without it. */
export interface DeliveryIssue {
  kind: string;
  number: number;
  at: string;
  reason: string;
}

export interface PeriodStatus {
  period: string;
  state: PeriodState;
  requestedAt: string | null;
  /** The deadline: the end (local midnight) of the due day. */
  dueAt: string;
  submittedAt: string | null;
  daysLate: number | null;
  reminders: number;
  escalations: number;
  revisions: number;
  reportStatus: string | null;
  progress: number | null;
  deliveryIssues: DeliveryIssue[];
  /** Headquarters' last decision on the report. */
  review: 'accepted' | 'returned' | null;
  /** While a returned report awaits its revision: the revision's deadline. */
  revisionDueAt: string | null;
  /** How many times the report has been returned. */
  round: number;
  /** Present (> 0) once headquarters extended the report: how many times (its dueAt or revisionDueAt is the new day's). */
  extensions?: number;
  /** Present (> 0) once an amendment moved its due day after it was requested: how many times. */
  dueMoves?: number;
  /** Present while notices of this report are not delivered yet because the mail server keeps failing. */
  retrying?: RetryingDelivery[];
}

/** A notice not delivered yet: its hand-over has failed since `since` and is being retried. */
export interface RetryingDelivery {
  kind: string;
  number: number | null;
  /** The notice's own instant. */
  at: string;
  since: string;
  reason: string;
  attempts: number;
}

/** One line of a task's timeline: a notice that went out, a report that arrived, or a decision on it. */
export interface TimelineEntry {
  at: string;
  kind: 'request' | 'reminder' | 'escalation' | 'returned' | 'extended' | 'report' | 'accepted';
  unitId: string;
  period: string;
  /** Reminder number, escalation level, revision number. */
  number: number;
  /** 0 for the quarter's own ladder, k for the ladder after the k-th return. */
  round: number;
  detail: string | null;
}

export interface UnitStatus {
  unitId: string;
  periods: PeriodStatus[];
}

export interface TaskStatus {
  taskId: string;
  units: UnitStatus[];
}

export interface PlanStatus {
  planId: string;
  tasks: TaskStatus[];
  /** Present while any notice of the plan is not delivered yet (the mail server keeps failing): all of them. */
  retrying?: (RetryingDelivery & { taskId: string | null; unitId: string | null; period: string | null })[];
  /** The plan's inspection findings (present when the plan has any). */
  findings?: FindingStatus[];
}

/** A stored revision of a report. */
export interface Revision {
  requestId: string;
  arrivedAt: number;
  status: string;
  summary: string;
  progress?: number;
  problems?: string;
  nextSteps?: string;
  submittedBy?: string;
}

/** What a group workflow remembers of one (task, unit, period); created when its request goes out. */
export interface UnitPeriodRecord {
  requestedAt: number;
  reminders: number;
  escalations: number;
  /** When each escalation went out (reviews count those at or before their moment). */
  escalatedAt?: number[];
  submittedAt?: number;
  daysLate?: number;
  revisions: Revision[];
  deliveryIssues: DeliveryIssue[];
  /** Every notice that went out for it, for the timeline. */
  sent?: { kind: string; number: number; round: number; at: number }[];
  /** Headquarters' decisions, oldest first. */
  decisions?: { decision: 'accept' | 'return'; at: number; requestId: string; comment?: string; by?: string; revisionDueDay?: string; revisionDeadline?: number }[];
  /** Set while a returned report awaits its revision (the return's instant). */
  awaitingSince?: number;
  /** Headquarters' extensions (延期), oldest first: each gives the report of its round a new due day. */
  extensions?: Extension[];
  /** Set when an amendment retired its task or took its unit off the task while the quarter was open: no more notices. */
  withdrawnAt?: number;
  /** How many amendments moved its due day after it was requested (a calendar event's SEQUENCE counts them). */
  dueMoves?: number;
}

/** One extension of a report: who granted it when, the day asked for, the working day it gave, and why. */
export interface Extension {
  requestId: string;
  at: number;
  /** The day asked for (YYYY-MM-DD). */
  until: string;
  /** The new due day: `until` moved forward to a working day. */
  dueDay: string;
  /** The end (local midnight) of the new due day. */
  deadline: number;
  /** The due day it replaced. */
  previousDueDay: string;
  /** Reports are accepted until then (the quarter's close, later if the new ladder needs it). */
  closeAt: number;
  /** 0 for the quarter's report, k for the revision asked for by the k-th return. */
  round: number;
  reason: string;
  by?: string;
}

/** How a plan's tasks are split over group workflows. */
export interface PlanLayout {
  planId: string;
  groups: { workflowId: string; taskIds: string[] }[];
}
