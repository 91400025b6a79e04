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
}

/** Turns zod issues into `field: reason` lines. */
export function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : 'report'}: ${i.message}`).join('; ');
}
