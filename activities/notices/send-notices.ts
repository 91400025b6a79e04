/** The activity that delivers a batch of request, reminder and escalation notices, exactly once per business key. */
import { Context } from '@temporalio/activity';
import type { LinkMaker } from '../../security/links.js';
import { noticeKeyText, type NoticeBatch, type NoticeLine, type NoticeOutcome, type NoticeSpec } from '../../workflows/contract/notice.js';
import type { Mailer } from '../mail/mailer.js';
import { claimAll, type SentLog } from '../mail/sent-log.js';
import type pg from 'pg';
import { recordProgress } from '../../store/records.js';
import { applyOutcome } from '../../workflows/cycle/outcomes.js';
import { deliverOnce, outcomeWriter } from './deliver-once.js';
import { messageIdFor } from './message-id.js';
import { renderNotice } from './render.js';
import { noticeAttachments } from './calendar.js';

/** A notice that has just been handed to the mail server (for recorders such as the rehearsal). */
export interface SentNotice {
  line: NoticeLine;
  messageId: string;
  subject: string;
  /** The full notice, for request, reminder and escalation notices. */
  spec?: NoticeSpec;
}

export interface NoticeDeps {
  mailer: Mailer;
  /** The system of record, where a batch's records are written after its outcomes. */
  db?: pg.Pool;
  sentLog: SentLog;
  from: string;
  /** Domain part of Message-IDs. */
  messageIdDomain?: string;
  onSent?: (sent: SentNotice) => void;
  /**
   * Signed links to the portal. When given, every unit notice carries the link to its report form (and an escalation
   * the leader view of the unit's leader, a lagging notice that of its leader), issued at the notice's own instant so
   * that a retry renders the same message.
   */
  links?: LinkMaker;
}

/** Reports progress; a no-op outside an activity (plain-function tests). */
export function heartbeat(done: number): void {
  try {
    Context.current().heartbeat(done);
  } catch {
    // not inside an activity
  }
}

/** The notices.jsonl line of a unit notice. */
export function lineOf(spec: NoticeSpec): NoticeLine {
  const k = spec.key;
  return {
    at: spec.at,
    kind: k.kind,
    planId: k.planId,
    taskId: k.taskId,
    unitId: k.unitId,
    period: k.period,
    ...(k.kind === 'escalation' ? { level: k.number } : {}),
    ...(k.round ? { round: k.round } : {}),
    to: spec.to,
    cc: spec.cc,
  };
}

/** Builds the notice activity over its dependencies. */
export function createNoticeActivities(deps: NoticeDeps) {
  return {
    /** Sends every notice of the batch that has not been sent before; permanent refusals are returned, not thrown. */
    async sendNotices(batch: NoticeBatch): Promise<NoticeOutcome[]> {
      const messages = batch.notices.map((spec) => {
        const k = spec.key;
        const messageId = messageIdFor(k, deps.messageIdDomain);
        const { subject, text, html } = renderNotice(spec, deps.links);
        const attachments = noticeAttachments(spec, deps.links);
        const headers = { 'X-Review-Cycles-Key': noticeKeyText(k), 'X-Review-Cycles-At': spec.at, 'X-Review-Cycles-Kind': k.kind };
        const notice = { planId: k.planId, keyText: noticeKeyText(k), kind: k.kind, taskId: k.taskId, unitId: k.unitId, period: k.period, number: k.number, round: k.round ?? 0, at: spec.at, to: spec.to, cc: spec.cc, subject };
        return { spec, notice, message: { messageId, from: deps.from, to: spec.to, cc: spec.cc, subject, text, html, headers, attachments } };
      });
      // The whole batch is claimed in one round trip; each outcome is written as soon as its hand-over ends.
      const prior = await claimAll(deps.sentLog, messages.map((m) => ({ messageId: m.message.messageId, notice: m.notice })));
      const outcomes: NoticeOutcome[] = [];
      const writer = outcomeWriter(deps.sentLog);
      try {
        for (const { spec, notice, message } of messages) {
          const { outcome, fresh } = await deliverOnce(deps.mailer, deps.sentLog, message, notice, { prior: prior.get(message.messageId), writer });
          outcomes.push(outcome);
          if (fresh) deps.onSent?.({ line: lineOf(spec), messageId: message.messageId, subject: message.subject, spec });
          heartbeat(outcomes.length);
        }
      } catch (err) {
        // The mail server is down (or failed mid-batch): what is left of the batch shows as "not delivered yet".
        const left = messages.slice(outcomes.length).map((m) => m.message.messageId);
        await deps.sentLog.failing?.(left, failureText(err)).catch(() => {});
        throw err;
      } finally {
        await writer.flush().catch(() => {}); // a failed write leaves its notice at `sending`: the retry sends it again
      }
      await writer.flush();
      if (batch.records) await recordOutcomes(deps, batch, outcomes);
      return outcomes;
    },
  };
}

/** One line that says why a hand-over failed (the mail server's own words when it answered). */
function failureText(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  const text = e?.cause?.message ?? e?.message ?? String(err);
  return text.split('\n')[0];
}

/** Applies the outcomes to the records the workflow handed over (as the workflow does) and writes them. */
async function recordOutcomes(deps: NoticeDeps, batch: NoticeBatch, outcomes: NoticeOutcome[]): Promise<void> {
  const { rule, changes, index } = batch.records!;
  if (!deps.db) throw new Error('sendNotices: a batch with records needs the database');
  const at = Date.parse(batch.at);
  outcomes.forEach((outcome, k) => applyOutcome(changes[index[k]].record, batch.notices[k], outcome, at, rule));
  const planId = batch.notices[0]?.key.planId;
  if (planId) await recordProgress(deps.db, { planId, changes });
}
