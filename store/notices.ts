/** Notices in the system of record: the sent log every worker shares, and what each notice's hand-over came to. */
import type pg from 'pg';
import type { GatherState, Gatherer, KeyClaim, NoticeFacts, OutboxOffer, SentEntry, SentLog } from '../activities/mail/sent-log.js';
import type { Plan } from '../workflows/contract/plan.js';
import { mergeSenders, planSenders, sendsAlone, type PlanSenders } from '../workflows/cycle/senders.js';
import { findingSlices } from '../workflows/findings/slices.js';
import { storedPlan } from './records.js';

/** How long a call waits for the other calls of its instant before it gathers (ms); see DbSentLogOptions. */
export const DEFAULT_GATHER_MS = 1_500;
/** The gather window ends sooner once no call of the instant has offered anything for this long (ms). */
export const DEFAULT_QUIET_MS = 300;
/** How long a sender holds a claimed message before another call may send it (ms): past the activities' heartbeat timeout. */
export const DEFAULT_LEASE_MS = 30_000;

export interface DbSentLogOptions {
  /**
   * The gather window (ms): a call that has digest items waits this long after offering them, so that the calls of
   * the same instant (other groups, the findings, a review) add theirs before one of them sends. 0 turns gathering
   * across calls off (a digest then carries the notices of one call). Default 1,500, or REVIEW_CYCLES_DIGEST_GATHER_MS.
   */
  gatherMs?: number;
  /**
   * The gather window ends sooner once no call has offered an item of the instant for this long (ms): calls that fire
   * together offer within milliseconds of each other, and a lone call need not wait the whole window. Default 300.
   */
  quietMs?: number;
  /** The sender's lease on a claimed message (ms). Default 30,000. */
  leaseMs?: number;
}

/** The gather window of the environment (REVIEW_CYCLES_DIGEST_GATHER_MS), or the default. */
function gatherMsOfEnv(): number {
  const v = process.env.REVIEW_CYCLES_DIGEST_GATHER_MS;
  if (v === undefined || v === '') return DEFAULT_GATHER_MS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid configuration:\n  REVIEW_CYCLES_DIGEST_GATHER_MS=${JSON.stringify(v)}: must be a whole number of milliseconds (0 turns gathering across calls off)`);
  return n;
}

/** The sent log's rows of a batch of claims, as jsonb_to_recordset reads them. */
function claimRows(items: KeyClaim[]) {
  return items.map(({ messageId, notice: n }) => ({
    message_id: messageId, plan_id: n.planId, key_text: n.keyText, kind: n.kind, task_id: n.taskId ?? null, unit_id: n.unitId ?? null,
    period: n.period ?? null, number: n.number ?? null, round: n.round ?? null, window_id: n.window ?? null, leader_id: n.leaderId ?? null,
    notice_at: n.at, recipients: { to: n.to, cc: n.cc }, subject: n.subject,
  }));
}

const entryOf = (r: { message_id: string; key_text?: string; status: SentEntry['status']; reason: string | null; rejected: string[] }): SentEntry => ({
  messageId: r.message_id, ...(r.key_text ? { keyText: r.key_text } : {}), status: r.status, ...(r.reason !== null ? { reason: r.reason } : {}), rejected: r.rejected,
});

/**
 * The sent log in the database: a `sending` claim before each hand-over and its outcome after, for every worker.
 * These writes commit without waiting for the disk flush (`synchronous_commit = off`, per transaction): they survive
 * a crash of any worker, and only a crash of the database server itself within its WAL writer's delay (0.6 s at most
 * by default) could forget one, which leaves a notice to be sent again under its Message-ID, never lost. Records
 * (reports, decisions) are committed with the server's own setting.
 */
export function createDbSentLog(pool: pg.Pool, opts: DbSentLogOptions = {}): SentLog {
  /** One round trip: each key's row as it was (the CTE reads the snapshot before the upsert), and the claims. */
  async function claimKeys(items: KeyClaim[]): Promise<Map<string, SentEntry>> {
    if (!items.length) return new Map();
    const rows = claimRows(items);
    // A key claimed before keeps its Message-ID (a crash mid-digest sends the same message again).
    const { rows: prior } = await pool.query(
      `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)),
       wanted AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(message_id text, plan_id text, key_text text, kind text, task_id text, unit_id text,
         period text, number int, round int, window_id text, leader_id text, notice_at timestamptz, recipients jsonb, subject text)),
       prior AS (SELECT n.key_text, n.message_id, n.status, n.reason, n.rejected FROM notices n JOIN wanted w ON n.plan_id = w.plan_id AND n.key_text = w.key_text),
       claimed AS (
         INSERT INTO notices (message_id, plan_id, key_text, kind, task_id, unit_id, period, number, round, window_id, leader_id, notice_at, recipients, subject, status, attempts)
         SELECT message_id, plan_id, key_text, kind, task_id, unit_id, period, number, round, window_id, leader_id, notice_at, recipients, subject, 'sending', 1 FROM wanted
         ON CONFLICT (plan_id, key_text) DO UPDATE SET status = 'sending', attempts = notices.attempts + 1, updated_at = now()
         WHERE notices.status NOT IN ('sent', 'refused')
         RETURNING 1)
       SELECT prior.* FROM prior, relaxed`,
      [JSON.stringify(rows)],
    );
    return new Map(
      prior.map((r) => [
        r.key_text as string,
        { messageId: r.message_id, keyText: r.key_text, status: r.status, ...(r.reason !== null ? { reason: r.reason } : {}), rejected: r.rejected } as SentEntry,
      ]),
    );
  }
  const gatherMs = opts.gatherMs ?? gatherMsOfEnv();
  return {
    ...(gatherMs > 0 ? { gather: dbGatherer(pool, gatherMs, Math.min(opts.quietMs ?? DEFAULT_QUIET_MS, gatherMs), opts.leaseMs ?? DEFAULT_LEASE_MS) } : {}),
    async get(messageId) {
      // Every row of a message (one per key it carries) has the message's outcome.
      const { rows } = await pool.query('SELECT status, reason, rejected FROM notices WHERE message_id = $1 LIMIT 1', [messageId]);
      if (!rows.length) return undefined;
      const r = rows[0];
      return { messageId, status: r.status, ...(r.reason !== null ? { reason: r.reason } : {}), rejected: r.rejected };
    },
    async claim(items: KeyClaim[]) {
      // By Message-ID, for callers that send each key under its own.
      const byKey = await claimKeys(items);
      return new Map([...byKey.values()].map((e) => [e.messageId, e]));
    },
    claimKeys,
    async repoint(planId: string, keyTexts: string[], messageId: string) {
      await pool.query(
        `UPDATE notices SET message_id = $3, updated_at = now() FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed
         WHERE plan_id = $1 AND key_text = ANY($2::text[]) AND status NOT IN ('sent', 'refused')`,
        [planId, keyTexts, messageId],
      );
    },
    async add(e: SentEntry) {
      if (e.status === 'sending') {
        const n = e.notice;
        if (!n) throw new Error(`sent log: the claim of ${e.messageId} must say which notice it is`);
        await pool.query(
          `INSERT INTO notices (message_id, plan_id, key_text, kind, task_id, unit_id, period, number, round, window_id, leader_id, notice_at, recipients, subject, status, attempts)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'sending', 1)
           ON CONFLICT (plan_id, key_text) DO UPDATE SET status = 'sending', attempts = notices.attempts + 1, updated_at = now()
           WHERE notices.status NOT IN ('sent', 'refused')`,
          [e.messageId, n.planId, n.keyText, n.kind, n.taskId ?? null, n.unitId ?? null, n.period ?? null, n.number ?? null, n.round ?? null,
            n.window ?? null, n.leaderId ?? null, n.at, JSON.stringify({ to: n.to, cc: n.cc }), n.subject],
        );
        return;
      }
      await pool.query(
        `UPDATE notices SET status = $2, reason = $3, rejected = $4, updated_at = now(),
           delivered_at = CASE WHEN $2 = 'sent' THEN COALESCE(delivered_at, now()) ELSE delivered_at END
         FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed WHERE message_id = $1`,
        [e.messageId, e.status, e.reason ?? null, JSON.stringify(e.rejected ?? [])],
      );
    },
    async failing(messageIds: string[], reason: string) {
      if (!messageIds.length) return;
      await pool.query(
        `UPDATE notices SET failing_since = COALESCE(failing_since, now()), last_failure = $2, updated_at = now()
         WHERE message_id = ANY($1::text[]) AND status NOT IN ('sent', 'refused')`,
        [messageIds, reason.slice(0, 500)],
      );
    },
  };
}

/** Plans whose senders a gatherer keeps (each a map of the plan's addresses). */
const MAX_SENDER_PLANS = 100;

/**
 * Who can send to each address of a plan, by the plan record now (workflows/cycle/senders.ts), kept per plan version:
 * each call asks the plan's version (one indexed query; storedPlan parses the plan once per version), and the senders
 * are worked out again only when it moved. Version 1: its layout and findings slices, exactly as the plan workflow
 * made them. An amended plan: every version's tasks over the layout in force (groups only grow, and a task stays in
 * its group), so a group still on an older version is counted too; its findings' slices are not in the record (later
 * findings got slices of their own), so their addresses have an unknown sender and always wait. Undefined for a plan
 * not recorded (the calls then wait).
 */
function planSendersReader(pool: pg.Pool): (planId: string) => Promise<PlanSenders | undefined> {
  const known = new Map<string, { version: number; startedAt: number; senders: PlanSenders }>();
  return async (planId) => {
    const stored = await storedPlan(pool, planId);
    if (!stored) return undefined;
    const seen = known.get(planId);
    if (seen && seen.version === stored.version && seen.startedAt === stored.startedAt) return seen.senders;
    const layout = stored.layout ?? undefined;
    let senders = planSenders(stored.plan, layout, stored.version === 1 ? findingSlices(stored.plan) : undefined);
    if (stored.version > 1) {
      // The versions before it: those since the last one seen, or all of them, one at a time (a large plan is big).
      const base = seen && seen.startedAt === stored.startedAt && seen.version < stored.version ? seen : undefined;
      if (base) senders = mergeSenders(base.senders, senders);
      for (let v = base ? base.version + 1 : 1; v < stored.version; v++) {
        const { rows } = await pool.query('SELECT plan FROM plan_versions WHERE plan_id = $1 AND version = $2', [planId, v]);
        if (!rows.length) return undefined; // not known: the calls wait
        senders = mergeSenders(senders, planSenders(rows[0].plan as Plan, layout, undefined));
      }
    }
    known.delete(planId);
    if (known.size >= MAX_SENDER_PLANS) known.delete(known.keys().next().value!);
    known.set(planId, { version: stored.version, startedAt: stored.startedAt, senders });
    return senders;
  };
}

/** The outbox in the database (migration 011): see Gatherer. */
function dbGatherer(pool: pg.Pool, gatherMs: number, quietMs: number, leaseMs: number): Gatherer {
  const sendersOf = planSendersReader(pool);
  const stateOf = (r: Record<string, unknown>): GatherState => ({
    keyText: r.key_text as string,
    ...(r.status ? { entry: entryOf({ message_id: r.n_message_id as string, key_text: r.key_text as string, status: r.status as SentEntry['status'], reason: r.reason as string | null, rejected: r.rejected as string[] }) } : {}),
    offered: r.offered as boolean,
    ...(r.claimed_by ? { claimedBy: r.claimed_by as string } : {}),
  });
  async function states(planId: string, keyTexts: string[]): Promise<Map<string, GatherState>> {
    const { rows } = await pool.query(
      `SELECT k.key_text, n.message_id AS n_message_id, n.status, n.reason, n.rejected, o.key_text IS NOT NULL AS offered, o.message_id AS claimed_by
       FROM unnest($2::text[]) AS k(key_text)
       LEFT JOIN notices n ON n.plan_id = $1 AND n.key_text = k.key_text
       LEFT JOIN notice_outbox o ON o.plan_id = $1 AND o.key_text = k.key_text`,
      [planId, keyTexts],
    );
    return new Map(rows.map((r) => [r.key_text as string, stateOf(r)]));
  }
  return {
    gatherMs,
    quietMs,
    leaseMs,
    async sendsAlone(planId, workflowId, items) {
      const senders = await sendersOf(planId);
      return !!senders && sendsAlone(senders, workflowId, items);
    },
    async sinceLastOffer(planId: string, ats: string[]) {
      const { rows } = await pool.query(
        `SELECT COALESCE(extract(epoch FROM now() - max(offered_at)) * 1000, 1e9)::float8 AS ms FROM notice_outbox
         WHERE plan_id = $1 AND notice_at = ANY($2::timestamptz[])`,
        [planId, ats],
      );
      return Number(rows[0].ms);
    },
    async offer(planId: string, offers: OutboxOffer[]) {
      if (!offers.length) return new Map();
      // A key the sent log has already (sent, refused, or claimed by a call) is not offered again.
      await pool.query(
        `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)),
         wanted AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(key_text text, notice_at timestamptz, recipients_key text, item jsonb))
         INSERT INTO notice_outbox (plan_id, key_text, notice_at, recipients_key, item)
         SELECT $1, w.key_text, w.notice_at, w.recipients_key, w.item FROM wanted w, relaxed
         WHERE NOT EXISTS (SELECT 1 FROM notices n WHERE n.plan_id = $1 AND n.key_text = w.key_text)
         ON CONFLICT (plan_id, key_text) DO NOTHING`,
        [planId, JSON.stringify(offers.map((o) => ({ key_text: o.keyText, notice_at: o.at, recipients_key: o.recipientsKey, item: o.item })))],
      );
      return states(planId, offers.map((o) => o.keyText));
    },
    states,
    async claimGroup(planId, at, recipientsKey, owner, plan) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        await c.query(`SELECT set_config('synchronous_commit', 'off', true)`);
        // One claimer at a time per (plan, instant, recipients): the next finds the items claimed.
        await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`notice_outbox\n${planId}\n${new Date(at).toISOString()}\n${recipientsKey}`]);
        const { rows } = await c.query(
          `SELECT o.key_text, o.item FROM notice_outbox o
           WHERE o.plan_id = $1 AND o.notice_at = $2 AND o.recipients_key = $3 AND o.message_id IS NULL
             AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.plan_id = o.plan_id AND n.key_text = o.key_text)
           ORDER BY o.key_text FOR UPDATE`,
          [planId, at, recipientsKey],
        );
        if (!rows.length) {
          await c.query('COMMIT');
          return undefined;
        }
        const items = rows.map((r) => r.item as unknown);
        const { messageId, facts } = plan(items);
        await c.query(
          `INSERT INTO notices (message_id, plan_id, key_text, kind, task_id, unit_id, period, number, round, window_id, leader_id, notice_at, recipients, subject, status, attempts)
           SELECT message_id, plan_id, key_text, kind, task_id, unit_id, period, number, round, window_id, leader_id, notice_at, recipients, subject, 'sending', 1
           FROM jsonb_to_recordset($1::jsonb) AS x(message_id text, plan_id text, key_text text, kind text, task_id text, unit_id text,
             period text, number int, round int, window_id text, leader_id text, notice_at timestamptz, recipients jsonb, subject text)
           ON CONFLICT (plan_id, key_text) DO NOTHING`,
          [JSON.stringify(claimRows(facts.map((notice: NoticeFacts) => ({ messageId, notice }))))],
        );
        await c.query(
          `UPDATE notice_outbox SET message_id = $3, lease_owner = $4, lease_until = now() + make_interval(secs => $5::float8 / 1000)
           WHERE plan_id = $1 AND key_text = ANY($2::text[])`,
          [planId, rows.map((r) => r.key_text), messageId, owner, leaseMs],
        );
        await c.query('COMMIT');
        return { messageId, items };
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        c.release();
      }
    },
    async takeOver(planId, messageId, owner) {
      // The message is claimed again: each of its keys counts the attempt, as a claim by the per-call rule does.
      const { rows } = await pool.query(
        `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)),
         taken AS (
           UPDATE notice_outbox o SET lease_owner = $3, lease_until = now() + make_interval(secs => $4::float8 / 1000)
           WHERE o.plan_id = $1 AND o.message_id = $2 AND (o.lease_until IS NULL OR o.lease_until < now() OR o.lease_owner = $3)
             AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.plan_id = $1 AND n.message_id = $2 AND n.status IN ('sent', 'refused'))
           RETURNING o.key_text, o.item),
         counted AS (
           UPDATE notices n SET status = 'sending', attempts = n.attempts + 1, updated_at = now()
           WHERE n.plan_id = $1 AND n.message_id = $2 AND n.status NOT IN ('sent', 'refused') AND EXISTS (SELECT 1 FROM taken)
           RETURNING 1)
         SELECT taken.* FROM taken, relaxed`,
        [planId, messageId, owner, leaseMs],
      );
      return rows.length ? rows.sort((a, b) => (a.key_text < b.key_text ? -1 : 1)).map((r) => r.item as unknown) : undefined;
    },
    async release(planId, messageId, owner) {
      await pool.query(`UPDATE notice_outbox SET lease_until = now() WHERE plan_id = $1 AND message_id = $2 AND lease_owner = $3`, [planId, messageId, owner]);
    },
    async finish(planId, messageId) {
      await pool.query(
        `DELETE FROM notice_outbox o USING (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed WHERE o.plan_id = $1 AND o.message_id = $2`,
        [planId, messageId],
      );
    },
  };
}

/** One notice as the database keeps it. */
export interface StoredNotice {
  messageId: string;
  keyText: string;
  kind: string;
  taskId: string | null;
  unitId: string | null;
  period: string | null;
  number: number | null;
  round: number | null;
  window: string | null;
  leaderId: string | null;
  at: string;
  to: string[];
  cc: string[];
  subject: string;
  status: SentEntry['status'];
  reason: string | null;
  rejected: string[];
  attempts: number;
  /** When its hand-over first failed (a mail server down), and why it last failed; null when it never failed. */
  failingSince: string | null;
  lastFailure: string | null;
  /** When the mail server took it. */
  deliveredAt: string | null;
}

/** The notices of a plan (optionally of one task), in the order of their instants. */
export async function storedNotices(pool: pg.Pool, planId: string, only: { taskId?: string } = {}): Promise<StoredNotice[]> {
  const { rows } = await pool.query(
    `SELECT * FROM notices WHERE plan_id = $1 AND ($2::text IS NULL OR task_id = $2) ORDER BY notice_at, key_text`,
    [planId, only.taskId ?? null],
  );
  return rows.map((r) => ({
    messageId: r.message_id, keyText: r.key_text, kind: r.kind, taskId: r.task_id, unitId: r.unit_id, period: r.period, number: r.number,
    round: r.round, window: r.window_id, leaderId: r.leader_id, at: (r.notice_at as Date).toISOString(), to: r.recipients.to, cc: r.recipients.cc,
    subject: r.subject, status: r.status, reason: r.reason, rejected: r.rejected, attempts: r.attempts,
    failingSince: r.failing_since ? (r.failing_since as Date).toISOString() : null, lastFailure: r.last_failure,
    deliveredAt: r.delivered_at ? (r.delivered_at as Date).toISOString() : null,
  }));
}

/** A notice whose hand-over failed and is being retried: not delivered yet. */
export interface RetryingNotice {
  kind: string;
  taskId: string | null;
  unitId: string | null;
  period: string | null;
  number: number | null;
  at: string;
  since: string;
  reason: string;
  attempts: number;
}

/** The notices of a plan that are not delivered yet because their hand-over keeps failing, oldest first. */
export async function retryingNotices(pool: pg.Pool, planId: string): Promise<RetryingNotice[]> {
  const { rows } = await pool.query(
    `SELECT kind, task_id, unit_id, period, number, notice_at, failing_since, last_failure, attempts FROM notices
     WHERE plan_id = $1 AND failing_since IS NOT NULL AND status IN ('sending', 'unsent') ORDER BY failing_since, notice_at, key_text`,
    [planId],
  );
  return rows.map((r) => ({
    kind: r.kind, taskId: r.task_id, unitId: r.unit_id, period: r.period, number: r.number, at: (r.notice_at as Date).toISOString(),
    since: (r.failing_since as Date).toISOString(), reason: r.last_failure ?? 'not delivered', attempts: r.attempts,
  }));
}
