/** Plans, report records, revisions and decisions in the system of record: idempotent batched writes and reads. */
import type pg from 'pg';
import { recordKey } from '../workflows/contract/ids.js';
import type { PlanTrack } from '../workflows/contract/amend.js';
import type { Plan } from '../workflows/contract/plan.js';
import { changeCountOf, type PlanRecord, type ProgressBatch } from '../workflows/contract/progress.js';
import type { PlanLayout, Revision, UnitPeriodRecord } from '../workflows/contract/status.js';
import { quarterExtension, revisionDue } from '../workflows/cycle/extension.js';
import { lastDecision, roundOf } from '../workflows/cycle/status.js';

const ts = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** Runs `work` in one transaction on one pooled client: committed if it returns, rolled back if it throws. */
export async function inTransaction(pool: pg.Pool, work: (c: pg.PoolClient) => Promise<void>): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await work(c);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}

/** Records the plan a plan workflow runs (once per version; repeating it changes nothing). */
export async function recordPlan(pool: pg.Pool, p: PlanRecord): Promise<void> {
  const plan = p.plan as Plan;
  await inTransaction(pool, async (c) => {
    await c.query(
      `INSERT INTO plans (plan_id, title, locale, timezone, started_at, current_version, layout)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (plan_id) DO UPDATE SET title = EXCLUDED.title, locale = EXCLUDED.locale, current_version = EXCLUDED.current_version, layout = EXCLUDED.layout
       WHERE plans.current_version < EXCLUDED.current_version`,
      [p.planId, plan.title, plan.locale, plan.timezone, ts(p.startedAt), p.version, JSON.stringify(p.layout)],
    );
    await c.query(
      `INSERT INTO plan_versions (plan_id, version, plan, effective_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [p.planId, p.version, JSON.stringify(plan), ts(p.startedAt)],
    );
  });
}

/** Writes a batch of changed records in one transaction; a retry or a replay writes nothing twice. */
export async function recordProgress(pool: pg.Pool, batch: ProgressBatch, options: { force?: boolean } = {}): Promise<void> {
  if (!batch.changes.length) return;
  const rows = batch.changes.map((ch) => {
    const r = ch.record;
    const last = r.revisions[r.revisions.length - 1];
    const decision = lastDecision(r);
    const round = roundOf(r);
    // An extension of the awaited revision moves its due day, and only what came after it counts as escalated.
    const revision = revisionDue(r);
    const since = revision?.extension?.at ?? r.awaitingSince;
    // A quarter's report extended before it arrived counts as escalated only for what came after its last extension.
    const extendedAt = since === undefined && r.submittedAt === undefined ? quarterExtension(r)?.at : undefined;
    return {
      task_id: ch.taskId,
      unit_id: ch.unitId,
      period: ch.period,
      aspect_id: ch.aspectId,
      change_count: changeCountOf(r),
      record: r,
      requested_at: ts(r.requestedAt),
      due_at: ts(ch.deadline),
      submitted_at: ts(r.submittedAt),
      days_late: r.submittedAt !== undefined ? (r.daysLate ?? 0) : null,
      reminders: r.reminders,
      escalations: r.escalations,
      revisions: r.revisions.length,
      report_status: last?.status ?? null,
      progress: last?.progress ?? null,
      review: decision ? (decision.decision === 'accept' ? 'accepted' : 'returned') : null,
      awaiting: since !== undefined,
      revision_due_at: since !== undefined ? ts(revision?.deadline) : null,
      round,
      escalated_round:
        since !== undefined
          ? (r.sent ?? []).some((s) => s.kind === 'escalation' && s.round === round && s.at >= since)
          : extendedAt !== undefined && (r.sent ?? []).some((s) => s.kind === 'escalation' && s.round === 0 && s.at >= extendedAt),
      delivery_issues: r.deliveryIssues.length,
      withdrawn: r.withdrawnAt !== undefined,
      quarter_extended: (r.extensions ?? []).some((x) => x.round === 0),
    };
  });
  const revisions = batch.changes.flatMap((ch) =>
    ch.texts.map((t) => {
      const index = ch.record.revisions.findIndex((v) => v.requestId === t.requestId);
      const v = ch.record.revisions[index];
      return {
        task_id: ch.taskId, unit_id: ch.unitId, period: ch.period, request_id: t.requestId, revision: index + 1,
        arrived_at: ts(v.arrivedAt), status: v.status, summary: t.summary, progress: v.progress ?? null,
        problems: t.problems ?? null, next_steps: t.nextSteps ?? null, submitted_by: t.submittedBy ?? null,
      };
    }),
  );
  const decisions = batch.changes.flatMap((ch) =>
    (ch.record.decisions ?? []).map((d, i) => ({
      task_id: ch.taskId, unit_id: ch.unitId, period: ch.period, request_id: d.requestId, seq: i + 1, decision: d.decision,
      decided_at: ts(d.at), comment: d.comment ?? null, decided_by: d.by ?? null, revision_due_day: d.revisionDueDay ?? null,
      revision_due_at: ts(d.revisionDeadline),
    })),
  );
  const extensions = batch.changes.flatMap((ch) =>
    (ch.record.extensions ?? []).map((x, i) => ({
      task_id: ch.taskId, unit_id: ch.unitId, period: ch.period, request_id: x.requestId, seq: i + 1, extended_at: ts(x.at), until_day: x.until,
      due_day: x.dueDay, due_at: ts(x.deadline), previous_due_day: x.previousDueDay, round: x.round, reason: x.reason, extended_by: x.by ?? null,
    })),
  );
  await inTransaction(pool, async (c) => {
    await c.query(
      `INSERT INTO report_records (plan_id, task_id, unit_id, period, aspect_id, change_count, record, requested_at, due_at, submitted_at,
         days_late, reminders, escalations, revisions, report_status, progress, review, awaiting, revision_due_at, round, escalated_round, delivery_issues, withdrawn, quarter_extended)
       SELECT $1, x.task_id, x.unit_id, x.period, x.aspect_id, x.change_count, x.record, x.requested_at, x.due_at, x.submitted_at,
         x.days_late, x.reminders, x.escalations, x.revisions, x.report_status, x.progress, x.review, x.awaiting, x.revision_due_at, x.round,
         x.escalated_round, x.delivery_issues, x.withdrawn, x.quarter_extended
       FROM jsonb_to_recordset($2::jsonb) AS x(task_id text, unit_id text, period text, aspect_id text, change_count int, record jsonb,
         requested_at timestamptz, due_at timestamptz, submitted_at timestamptz, days_late int, reminders int, escalations int, revisions int,
         report_status text, progress double precision, review text, awaiting boolean, revision_due_at timestamptz, round int,
         escalated_round boolean, delivery_issues int, withdrawn boolean, quarter_extended boolean)
       ON CONFLICT (plan_id, task_id, unit_id, period) DO UPDATE SET
         change_count = EXCLUDED.change_count, record = EXCLUDED.record, requested_at = EXCLUDED.requested_at, due_at = EXCLUDED.due_at,
         submitted_at = EXCLUDED.submitted_at, days_late = EXCLUDED.days_late, reminders = EXCLUDED.reminders, escalations = EXCLUDED.escalations,
         revisions = EXCLUDED.revisions, report_status = EXCLUDED.report_status, progress = EXCLUDED.progress, review = EXCLUDED.review,
         awaiting = EXCLUDED.awaiting, revision_due_at = EXCLUDED.revision_due_at, round = EXCLUDED.round,
         escalated_round = EXCLUDED.escalated_round, delivery_issues = EXCLUDED.delivery_issues, withdrawn = EXCLUDED.withdrawn,
         quarter_extended = EXCLUDED.quarter_extended, updated_at = now()
       WHERE report_records.change_count < EXCLUDED.change_count OR $3::boolean`,
      [batch.planId, JSON.stringify(rows), options.force === true],
    );
    if (revisions.length) {
      await c.query(
        `INSERT INTO report_revisions (plan_id, task_id, unit_id, period, request_id, revision, arrived_at, status, summary, progress, problems, next_steps, submitted_by)
         SELECT $1, x.* FROM jsonb_to_recordset($2::jsonb) AS x(task_id text, unit_id text, period text, request_id text, revision int,
           arrived_at timestamptz, status text, summary text, progress double precision, problems text, next_steps text, submitted_by text)
         ON CONFLICT DO NOTHING`,
        [batch.planId, JSON.stringify(revisions)],
      );
    }
    if (decisions.length) {
      await c.query(
        `INSERT INTO report_decisions (plan_id, task_id, unit_id, period, request_id, seq, decision, decided_at, comment, decided_by, revision_due_day, revision_due_at)
         SELECT $1, x.* FROM jsonb_to_recordset($2::jsonb) AS x(task_id text, unit_id text, period text, request_id text, seq int, decision text,
           decided_at timestamptz, comment text, decided_by text, revision_due_day date, revision_due_at timestamptz)
         ON CONFLICT DO NOTHING`,
        [batch.planId, JSON.stringify(decisions)],
      );
    }
    if (extensions.length) {
      await c.query(
        `INSERT INTO report_extensions (plan_id, task_id, unit_id, period, request_id, seq, extended_at, until_day, due_day, due_at, previous_due_day, round, reason, extended_by)
         SELECT $1, x.* FROM jsonb_to_recordset($2::jsonb) AS x(task_id text, unit_id text, period text, request_id text, seq int, extended_at timestamptz,
           until_day date, due_day date, due_at timestamptz, previous_due_day date, round int, reason text, extended_by text)
         ON CONFLICT DO NOTHING`,
        [batch.planId, JSON.stringify(extensions)],
      );
    }
  });
}

/** A plan as recorded: the version in force, when it started and its layout. */
export interface StoredPlan {
  plan: Plan;
  version: number;
  startedAt: number;
  layout: PlanLayout;
  /** What the version in force tracks beyond its file (undefined for version 1, never amended). */
  track: PlanTrack | undefined;
}

/** Parsed plans by pool and plan id: a province's plan is a megabyte of JSON, read again only when its version moves. */
const planCache = new WeakMap<pg.Pool, Map<string, StoredPlan>>();
const MAX_CACHED_PLANS = 100;

/** The plan, or undefined when no plan of that id was ever recorded (one indexed query while its version stands). */
export async function storedPlan(pool: pg.Pool, planId: string): Promise<StoredPlan | undefined> {
  let cache = planCache.get(pool);
  if (!cache) planCache.set(pool, (cache = new Map()));
  const head = await pool.query('SELECT current_version, started_at FROM plans WHERE plan_id = $1', [planId]);
  if (!head.rows.length) return undefined;
  const version = head.rows[0].current_version as number;
  const startedAt = (head.rows[0].started_at as Date).getTime();
  const known = cache.get(planId);
  if (known && known.version === version && known.startedAt === startedAt) return known;
  const { rows } = await pool.query(
    `SELECT v.plan, v.track, p.current_version, p.started_at, p.layout FROM plans p JOIN plan_versions v ON v.plan_id = p.plan_id AND v.version = p.current_version
     WHERE p.plan_id = $1`,
    [planId],
  );
  if (!rows.length) return undefined;
  const stored: StoredPlan = { plan: rows[0].plan, version: rows[0].current_version, startedAt: (rows[0].started_at as Date).getTime(), layout: rows[0].layout, track: rows[0].track ?? undefined };
  // An amended version read before its track was written (recordPlan may have written the row first) is not kept.
  if (stored.version > 1 && !stored.track) return stored;
  cache.delete(planId);
  if (cache.size >= MAX_CACHED_PLANS) cache.delete(cache.keys().next().value!);
  cache.set(planId, stored);
  return stored;
}

/** Every recorded plan, newest first. */
export async function storedPlans(pool: pg.Pool): Promise<{ planId: string; title: string; startedAt: string; version: number }[]> {
  const { rows } = await pool.query('SELECT plan_id, title, started_at, current_version FROM plans ORDER BY started_at DESC, plan_id');
  return rows.map((r) => ({ planId: r.plan_id, title: r.title, startedAt: (r.started_at as Date).toISOString(), version: r.current_version }));
}

/** The records of a plan (optionally of one task or one unit, or one report), keyed like the workflow's. */
export async function storedRecords(
  pool: pg.Pool,
  planId: string,
  only: { taskId?: string; unitId?: string; period?: string } = {},
): Promise<Record<string, UnitPeriodRecord>> {
  const { rows } = await pool.query(
    `SELECT task_id, unit_id, period, record FROM report_records
     WHERE plan_id = $1 AND ($2::text IS NULL OR task_id = $2) AND ($3::text IS NULL OR unit_id = $3) AND ($4::text IS NULL OR period = $4)`,
    [planId, only.taskId ?? null, only.unitId ?? null, only.period ?? null],
  );
  return Object.fromEntries(rows.map((r) => [recordKey(r.task_id, r.unit_id, r.period), r.record as UnitPeriodRecord]));
}

/** Every revision of one report, oldest first. */
export async function storedRevisions(pool: pg.Pool, planId: string, taskId: string, unitId: string, period: string): Promise<Revision[]> {
  const { rows } = await pool.query(
    `SELECT request_id, arrived_at, status, summary, progress, problems, next_steps, submitted_by FROM report_revisions
     WHERE plan_id = $1 AND task_id = $2 AND unit_id = $3 AND period = $4 ORDER BY revision`,
    [planId, taskId, unitId, period],
  );
  return rows.map(revisionOf);
}

/** The latest revision of each of the given quarters of one (task, unit), by quarter. */
export async function latestRevisions(pool: pg.Pool, planId: string, taskId: string, unitId: string, periods: string[]): Promise<Map<string, Revision>> {
  const { rows } = await pool.query(
    `SELECT DISTINCT ON (period) period, request_id, arrived_at, status, summary, progress, problems, next_steps, submitted_by FROM report_revisions
     WHERE plan_id = $1 AND task_id = $2 AND unit_id = $3 AND period = ANY($4) ORDER BY period, revision DESC`,
    [planId, taskId, unitId, periods],
  );
  return new Map(rows.map((r) => [r.period as string, revisionOf(r)]));
}

/** The latest revision of every report of a plan, keyed like the records (for the ledger). */
export async function latestRevisionsOfPlan(pool: pg.Pool, planId: string): Promise<Map<string, Revision>> {
  const { rows } = await pool.query(
    `SELECT DISTINCT ON (task_id, unit_id, period) task_id, unit_id, period, request_id, arrived_at, status, summary, progress, problems, next_steps, submitted_by
     FROM report_revisions WHERE plan_id = $1 ORDER BY task_id, unit_id, period, revision DESC`,
    [planId],
  );
  return new Map(rows.map((r) => [recordKey(r.task_id, r.unit_id, r.period), revisionOf(r)]));
}

function revisionOf(r: Record<string, unknown>): Revision {
  return {
    requestId: r.request_id as string,
    arrivedAt: (r.arrived_at as Date).getTime(),
    status: r.status as string,
    summary: r.summary as string,
    ...(r.progress !== null ? { progress: r.progress as number } : {}),
    ...(r.problems !== null ? { problems: r.problems as string } : {}),
    ...(r.next_steps !== null ? { nextSteps: r.next_steps as string } : {}),
    ...(r.submitted_by !== null ? { submittedBy: r.submitted_by as string } : {}),
  };
}

/** One extension of a report as recorded. */
export interface StoredExtension {
  requestId: string;
  seq: number;
  at: string;
  until: string;
  dueDay: string;
  dueAt: string;
  previousDueDay: string;
  round: number;
  reason: string;
  by: string | null;
}

/** Every extension of one report, oldest first. */
export async function storedExtensions(pool: pg.Pool, planId: string, taskId: string, unitId: string, period: string): Promise<StoredExtension[]> {
  const { rows } = await pool.query(
    `SELECT request_id, seq, extended_at, to_char(until_day, 'YYYY-MM-DD') AS until_day, to_char(due_day, 'YYYY-MM-DD') AS due_day, due_at,
       to_char(previous_due_day, 'YYYY-MM-DD') AS previous_due_day, round, reason, extended_by
     FROM report_extensions WHERE plan_id = $1 AND task_id = $2 AND unit_id = $3 AND period = $4 ORDER BY seq`,
    [planId, taskId, unitId, period],
  );
  return rows.map((r) => ({
    requestId: r.request_id, seq: r.seq, at: (r.extended_at as Date).toISOString(), until: r.until_day, dueDay: r.due_day, dueAt: (r.due_at as Date).toISOString(),
    previousDueDay: r.previous_due_day, round: r.round, reason: r.reason, by: r.extended_by,
  }));
}

/** Headquarters' last decision on a report. */
export interface LastDecision {
  decision: 'accept' | 'return';
  at: string;
  comment: string | null;
  by: string | null;
}

/** The last decision on every decided report of a plan, keyed like the records (for the ledger). */
export async function lastDecisionsOfPlan(pool: pg.Pool, planId: string): Promise<Map<string, LastDecision>> {
  const { rows } = await pool.query(
    `SELECT DISTINCT ON (task_id, unit_id, period) task_id, unit_id, period, decision, decided_at, comment, decided_by
     FROM report_decisions WHERE plan_id = $1 ORDER BY task_id, unit_id, period, seq DESC`,
    [planId],
  );
  return new Map(rows.map((r) => [recordKey(r.task_id, r.unit_id, r.period), { decision: r.decision, at: (r.decided_at as Date).toISOString(), comment: r.comment, by: r.decided_by }]));
}

/** The last action on a finding. */
export interface LastFindingAction {
  action: string;
  actor: string;
  at: string;
  result: string | null;
}

/** The last action on every finding of a plan that has one, by finding id (for the ledger). */
export async function lastFindingActionsOfPlan(pool: pg.Pool, planId: string): Promise<Map<string, LastFindingAction>> {
  const { rows } = await pool.query(
    `SELECT DISTINCT ON (finding_id) finding_id, action, actor, acted_at, result
     FROM finding_actions WHERE plan_id = $1 ORDER BY finding_id, acted_at DESC, recorded_at DESC, request_id DESC`,
    [planId],
  );
  return new Map(rows.map((r) => [r.finding_id as string, { action: r.action, actor: r.actor, at: (r.acted_at as Date).toISOString(), result: r.result }]));
}

/** What the ledger shows beside the status: the latest revision and the last decision of every report, the last action on every finding. */
export async function ledgerDetails(pool: pg.Pool, planId: string) {
  return { latest: await latestRevisionsOfPlan(pool, planId), decisions: await lastDecisionsOfPlan(pool, planId), lastActions: await lastFindingActionsOfPlan(pool, planId) };
}

/** The first `chars` characters of every revision's summary of one task, keyed `task|unit|period|requestId`. */
export async function revisionSummaries(pool: pg.Pool, planId: string, taskId: string, chars: number): Promise<Map<string, string>> {
  const { rows } = await pool.query(
    'SELECT unit_id, period, request_id, left(summary, $3) AS summary FROM report_revisions WHERE plan_id = $1 AND task_id = $2',
    [planId, taskId, chars],
  );
  return new Map(rows.map((r) => [`${recordKey(taskId, r.unit_id, r.period)}|${r.request_id}`, r.summary as string]));
}
