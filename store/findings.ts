/** Inspection findings in the system of record: each finding's current record and every action on it. */
import type pg from 'pg';
import type { FindingActionRow, FindingExtensionRow, FindingRecord } from '../workflows/contract/finding.js';

/** What the findings workflow hands the system of record in one write. */
export interface FindingsBatch {
  planId: string;
  records: FindingRecord[];
  actions: FindingActionRow[];
  /** Headquarters' extensions, with their reasons. */
  extensions?: FindingExtensionRow[];
}

/** Upserts records (a record is replaced only by a higher version) and inserts actions and extensions once each, in one transaction. */
export async function recordFindings(pool: pg.Pool, batch: FindingsBatch): Promise<void> {
  const extensions = batch.extensions ?? [];
  if (!batch.records.length && !batch.actions.length && !extensions.length) return;
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    if (batch.actions.length) {
      const rows = batch.actions.map((a) => ({
        plan_id: a.planId, finding_id: a.findingId, request_id: a.requestId, action: a.action, actor: a.actor, by_name: a.by ?? null,
        acted_at: new Date(a.at).toISOString(), round: a.round, claim: a.claim, text: a.text ?? null, links: a.links ?? [], result: a.result ?? null,
      }));
      await c.query(
        `INSERT INTO finding_actions (plan_id, finding_id, request_id, action, actor, by_name, acted_at, round, claim, text, links, result)
         SELECT x.plan_id, x.finding_id, x.request_id, x.action, x.actor, x.by_name, x.acted_at, x.round, x.claim, x.text, x.links, x.result
         FROM jsonb_to_recordset($1::jsonb) AS x(plan_id text, finding_id text, request_id text, action text, actor text, by_name text,
           acted_at timestamptz, round int, claim int, text text, links jsonb, result text)
         ON CONFLICT (plan_id, finding_id, request_id) DO NOTHING`,
        [JSON.stringify(rows)],
      );
    }
    if (extensions.length) {
      const rows = extensions.map((x) => ({
        plan_id: x.planId, finding_id: x.findingId, request_id: x.requestId, seq: x.seq, extended_at: new Date(x.at).toISOString(), until_day: x.until,
        due_day: x.dueDay, due_at: new Date(x.deadline).toISOString(), previous_due_day: x.previousDueDay, round: x.round, reason: x.reason, extended_by: x.by ?? null,
      }));
      await c.query(
        `INSERT INTO finding_extensions (plan_id, finding_id, request_id, seq, extended_at, until_day, due_day, due_at, previous_due_day, round, reason, extended_by)
         SELECT x.plan_id, x.finding_id, x.request_id, x.seq, x.extended_at, x.until_day, x.due_day, x.due_at, x.previous_due_day, x.round, x.reason, x.extended_by
         FROM jsonb_to_recordset($1::jsonb) AS x(plan_id text, finding_id text, request_id text, seq int, extended_at timestamptz, until_day date,
           due_day date, due_at timestamptz, previous_due_day date, round int, reason text, extended_by text)
         ON CONFLICT (plan_id, finding_id, request_id) DO NOTHING`,
        [JSON.stringify(rows)],
      );
    }
    if (batch.records.length) {
      const rows = batch.records.map((r) => ({
        plan_id: batch.planId, finding_id: r.findingId, inspection_id: r.inspectionId, unit_id: r.unitId, verifier: r.verifier, version: r.version, record: r,
      }));
      await c.query(
        `INSERT INTO finding_records (plan_id, finding_id, inspection_id, unit_id, verifier, version, record)
         SELECT x.plan_id, x.finding_id, x.inspection_id, x.unit_id, x.verifier, x.version, x.record
         FROM jsonb_to_recordset($1::jsonb) AS x(plan_id text, finding_id text, inspection_id text, unit_id text, verifier text, version int, record jsonb)
         ON CONFLICT (plan_id, finding_id) DO UPDATE SET version = EXCLUDED.version, record = EXCLUDED.record, updated_at = now()
         WHERE finding_records.version < EXCLUDED.version`,
        [JSON.stringify(rows)],
      );
    }
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}

/** Every finding record of a plan (optionally of one unit, or of the findings one verifier verifies), by finding id. */
export async function findingRecords(pool: pg.Pool, planId: string, only: { unitId?: string; verifier?: string } = {}): Promise<Map<string, FindingRecord>> {
  const { rows } = await pool.query(
    `SELECT finding_id, record FROM finding_records WHERE plan_id = $1 AND ($2::text IS NULL OR unit_id = $2) AND ($3::text IS NULL OR verifier = $3)`,
    [planId, only.unitId ?? null, only.verifier ?? null],
  );
  return new Map(rows.map((r) => [r.finding_id as string, r.record as FindingRecord]));
}

/** One action on a finding as the database keeps it. */
export interface StoredFindingAction {
  requestId: string;
  action: FindingActionRow['action'];
  actor: string;
  by: string | null;
  at: string;
  round: number;
  claim: number | null;
  text: string | null;
  links: string[];
  result: 'pass' | 'reopen' | null;
}

/** The actions on one finding, oldest first. */
export async function findingActions(pool: pg.Pool, planId: string, findingId: string): Promise<StoredFindingAction[]> {
  const { rows } = await pool.query(
    `SELECT * FROM finding_actions WHERE plan_id = $1 AND finding_id = $2 ORDER BY acted_at, recorded_at, request_id`,
    [planId, findingId],
  );
  return rows.map((r) => ({
    requestId: r.request_id, action: r.action, actor: r.actor, by: r.by_name, at: (r.acted_at as Date).toISOString(), round: r.round,
    claim: r.claim, text: r.text, links: r.links, result: r.result,
  }));
}

/** One extension of a finding as the database keeps it. */
export interface StoredFindingExtension {
  requestId: string;
  extension: number;
  at: string;
  until: string;
  dueDay: string;
  dueAt: string;
  previousDueDay: string;
  round: number;
  reason: string;
  by: string | null;
}

/** The extensions of one finding, oldest first. */
export async function findingExtensions(pool: pg.Pool, planId: string, findingId: string): Promise<StoredFindingExtension[]> {
  const { rows } = await pool.query(
    `SELECT request_id, seq, extended_at, to_char(until_day, 'YYYY-MM-DD') AS until_day, to_char(due_day, 'YYYY-MM-DD') AS due_day, due_at,
       to_char(previous_due_day, 'YYYY-MM-DD') AS previous_due_day, round, reason, extended_by
     FROM finding_extensions WHERE plan_id = $1 AND finding_id = $2 ORDER BY seq`,
    [planId, findingId],
  );
  return rows.map((r) => ({
    requestId: r.request_id, extension: r.seq, at: (r.extended_at as Date).toISOString(), until: r.until_day, dueDay: r.due_day, dueAt: (r.due_at as Date).toISOString(),
    previousDueDay: r.previous_due_day, round: r.round, reason: r.reason, by: r.extended_by,
  }));
}

/** Marks which finding each of these notices is about (the sent log's rows were claimed by the findings activity). */
export async function tagFindingNotices(pool: pg.Pool, planId: string, tags: { keyText: string; findingId: string }[]): Promise<void> {
  if (!tags.length) return;
  await pool.query(
    `UPDATE notices SET finding_id = x.finding_id FROM jsonb_to_recordset($2::jsonb) AS x(key_text text, finding_id text)
     WHERE notices.plan_id = $1 AND notices.key_text = x.key_text AND notices.finding_id IS DISTINCT FROM x.finding_id`,
    [planId, JSON.stringify(tags.map((t) => ({ key_text: t.keyText, finding_id: t.findingId })))],
  );
}

/** One finding notice as the database keeps it. */
export interface StoredFindingNotice {
  messageId: string;
  kind: string;
  round: number | null;
  number: number | null;
  at: string;
  to: string[];
  cc: string[];
  subject: string;
  status: string;
  reason: string | null;
}

/** The notices of one finding, in the order of their instants. */
export async function findingNotices(pool: pg.Pool, planId: string, findingId: string): Promise<StoredFindingNotice[]> {
  const { rows } = await pool.query(`SELECT * FROM notices WHERE plan_id = $1 AND finding_id = $2 ORDER BY notice_at, key_text`, [planId, findingId]);
  return rows.map((r) => ({
    messageId: r.message_id, kind: r.kind, round: r.round, number: r.number, at: (r.notice_at as Date).toISOString(), to: r.recipients.to, cc: r.recipients.cc,
    subject: r.subject, status: r.status, reason: r.reason,
  }));
}
