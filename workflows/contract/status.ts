/** The status of a plan as reported by `plan status --json` and the rehearsal's status.json. */

export const PERIOD_STATES = ['untracked', 'scheduled', 'requested', 'submitted', 'late', 'overdue', 'escalated'] as const;
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
}

/** How a plan's tasks are split over group workflows. */
export interface PlanLayout {
  planId: string;
  groups: { workflowId: string; taskIds: string[] }[];
}
