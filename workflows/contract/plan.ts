/**
 * The plan file's shape. Sandbox-safe: used by the CLI to validate a file, by workflows to check their input,
 * and by activities to render notices.
 *
 * This schema checks the shape of each field. The rules that span fields (references between ids, real calendar
 * dates, the time zone, the order of the cadence's days) are in `plan-check.ts`: validate a plan with `checkPlan`.
 */
import { z } from 'zod';

/** A local calendar day, `YYYY-MM-DD`. */
export const localDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD').describe('A local calendar day, YYYY-MM-DD.');

const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, "-", "_" or "." (starting with a letter or digit)')
  .describe('An id: 1-64 letters, digits, "-", "_" or ".", starting with a letter or digit.');

const emailSchema = z.email({ message: 'must be an e-mail address' });
const emailsSchema = z.union([emailSchema, z.array(emailSchema).min(1, 'must list at least one address')], {
  error: 'must be an e-mail address or a list of e-mail addresses',
}).describe('An e-mail address, or a list of them.');
const nonEmpty = () => z.string().min(1, 'must not be empty');

export const weekdaySchema = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']).describe('A weekday.');

export const escalationStepSchema = z.strictObject({
  afterDaysOverdue: z.number().int().min(0, 'must be 0 or more').describe('Days after the due day on which this level is sent.'),
  to: z.enum(['unitLeader', 'headquarters']).describe("Who is told: the unit's leader (unit in cc) or headquarters (leader in cc)."),
}).describe('One escalation level for a report that has not arrived.');

export const cadenceSchema = z.strictObject({
  sendTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time written HH:MM (00:00-23:59)').describe('The local time, HH:MM, at which every notice goes out on its day.'),
  requestOffsetDays: z.number().int().describe("The request day, in days after the quarter's last day (negative: before it)."),
  dueOffsetDays: z.number().int().describe("The due day, in days after the quarter's last day; after the request day."),
  reminderDays: z.array(z.number().int()).default([]).describe('Reminder days, relative to the due day (-3 is three days before it).'),
  escalation: z.array(escalationStepSchema).default([]).describe('Escalation levels, in order of afterDaysOverdue.'),
  /** Days after the due day until which a quarter accepts reports (late ones included). */
  closeAfterDays: z.number().int().min(1, 'must be 1 or more').default(90).describe('Days after the due day until which a quarter accepts (late) reports.'),
  /** Days a unit has to revise a report headquarters returned (the day then moves to a working day). */
  revisionDays: z.number().int().min(1, 'must be 1 or more').default(5).describe('Days a unit has to revise a returned report (then moved to a working day).'),
}).describe('When requests, reminders and escalations go out, relative to each quarter.');

export const calendarSchema = z.strictObject({
  workweek: z.array(weekdaySchema).min(1, 'must name at least one working weekday').default(['mon', 'tue', 'wed', 'thu', 'fri']).describe('The working weekdays.'),
  holidays: z.array(localDateSchema).default([]).describe('Days off that fall on working weekdays.'),
  extraWorkdays: z.array(localDateSchema).default([]).describe('Make-up working days that fall on a weekend.'),
}).describe('Working days: notice days that are not working days move (without it every day is a working day).');

export const targetSchema = z.strictObject({
  metric: nonEmpty().describe('What is counted, e.g. "counties inspected".'),
  total: z.number().positive('must be greater than 0').describe('The total to reach by the end of the plan.'),
  reportedBy: idSchema.optional().describe("The unit whose progress figure counts (default: the task's first unit)."),
}).describe('A numeric target for the task, checked at each review.');

/** When the semi-annual reviews and the annual summaries are made, in days after their window's end. */
export const reviewsSchema = z.strictObject({
  semiAnnualOffsetDays: z.number().int().min(0, 'must be 0 or more').default(20).describe('Days after June 30 (or the plan end) on which the half-year review is made.'),
  annualOffsetDays: z.number().int().min(0, 'must be 0 or more').default(30).describe('Days after Dec 31 (or the plan end) on which the annual summary is made.'),
}).describe('When the semi-annual reviews and the annual summaries are made.');

const weightSchema = () => z.number().min(0, 'must be 0 or more').default(0);

/** The assessment's weights: how much each part counts in a unit's score (parts left out count 0). */
export const weightsSchema = z
  .strictObject({
    timeliness: weightSchema().describe("The weight of the unit's on-time rate."),
    progress: weightSchema().describe("The weight of the share of the unit's target tasks not behind plan."),
    quality: weightSchema().describe("The weight of the share of the unit's decided reports accepted without a return."),
    findings: weightSchema().describe("The weight of the unit's closure rate of inspection findings (closed on time / due)."),
  })
  .refine((w) => w.timeliness + w.progress + w.quality + w.findings > 0, 'must give at least one part (timeliness, progress, quality, findings) a weight greater than 0')
  .describe("The assessment's weights: how much each part counts in a unit's score.");

/** How units are ranked into advanced and backward, and how far behind target a task may fall. */
export const assessmentSchema = z.strictObject({
  advancedShare: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.2).describe('The share of ranked units at most named advanced (0-1).'),
  backwardShare: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.2).describe('The share of ranked units at most named backward (0-1).'),
  progressTolerance: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.1).describe('How far below the expected progress a task may fall before it is behind plan (0-1).'),
  weights: weightsSchema.optional().describe('Opt-in: rank units by a score from 0 to 100 made of these weighted parts (without it, by on-time rate).'),
}).describe('How units are ranked into advanced and backward, and how far behind target a task may fall.');

/** How findings are worked: their first deadline, reminders, escalation, verification and rework days. */
export const inspectionCadenceSchema = z.strictObject({
  rectifyDays: z.number().int().min(1, 'must be 1 or more').default(60).describe("A finding's first deadline, in days after its round's feedback day (unless the finding has its own)."),
  reminderDays: z.array(z.number().int()).default([-7, -1]).describe("Reminder days of a finding's round, relative to its deadline day (-7 is a week before it)."),
  escalation: z.array(escalationStepSchema).optional().describe("Escalation levels of an overdue finding (default: the plan's cadence.escalation)."),
  verifyDays: z.number().int().min(1, 'must be 1 or more').default(5).describe('A claim still undecided this many days after its day reminds the verifier.'),
  reworkDays: z.number().int().min(1, 'must be 1 or more').default(15).describe('After a rejection or a reopening, the new deadline is that day plus this many days.'),
}).describe('How inspection findings are worked.');

export const findingSchema = z.strictObject({
  id: idSchema.describe("The finding's id, unique in the plan."),
  title: nonEmpty().describe('What the inspection found, in a line.'),
  description: z.string().optional().describe('More about the finding.'),
  unit: idSchema.describe('The id of the unit responsible for rectifying it.'),
  deadline: localDateSchema.optional().describe("Its first deadline day (default: the round's feedback day plus rectifyDays)."),
  verifier: idSchema.default('headquarters').describe('Who verifies its rectification: headquarters, or the id of another unit.'),
  recheckAfterDays: z.number().int().min(1, 'must be 1 or more').optional().describe('A re-check this many days after its closure.'),
}).describe('One problem an inspection fed back, to be rectified by one unit and verified.');

export const inspectionRoundSchema = z.strictObject({
  id: idSchema.describe("The inspection round's id."),
  title: nonEmpty().describe("The round's title."),
  feedbackDay: localDateSchema.describe('The day its findings were fed back to the units.'),
  covers: z.array(idSchema).default([]).describe('The coverage targets this round inspected.'),
  findings: z.array(findingSchema).default([]).describe("The round's findings."),
}).describe('One inspection round and the findings it fed back.');

export const inspectionsSchema = z.strictObject({
  cadence: inspectionCadenceSchema.default({ rectifyDays: 60, reminderDays: [-7, -1], verifyDays: 5, reworkDays: 15 }),
  coverage: z
    .strictObject({
      targets: z.array(idSchema).min(1, 'must list at least one target').describe('What the rounds must cover, e.g. every county.'),
      by: localDateSchema.describe('The day by which every target must be covered.'),
    })
    .optional()
    .describe('What the inspection rounds must cover, and by when.'),
  rounds: z.array(inspectionRoundSchema).default([]).describe('The inspection rounds, each with its findings.'),
}).describe('Inspection rounds and their findings, each rectified by a unit and verified closed.');

/** How notices travel: one message per recipient per instant, or one per notice. */
export const deliverySchema = z.strictObject({
  digest: z.boolean().default(true).describe('Notices of the same instant with the same recipients (to and cc) go out as one message listing each (false: one message per notice).'),
}).describe('How notices travel.');

export const planSchema = z.strictObject({
  id: idSchema.describe("The plan's id, used in links, workflow ids and the database."),
  title: z.string().min(1, 'must not be empty').describe("The plan's title, as notices show it."),
  /** An IANA time zone, e.g. `Asia/Shanghai` (checked by `checkPlan`). */
  timezone: nonEmpty().describe('An IANA time zone, e.g. Asia/Shanghai: every day and time of the plan is local to it.'),
  start: localDateSchema.describe("The plan's first day, YYYY-MM-DD."),
  end: localDateSchema.describe("The plan's last day, YYYY-MM-DD."),
  locale: z.enum(['en', 'zh-CN']).default('en').describe('The language of notices and portal pages.'),
  headquarters: z
    .strictObject({ name: nonEmpty().describe("Headquarters' name."), email: emailsSchema })
    .describe('Headquarters: told of the last escalation level, and the sender of every notice.'),
  leaders: z
    .array(
      z
        .strictObject({ id: idSchema, name: nonEmpty().describe("The leader's name."), email: emailsSchema })
        .describe('A leader, who is told when a unit of theirs is overdue or lagging.'),
    )
    .default([])
    .describe('The leaders in charge of units.'),
  units: z
    .array(
      z
        .strictObject({
          id: idSchema,
          name: nonEmpty().describe("The unit's name."),
          email: emailsSchema,
          leader: idSchema.optional().describe("The id of the unit's leader."),
        })
        .describe('A unit that reports on its tasks each quarter.'),
    )
    .min(1, 'must list at least one unit')
    .describe('The reporting units.'),
  aspects: z
    .array(z.strictObject({ id: idSchema, title: nonEmpty().describe("The aspect's title.") }).describe('An aspect of the plan, grouping tasks.'))
    .min(1, 'must list at least one aspect')
    .describe("The plan's aspects."),
  tasks: z
    .array(
      z
        .strictObject({
          id: idSchema,
          aspect: idSchema.describe("The id of the task's aspect."),
          title: nonEmpty().describe("The task's title."),
          units: z.array(idSchema).min(1, 'must list at least one unit').describe('The ids of the units that report on the task.'),
          target: targetSchema.optional(),
        })
        .describe('A task, reported on each quarter by each of its units.'),
    )
    .min(1, 'must list at least one task')
    .describe("The plan's tasks."),
  cadence: cadenceSchema,
  calendar: calendarSchema.optional(),
  reviews: reviewsSchema.default({ semiAnnualOffsetDays: 20, annualOffsetDays: 30 }),
  assessment: assessmentSchema.default({ advancedShare: 0.2, backwardShare: 0.2, progressTolerance: 0.1 }),
  delivery: deliverySchema.default({ digest: true }),
  inspections: inspectionsSchema.optional(),
}).describe('A multi-year action plan run as quarterly review cycles.');

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
export type AssessmentWeights = NonNullable<Assessment['weights']>;
export type ReviewOffsets = Plan['reviews'];
export type Delivery = Plan['delivery'];
export type Inspections = NonNullable<Plan['inspections']>;
export type InspectionRound = Inspections['rounds'][number];
export type Finding = InspectionRound['findings'][number];
export type InspectionCadence = Inspections['cadence'];

/** Addresses as a list, whichever way the file wrote them. */
export function addressList(email: string | string[]): string[] {
  return Array.isArray(email) ? email : [email];
}
