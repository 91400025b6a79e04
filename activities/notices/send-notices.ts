/** The activity that delivers a batch of request, reminder and escalation notices, exactly once per business key. */
import { Context } from '@temporalio/activity';
import type { LinkMaker } from '../../security/links.js';
import { noticeKeyText, type NoticeBatch, type NoticeLine, type NoticeOutcome, type NoticeSpec } from '../../workflows/contract/notice.js';
import type { Mailer } from '../mail/mailer.js';
import type { SentLog } from '../mail/sent-log.js';
import type { UnitPeriodRecord } from '../../workflows/contract/status.js';
import type pg from 'pg';
import { recordProgress } from '../../store/records.js';
import { applyOutcome } from '../../workflows/cycle/outcomes.js';
import { deliverItems, type DigestItem } from './digest.js';
import { messageIdFor } from './message-id.js';
import { catalogueFor, noticeLinks, renderNotice } from './render.js';
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
    ...(k.kind === 'extended' ? { number: k.number, dueDay: spec.dueDay } : {}),
    to: spec.to,
    cc: spec.cc,
  };
}

/** A batch as the group workflow hands it over; `digest: false` (the plan's `delivery.digest`) sends one message per notice. */
export type DeliveryBatch = NoticeBatch & { digest?: boolean };

/**
 * A report notice as a digest item: its own message exactly as when it travels alone, and its line in a digest.
 * `record` is the report's record as the workflow handed it over with the batch (its calendar event's sequence counts
 * the due day's moves).
 */
export function noticeItem(spec: NoticeSpec, deps: Pick<NoticeDeps, 'from' | 'messageIdDomain' | 'links'>, record?: UnitPeriodRecord): DigestItem & { spec: NoticeSpec } {
  const k = spec.key;
  const keyText = noticeKeyText(k);
  const messageId = messageIdFor(k, deps.messageIdDomain);
  const { subject, text, html } = renderNotice(spec, deps.links);
  const attachments = noticeAttachments(spec, deps.links, record);
  const headers = { 'X-Review-Cycles-Key': keyText, 'X-Review-Cycles-At': spec.at, 'X-Review-Cycles-Kind': k.kind };
  const facts = { planId: k.planId, keyText, kind: k.kind, taskId: k.taskId, unitId: k.unitId, period: k.period, number: k.number, round: k.round ?? 0, at: spec.at, to: spec.to, cc: spec.cc, subject };
  const c = catalogueFor(spec.locale);
  const [report, ...common] = noticeLinks(spec, deps.links, c);
  const task = `${spec.taskTitle} (${k.taskId})`;
  return {
    spec,
    line: lineOf(spec),
    planId: k.planId,
    planTitle: spec.planTitle,
    keyText,
    kind: k.kind,
    at: spec.at,
    to: spec.to,
    cc: spec.cc,
    locale: spec.locale,
    timezone: spec.timezone,
    row: {
      // An escalation digest (to a leader or headquarters) may be about several units.
      item: k.kind === 'escalation' ? `${task}, ${spec.unitName}` : task,
      period: k.period,
      notice: c.digest.notice[k.kind](k.kind === 'returned' ? (k.round ?? k.number) : k.number),
      dueDay: spec.dueDay,
      ...(report ? { link: report } : {}),
    },
    commonLinks: common,
    attachments,
    single: { messageId, from: deps.from, to: spec.to, cc: spec.cc, subject, text, html, headers, attachments },
    facts,
  };
}

/** Builds the notice activity over its dependencies. */
export function createNoticeActivities(deps: NoticeDeps) {
  return {
    /**
     * Sends every notice of the batch that has not been sent before, those of one instant and the same recipients as
     * one digest; permanent refusals are returned, not thrown.
     */
    async sendNotices(batch: DeliveryBatch): Promise<NoticeOutcome[]> {
      const items = batch.notices.map((spec, k) => noticeItem(spec, deps, batch.records?.changes[batch.records.index[k]]?.record));
      const outcomes = await deliverItems(deps, items, {
        digest: batch.digest !== false,
        heartbeat,
        onMessage: (m) => {
          // A gathered digest may carry other calls' items, of any family: each with its own line.
          if (m.fresh) for (const i of m.items) deps.onSent?.({ line: i.line ?? lineOf(i.spec), messageId: m.messageId, subject: m.subject, ...(i.line?.taskId ? { spec: i.spec } : {}) });
        },
      });
      if (batch.records) await recordOutcomes(deps, batch, outcomes);
      return outcomes;
    },
  };
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
