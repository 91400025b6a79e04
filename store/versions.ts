/** The versions of a plan in the system of record: each amendment recorded once, and the history read back. */
import type pg from 'pg';
import type { PlanVersionRecord } from '../workflows/contract/amend.js';
import type { Plan } from '../workflows/contract/plan.js';
import { inTransaction } from './records.js';

const ts = (ms: number) => new Date(ms).toISOString();

/**
 * Records one applied version; repeating it changes nothing. The plan's row moves to it only from a lower version,
 * so a late retry of an older one never moves the plan back. A row recordPlan wrote for the same version (it knows
 * no reason, track or request id) is completed.
 */
export async function recordPlanVersion(pool: pg.Pool, r: PlanVersionRecord): Promise<void> {
  await inTransaction(pool, async (c) => {
    await c.query(
      `INSERT INTO plans (plan_id, title, locale, timezone, started_at, current_version, layout)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (plan_id) DO UPDATE SET title = EXCLUDED.title, locale = EXCLUDED.locale, current_version = EXCLUDED.current_version, layout = EXCLUDED.layout
       WHERE plans.current_version < EXCLUDED.current_version`,
      [r.planId, r.plan.title, r.plan.locale, r.plan.timezone, ts(r.startedAt), r.version, JSON.stringify(r.layout)],
    );
    await c.query(
      `INSERT INTO plan_versions (plan_id, version, plan, effective_at, reason, recorded_by, difference, track, request_id, layout)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (plan_id, version) DO UPDATE SET plan = EXCLUDED.plan, effective_at = EXCLUDED.effective_at, reason = EXCLUDED.reason,
         recorded_by = EXCLUDED.recorded_by, difference = EXCLUDED.difference, track = EXCLUDED.track, request_id = EXCLUDED.request_id, layout = EXCLUDED.layout
       WHERE plan_versions.request_id IS NULL`,
      [r.planId, r.version, JSON.stringify(r.plan), ts(r.effectiveAt), r.reason, r.by, JSON.stringify(r.difference ?? null), JSON.stringify(r.track), r.requestId, JSON.stringify(r.layout)],
    );
  });
}

/** One version of a plan as the history lists it. */
export interface PlanVersionEntry {
  version: number;
  /** The instant it took effect (ISO): the plan's start for version 1, the amendment's T after. */
  effectiveAt: string;
  by: string | null;
  /** Why it was amended (null for version 1). */
  reason: string | null;
  /** The amendment's id (null for version 1). */
  requestId: string | null;
  /** The difference from the version before it (null for version 1). */
  difference: unknown;
  /** The plan itself, when asked for. */
  plan?: Plan;
}

const COLUMNS = 'version, effective_at, recorded_by, reason, request_id, difference';

function entryOf(r: Record<string, unknown>): PlanVersionEntry {
  return {
    version: r.version as number,
    effectiveAt: (r.effective_at as Date).toISOString(),
    by: (r.recorded_by as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    requestId: (r.request_id as string | null) ?? null,
    difference: r.difference ?? null,
    ...(r.plan !== undefined ? { plan: r.plan as Plan } : {}),
  };
}

/** Every version of a plan, oldest first (without the plan's JSON unless `withPlan`); empty for an unknown plan. */
export async function planHistory(pool: pg.Pool, planId: string, options: { withPlan?: boolean } = {}): Promise<PlanVersionEntry[]> {
  const { rows } = await pool.query(`SELECT ${COLUMNS}${options.withPlan ? ', plan' : ''} FROM plan_versions WHERE plan_id = $1 ORDER BY version`, [planId]);
  return rows.map(entryOf);
}

/** One version of a plan (without its JSON), or undefined. */
export async function storedVersion(pool: pg.Pool, planId: string, version: number): Promise<PlanVersionEntry | undefined> {
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM plan_versions WHERE plan_id = $1 AND version = $2`, [planId, version]);
  return rows.length ? entryOf(rows[0]) : undefined;
}

/** The version an amendment (by its id) was applied as, or undefined when it has not been recorded. */
export async function storedVersionByRequest(pool: pg.Pool, planId: string, requestId: string): Promise<PlanVersionEntry | undefined> {
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM plan_versions WHERE plan_id = $1 AND request_id = $2`, [planId, requestId]);
  return rows.length ? entryOf(rows[0]) : undefined;
}
