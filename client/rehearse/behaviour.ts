/** The behaviour file of a rehearsal: when each unit answers, with what status and progress. */
import { z } from 'zod';
import { addDays, periodsOf, periodSchedule, zonedInstant } from '../../workflows/calendar/index.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { REPORT_STATUSES } from '../../workflows/contract/report.js';
import { dirname, resolve } from 'node:path';
import { loadPlanFile } from '../plan-file.js';
import { readStructuredFile } from '../structured-file.js';
import { checkFindingBehaviour, findingBehaviourSchema } from './findings.js';

const submitSchema = z.union([
  z.literal('never'),
  z.strictObject({ daysAfterRequest: z.number().int().min(0, 'must be 0 or more') }),
  z.strictObject({ daysAfterDue: z.number().int() }),
]);

const fieldsSchema = {
  submit: submitSchema.optional(),
  status: z.enum(REPORT_STATUSES).optional(),
  progress: z.number().finite().optional(),
};

/** Headquarters extends one report at an instant, as `report extend` would (延期). */
const extensionSchema = z.strictObject({
  at: z.iso.datetime({ offset: true, message: 'must be an ISO instant with its offset, e.g. 2027-07-01T10:00:00+08:00' }),
  task: z.string().min(1, 'must not be empty'),
  unit: z.string().min(1, 'must not be empty'),
  period: z.string().regex(/^\d{4}-Q[1-4]$/, 'must be a quarter written YYYY-Qn'),
  until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day written YYYY-MM-DD'),
  reason: z.string().refine((x) => x.trim().length > 0, 'must say why the report is given more time'),
  by: z.string().optional(),
});

/** Headquarters amends the plan at an instant, as `plan amend` would: the whole plan, edited (a file, or the plan itself). */
const amendmentSchema = z.strictObject({
  at: z.iso.datetime({ offset: true, message: 'must be an ISO instant with its offset, e.g. 2027-11-25T10:00:00+08:00' }),
  plan: z.union([z.string().min(1, 'must name a plan file'), z.record(z.string(), z.unknown())], { error: 'must name a plan file (relative to the behaviour file)' }),
  reason: z.string().refine((x) => x.trim().length > 0, 'must say why the plan is amended'),
  by: z.string().optional(),
});

export const behaviourSchema = z.strictObject({
  default: z.strictObject(fieldsSchema).optional(),
  rules: z
    .array(
      z.strictObject({
        unit: z.string().optional(),
        task: z.string().optional(),
        period: z.string().regex(/^\d{4}-Q[1-4]$/, 'must be a quarter written YYYY-Qn').optional(),
        ...fieldsSchema,
      }),
    )
    .default([]),
  findings: findingBehaviourSchema.optional(),
  extensions: z.array(extensionSchema).optional(),
  amendments: z.array(amendmentSchema).optional(),
});

export type Behaviour = z.output<typeof behaviourSchema>;
export type Submit = z.output<typeof submitSchema>;
/** One planned amendment of the rehearsal (its plan read and checked: the version it applies). */
export type PlannedAmendment = Omit<z.output<typeof amendmentSchema>, 'plan'> & { plan: Plan | string | Record<string, unknown> };
/** One planned extension of the rehearsal. */
export type PlannedExtension = z.output<typeof extensionSchema>;

/** What one unit does for one task and quarter. */
export interface Answer {
  submit: Submit;
  status: (typeof REPORT_STATUSES)[number];
  progress?: number;
}

/** Nobody answers: the rehearsal without a behaviour file. */
export const SILENT: Behaviour = { default: { submit: 'never', status: 'on-track' }, rules: [] };

/** The last rule whose named fields all match, completed from `default`. */
export function answerFor(b: Behaviour, taskId: string, unitId: string, period: string): Answer {
  const base: Answer = { submit: b.default?.submit ?? 'never', status: b.default?.status ?? 'on-track', progress: b.default?.progress };
  for (let i = b.rules.length - 1; i >= 0; i--) {
    const r = b.rules[i];
    if ((r.unit === undefined || r.unit === unitId) && (r.task === undefined || r.task === taskId) && (r.period === undefined || r.period === period)) {
      return { submit: r.submit ?? base.submit, status: r.status ?? base.status, progress: r.progress ?? base.progress };
    }
  }
  return base;
}

/** Checks the rules' names against the plan: one `<path>: <problem>` line each. */
export function checkBehaviourAgainstPlan(b: Behaviour, first: Plan): string[] {
  // Names are checked against every version the rehearsal runs: a rule may name a task an amendment adds.
  const versions = [first, ...(b.amendments ?? []).map((a) => a.plan).filter((p): p is Plan => typeof p === 'object' && Array.isArray((p as Plan).tasks))];
  const plan: Plan = { ...first, units: versions.flatMap((v) => v.units), tasks: versions.flatMap((v) => v.tasks), end: versions.map((v) => v.end).sort().at(-1)! };
  const units = new Set(plan.units.map((u) => u.id));
  const tasks = new Set(plan.tasks.map((t) => t.id));
  const periods = new Set(periodsOf(plan.start, plan.end).map((p) => p.id));
  const problems: string[] = [];
  b.rules.forEach((r, i) => {
    if (r.unit !== undefined && !units.has(r.unit)) problems.push(`rules[${i}].unit: unknown unit "${r.unit}" in plan ${plan.id}`);
    if (r.task !== undefined && !tasks.has(r.task)) problems.push(`rules[${i}].task: unknown task "${r.task}" in plan ${plan.id}`);
    if (r.period !== undefined && !periods.has(r.period)) problems.push(`rules[${i}].period: ${r.period} is not a quarter of plan ${plan.id}`);
  });
  if (b.findings) problems.push(...checkFindingBehaviour(b.findings, plan));
  (b.extensions ?? []).forEach((x, i) => {
    const task = plan.tasks.find((t) => t.id === x.task && t.units.includes(x.unit)) ?? plan.tasks.find((t) => t.id === x.task);
    if (!task) problems.push(`extensions[${i}].task: unknown task "${x.task}" in plan ${plan.id}`);
    else if (!task.units.includes(x.unit)) problems.push(`extensions[${i}].unit: unit "${x.unit}" is not responsible for task "${x.task}"`);
    if (!periods.has(x.period)) problems.push(`extensions[${i}].period: ${x.period} is not a quarter of plan ${plan.id}`);
  });
  return problems;
}

/** Reads and checks a behaviour file; errors are `<file>: <path>: <problem>` lines. */
export async function loadBehaviourFile(file: string, plan: Plan): Promise<{ ok: true; behaviour: Behaviour } | { ok: false; errors: string[] }> {
  const raw = await readStructuredFile(file);
  if (!raw.ok) return raw;
  const parsed = behaviourSchema.safeParse(raw.value ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => `${file}: ${i.path.map((p, k) => (typeof p === 'number' ? `[${p}]` : `${k ? '.' : ''}${String(p)}`)).join('') || '(root)'}: ${i.message}`),
    };
  }
  // Each amendment's plan file, relative to the behaviour file, is read and checked like a new plan.
  const errors: string[] = [];
  for (const [i, a] of (parsed.data.amendments ?? []).entries()) {
    if (typeof a.plan !== 'string') continue;
    const loaded = await loadPlanFile(resolve(dirname(file), a.plan));
    if (!loaded.ok) errors.push(...loaded.errors.map((e) => `${file}: amendments[${i}].plan: ${e}`));
    else if (loaded.plan.id !== plan.id) errors.push(`${file}: amendments[${i}].plan: plan id ${loaded.plan.id} is not ${plan.id}, the plan rehearsed`);
    else a.plan = loaded.plan;
  }
  if (errors.length) return { ok: false, errors };
  const problems = checkBehaviourAgainstPlan(parsed.data, plan);
  if (problems.length) return { ok: false, errors: problems.map((p) => `${file}: ${p}`) };
  return { ok: true, behaviour: parsed.data };
}

/** A planned submission of the rehearsal. */
export interface PlannedSubmission {
  at: number;
  taskId: string;
  unitId: string;
  period: string;
  answer: Answer;
}

/** When every unit answers, per the behaviour: 12:00 local on request day + n, or on due day + n (days as moved by the calendar). */
export function plannedSubmissions(plan: Plan, b: Behaviour): PlannedSubmission[] {
  const out: PlannedSubmission[] = [];
  for (const p of periodsOf(plan.start, plan.end)) {
    const s = periodSchedule(plan, p);
    for (const task of plan.tasks) {
      for (const unitId of task.units) {
        const answer = answerFor(b, task.id, unitId, p.id);
        if (answer.submit === 'never') continue;
        const day = 'daysAfterRequest' in answer.submit ? addDays(s.requestDay, answer.submit.daysAfterRequest) : addDays(s.dueDay, answer.submit.daysAfterDue);
        out.push({ at: zonedInstant(day, '12:00', plan.timezone), taskId: task.id, unitId, period: p.id, answer });
      }
    }
  }
  return out.sort((a, b2) => a.at - b2.at);
}
