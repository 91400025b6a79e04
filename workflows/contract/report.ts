/** A unit's report: the schema the CLI, the portal and the workflow's update validator share. */
import { z } from 'zod';

export const REPORT_STATUSES = ['on-track', 'at-risk', 'off-track'] as const;
export const MAX_TEXT = 20_000;

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

export const reportInputSchema = z.strictObject({
  /** Idempotency key: the same submission sent twice is applied once. */
  requestId: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  taskId: z.string().min(1, 'must not be empty'),
  unitId: z.string().min(1, 'must not be empty'),
  period: z.string().regex(/^\d{4}-Q[1-4]$/, 'must be a quarter written YYYY-Qn, e.g. 2027-Q1'),
  status: z.enum(REPORT_STATUSES, { message: `must be one of ${REPORT_STATUSES.join(', ')}` }),
  summary: text(MAX_TEXT).refine((s) => s.trim().length > 0, 'must not be empty'),
  progress: z.number({ message: 'must be a number' }).finite('must be a finite number').optional(),
  problems: text(MAX_TEXT).optional(),
  nextSteps: text(MAX_TEXT).optional(),
  submittedBy: text(200).optional(),
  /** When the engine received it (set by the client code where the report entered; see contract/arrival.ts). */
  receivedAt: z.iso.datetime({ offset: true, message: 'must be an ISO instant, e.g. 2027-03-31T23:59:58Z' }).optional(),
});

/** A report as sent by a unit. */
export type ReportInput = z.infer<typeof reportInputSchema>;

/** What the workflow answers to an accepted report. */
export interface ReportReceipt {
  taskId: string;
  unitId: string;
  period: string;
  revision: number;
  arrivedAt: string;
  firstArrivedAt: string;
  onTime: boolean;
  daysLate: number;
  duplicate: boolean;
  /** Set when this submission is the revision a return asked for: onTime and daysLate then count from its due day. */
  answersReturn?: boolean;
}

/** Turns zod issues into `field: reason` lines. */
export function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : 'report'}: ${i.message}`).join('; ');
}

/** Headquarters' decision on a report: accept it (it is then locked) or return it for revision with a comment. */
export const reviewDecisionSchema = z.strictObject({
  requestId: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  taskId: z.string().min(1, 'must not be empty'),
  unitId: z.string().min(1, 'must not be empty'),
  period: z.string().regex(/^\d{4}-Q[1-4]$/, 'must be a quarter written YYYY-Qn, e.g. 2027-Q1'),
  decision: z.enum(['accept', 'return'], { message: 'must be accept or return' }),
  comment: text(5_000).optional(),
  by: text(200).optional(),
}).refine((d) => d.decision !== 'return' || (d.comment ?? '').trim().length > 0, { path: ['comment'], message: 'must say what to revise when returning a report' });

/** A decision as sent by headquarters. */
export type ReviewDecision = z.infer<typeof reviewDecisionSchema>;

/** What the workflow answers to a decision. */
export interface DecisionReceipt {
  taskId: string;
  unitId: string;
  period: string;
  decision: 'accept' | 'return';
  at: string;
  /** For a return: the new due day (moved to a working day) and its deadline. */
  revisionDueDay: string | null;
  revisionDueAt: string | null;
  /** How many times the report has been returned. */
  round: number;
  duplicate: boolean;
}

/** Headquarters gives one report a new due day (延期): `until` is moved forward to a working day. */
export const extensionInputSchema = z.strictObject({
  requestId: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  taskId: z.string().min(1, 'must not be empty'),
  unitId: z.string().min(1, 'must not be empty'),
  period: z.string().regex(/^\d{4}-Q[1-4]$/, 'must be a quarter written YYYY-Qn, e.g. 2027-Q1'),
  until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a day written YYYY-MM-DD, e.g. 2027-07-20', abort: true }).refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'is not a day of the calendar'),
  reason: text(5_000).refine((s) => s.trim().length > 0, 'must say why the report is given more time'),
  by: text(200).optional(),
});

/** An extension as sent by headquarters. */
export type ExtensionInput = z.infer<typeof extensionInputSchema>;

/** What the workflow answers to an extension. */
export interface ExtensionReceipt {
  taskId: string;
  unitId: string;
  period: string;
  /** The extension's number among this report's extensions. */
  extension: number;
  at: string;
  until: string;
  /** The new due day (a working day) and its deadline. */
  dueDay: string;
  dueAt: string;
  previousDueDay: string;
  /** 0 for the quarter's report, k for the revision asked for by the k-th return. */
  round: number;
  duplicate: boolean;
}
