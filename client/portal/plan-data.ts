/** The plan data pages need, from the system of record, with typed refusals turned into HTTP errors. */
import type pg from 'pg';
import { runningPlan, UserError } from '../plans.js';
import { storedRecords } from '../../store/records.js';
import { recordKey } from '../../workflows/contract/ids.js';
import type { Plan } from '../../workflows/contract/plan.js';
import { REFUSALS, type Refusal, type RefusalKind } from '../../workflows/contract/refusals.js';
import type { PeriodStatus, PlanStatus } from '../../workflows/contract/status.js';
import { en } from './catalogue/en.js';
import type { Ctx } from './context.js';
import { HttpError, type ErrorKind } from './http.js';
import { catalogueFor, refusalSentence } from './i18n.js';

/**
 * The plan in force, from the database, kept for a few seconds (every page needs it, and a burst of requests need
 * not each read it); only a few seconds, because a plan may be amended and a finished plan's id started again.
 */
const plans = new WeakMap<pg.Pool, Map<string, { plan: Plan; at: number }>>();
const MAX_CACHED = 200;
const KEEP_MS = 5_000;

/** The plan in force; an unknown plan is a UserError ENOPLAN (a 404). */
export async function loadPlan(db: pg.Pool, planId: string, now = Date.now()): Promise<Plan> {
  let perDb = plans.get(db);
  if (!perDb) plans.set(db, (perDb = new Map()));
  const known = perDb.get(planId);
  if (known && now - known.at < KEEP_MS) return known.plan;
  const plan = await runningPlan(db, planId);
  perDb.delete(planId);
  if (perDb.size >= MAX_CACHED) perDb.delete(perDb.keys().next().value!);
  perDb.set(planId, { plan, at: now });
  return plan;
}

/** The plan, or undefined when it is unknown (for choosing a language and refusing a link); a database failure is thrown. */
export async function planIfKnown(db: pg.Pool, planId: string | undefined): Promise<Plan | undefined> {
  if (!planId) return undefined;
  try {
    return await loadPlan(db, planId);
  } catch (err) {
    if (err instanceof UserError && err.code === 'ENOPLAN') return undefined;
    throw err;
  }
}

/** From here on the request speaks the plan's language and writes instants in its time zone. */
export function speakPlan(ctx: Ctx, plan: Plan): void {
  ctx.c = catalogueFor(plan.locale);
  ctx.zone = plan.timezone;
}

/** A refusal in the request's words (the plan's language; English for the JSON API). */
export function sayRefusal(ctx: Ctx, r: Refusal): string {
  return refusalSentence(ctx.api ? en : ctx.c, r, ctx.zone);
}

/** The status of one (task, unit, quarter), if the plan has it. */
export function periodOf(status: PlanStatus, taskId: string, unitId: string, period: string): PeriodStatus | undefined {
  return status.tasks.find((t) => t.taskId === taskId)?.units.find((u) => u.unitId === unitId)?.periods.find((p) => p.period === period);
}

/** Every quarter of a unit's task, oldest first. */
export function periodsOf(status: PlanStatus, taskId: string, unitId: string): PeriodStatus[] {
  return status.tasks.find((t) => t.taskId === taskId)?.units.find((u) => u.unitId === unitId)?.periods ?? [];
}

/** The task and unit of a report, or a 404 when the plan has no such pair. */
export function reportParts(plan: Plan, taskId: string, unitId: string) {
  const task = plan.tasks.find((t) => t.id === taskId);
  if (!task) throw new HttpError(404, 'notFound', `plan ${plan.id} has no task "${taskId}"`, 'taskId');
  if (!task.units.includes(unitId)) throw new HttpError(404, 'notFound', `task "${taskId}" has no unit "${unitId}"`, 'unitId');
  const unit = plan.units.find((u) => u.id === unitId);
  const aspect = plan.aspects.find((a) => a.id === task.aspect);
  return { task, unitName: unit?.name ?? unitId, aspectTitle: aspect?.title ?? task.aspect };
}

/**
 * Why a report takes no decision and no extension any more, though its page still opens: an amendment withdrew it
 * (took its pair off while the quarter was open: `withdrawnAt`), or its pair is not the plan's in force (a task
 * retired, a unit taken off). Undefined for a report of a pair the plan in force has, not withdrawn. One indexed read.
 */
export interface OffReport {
  /** When the amendment withdrew it (ISO), if its quarter was open then. */
  withdrawnAt?: string;
  /** The plan in force has the task no more (else: no more with this unit). */
  taskRetired: boolean;
  /** Whether the plan in force has the pair (a unit taken off, then given the task again: the withdrawn quarter stays so). */
  kept: boolean;
}

export async function offReport(db: pg.Pool, inForce: Plan, taskId: string, unitId: string, period: string): Promise<OffReport | undefined> {
  const task = inForce.tasks.find((t) => t.id === taskId);
  const kept = !!task && task.units.includes(unitId);
  const record = (await storedRecords(db, inForce.id, { taskId, unitId, period }))[recordKey(taskId, unitId, period)];
  if (kept && record?.withdrawnAt === undefined) return undefined;
  return { ...(record?.withdrawnAt !== undefined ? { withdrawnAt: new Date(record.withdrawnAt).toISOString() } : {}), taskRetired: !task, kept };
}

/** The HTTP status and error kind of each kind of refusal. */
export const REFUSAL_STATUS: Record<RefusalKind, { status: number; kind: ErrorKind }> = {
  unavailable: { status: 503, kind: 'engineDown' },
  unknown: { status: 404, kind: 'notFound' },
  conflict: { status: 409, kind: 'conflict' },
  forbidden: { status: 403, kind: 'forbidden' },
  invalid: { status: 400, kind: 'badRequest' },
};

/** Which kind wins when one answer carries refusals of several kinds. */
const PRECEDENCE: RefusalKind[] = ['unavailable', 'unknown', 'forbidden', 'conflict', 'invalid'];

/** The refusal that decides the answer's status (the most serious kind, the first of that kind), if any. */
export function leadingRefusal(refusals: readonly Refusal[]): Refusal | undefined {
  for (const kind of PRECEDENCE) {
    const found = refusals.find((r) => REFUSALS[r.code]?.kind === kind);
    if (found) return found;
  }
  return refusals[0];
}

/** The HTTP status of a UserError: from its refusals' codes, else from its code. */
export function refusalStatus(err: UserError): { status: number; kind: ErrorKind; field?: string } {
  const lead = leadingRefusal(err.refusals);
  if (lead) return { ...REFUSAL_STATUS[REFUSALS[lead.code]?.kind ?? 'invalid'], field: lead.field };
  if (err.code === 'ENOPLAN') return { status: 404, kind: 'notFound', field: 'planId' };
  if (err.code === 'ENOENGINE') return { ...REFUSAL_STATUS.unavailable, field: 'engine' };
  return { status: 400, kind: 'badRequest' };
}

/**
 * The HTTP form of an error from the client API, by the codes of its typed refusals: unknown plan, task, unit or
 * quarter 404; a report that is locked or not in a state for the action 409; a field that breaks the schema 400;
 * no engine answering 503. Its detail is the refusals in `say`'s words (English by default). Anything else is
 * returned as it is (a 500, or a 503 when a service cannot be reached).
 */
export function asHttpError(err: unknown, say: (r: Refusal) => string = (r) => refusalSentence(en, r)): unknown {
  if (err instanceof HttpError) return err;
  if (!(err instanceof UserError)) return err;
  const { status, kind, field } = refusalStatus(err);
  const detail = err.refusals.length ? err.refusals.map(say).join(' ') : err.message;
  const http = new HttpError(status, kind, detail, field);
  http.refusals = err.refusals;
  return http;
}
