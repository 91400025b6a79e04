/**
 * The plan file's shape. Sandbox-safe: used by the CLI to validate a file, by workflows to check their input,
 * and by activities to render notices.
 *
 * This schema checks the shape of each field. The rules that span fields (references between ids, real calendar
 * dates, the time zone, the order of the cadence's days) are in `plan-check.ts`: validate a plan with `checkPlan`.
 */
import { z } from 'zod';

/** A local calendar day, `YYYY-MM-DD`. */
export const localDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD');

const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, "-", "_" or "." (starting with a letter or digit)');

const emailSchema = z.email({ message: 'must be an e-mail address' });
const emailsSchema = z.union([emailSchema, z.array(emailSchema).min(1, 'must list at least one address')], {
  error: 'must be an e-mail address or a list of e-mail addresses',
});
const nonEmpty = () => z.string().min(1, 'must not be empty');

export const weekdaySchema = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

export const escalationStepSchema = z.strictObject({
  afterDaysOverdue: z.number().int().min(0, 'must be 0 or more'),
  to: z.enum(['unitLeader', 'headquarters']),
});

export const cadenceSchema = z.strictObject({
  sendTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time written HH:MM (00:00-23:59)'),
  requestOffsetDays: z.number().int(),
  dueOffsetDays: z.number().int(),
  reminderDays: z.array(z.number().int()).default([]),
  escalation: z.array(escalationStepSchema).default([]),
  /** Days after the due day until which a quarter accepts reports (late ones included). */
  closeAfterDays: z.number().int().min(1, 'must be 1 or more').default(90),
  /** Days a unit has to revise a report headquarters returned (the day then moves to a working day). */
  revisionDays: z.number().int().min(1, 'must be 1 or more').default(5),
});

export const calendarSchema = z.strictObject({
  workweek: z.array(weekdaySchema).min(1, 'must name at least one working weekday').default(['mon', 'tue', 'wed', 'thu', 'fri']),
  holidays: z.array(localDateSchema).default([]),
  extraWorkdays: z.array(localDateSchema).default([]),
});

export const targetSchema = z.strictObject({
  metric: nonEmpty(),
  total: z.number().positive('must be greater than 0'),
  reportedBy: idSchema.optional(),
});

/** When the semi-annual reviews and the annual summaries are made, in days after their window's end. */
export const reviewsSchema = z.strictObject({
  semiAnnualOffsetDays: z.number().int().min(0, 'must be 0 or more').default(20),
  annualOffsetDays: z.number().int().min(0, 'must be 0 or more').default(30),
});

/** How units are ranked into advanced and backward, and how far behind target a task may fall. */
export const assessmentSchema = z.strictObject({
  advancedShare: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.2),
  backwardShare: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.2),
  progressTolerance: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.1),
});

export const planSchema = z.strictObject({
  id: idSchema,
  title: z.string().min(1, 'must not be empty'),
  /** An IANA time zone, e.g. `Asia/Shanghai` (checked by `checkPlan`). */
  timezone: nonEmpty(),
  start: localDateSchema,
  end: localDateSchema,
  locale: z.enum(['en', 'zh-CN']).default('en'),
  headquarters: z.strictObject({ name: nonEmpty(), email: emailsSchema }),
  leaders: z.array(z.strictObject({ id: idSchema, name: nonEmpty(), email: emailsSchema })).default([]),
  units: z
    .array(z.strictObject({ id: idSchema, name: nonEmpty(), email: emailsSchema, leader: idSchema.optional() }))
    .min(1, 'must list at least one unit'),
  aspects: z.array(z.strictObject({ id: idSchema, title: nonEmpty() })).min(1, 'must list at least one aspect'),
  tasks: z
    .array(
      z.strictObject({
        id: idSchema,
        aspect: idSchema,
        title: nonEmpty(),
        units: z.array(idSchema).min(1, 'must list at least one unit'),
        target: targetSchema.optional(),
      }),
    )
    .min(1, 'must list at least one task'),
  cadence: cadenceSchema,
  calendar: calendarSchema.optional(),
  reviews: reviewsSchema.default({ semiAnnualOffsetDays: 20, annualOffsetDays: 30 }),
  assessment: assessmentSchema.default({ advancedShare: 0.2, backwardShare: 0.2, progressTolerance: 0.1 }),
});

/** A plan as written in the file (before defaults). */
export type PlanInput = z.input<typeof planSchema>;
/** A validated plan with defaults applied. */
export type Plan = z.output<typeof planSchema>;
export type Unit = Plan['units'][number];
export type Leader = Plan['leaders'][number];
export type Task = Plan['tasks'][number];
export type Cadence = Plan['cadence'];
export type PlanCalendar = NonNullable<Plan['calendar']>;
export type Assessment = Plan['assessment'];
export type ReviewOffsets = Plan['reviews'];

/** Addresses as a list, whichever way the file wrote them. */
export function addressList(email: string | string[]): string[] {
  return Array.isArray(email) ? email : [email];
}
