/** The plan data pages need, from the client API, with refusals turned into HTTP errors. */
import type { Client } from '@temporalio/client';
import { runningPlan, UserError } from '../plans.js';
import type { Plan } from '../../workflows/contract/plan.js';
import type { PeriodStatus, PlanStatus } from '../../workflows/contract/status.js';
import { HttpError } from './http.js';

/**
 * A running plan never changes, so it is kept for a minute (every page needs it); a minute, not for ever, because a
 * finished plan's id may be started again with another plan.
 */
const plans = new WeakMap<Client, Map<string, { plan: Plan; at: number }>>();
const MAX_CACHED = 200;
const KEEP_MS = 60_000;

/** The running plan; an unknown plan is a 404. */
export async function loadPlan(client: Client, planId: string, now = Date.now()): Promise<Plan> {
  let perClient = plans.get(client);
  if (!perClient) plans.set(client, (perClient = new Map()));
  const known = perClient.get(planId);
  if (known && now - known.at < KEEP_MS) return known.plan;
  const plan = await runningPlan(client, planId).catch((err: unknown) => {
    throw asHttpError(err);
  });
  perClient.delete(planId);
  if (perClient.size >= MAX_CACHED) perClient.delete(perClient.keys().next().value!);
  perClient.set(planId, { plan, at: now });
  return plan;
}

/** The plan, or undefined when it is unknown (for choosing a language only). */
export async function planIfKnown(client: Client, planId: string | undefined): Promise<Plan | undefined> {
  if (!planId) return undefined;
  return loadPlan(client, planId).catch(() => undefined);
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

/** Splits a `field: reason; field: reason` refusal into its parts. */
export function refusalParts(message: string): { field?: string; reason: string }[] {
  return message.split('; ').map((part) => {
    const m = /^([A-Za-z][A-Za-z0-9]*)(?:\.[^:\s]+)?: ([\s\S]*)$/.exec(part);
    return m ? { field: m[1], reason: m[2] } : { reason: part };
  });
}

const CONFLICT = /lock|accepted|already|closed|not been requested|no report|nothing to|awaiting|not (?:yet )?(?:been )?submitted|has not (?:reported|arrived)/i;
const UNKNOWN = /unknown (?:task|unit)|is not responsible|is not a quarter/i;

/**
 * The HTTP form of an error from the client API: unknown plan, task, unit or quarter 404; a report that is locked or
 * not in a state for the action 409; another refusal 400 naming its field; anything else rethrown (a 500 or 503).
 */
export function asHttpError(err: unknown): unknown {
  if (err instanceof HttpError) return err;
  if (!(err instanceof UserError)) return err;
  if (err.code === 'ENOPLAN') return new HttpError(404, 'notFound', err.message, 'planId');
  const first = refusalParts(err.message)[0];
  if (UNKNOWN.test(err.message)) return new HttpError(404, 'notFound', err.message, first.field);
  if (CONFLICT.test(err.message)) return new HttpError(409, 'conflict', err.message, first.field);
  return new HttpError(400, 'badRequest', err.message, first.field);
}
