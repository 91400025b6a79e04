/** The activities of inspection findings: their notices (exactly once per business key) and their records. */
import type pg from 'pg';
import { findingNoticeKeyText, type FindingActionRow, type FindingNoticeBatch, type FindingNoticeSpec, type FindingRecord } from '../../workflows/contract/finding.js';
import type { NoticeLine, NoticeOutcome } from '../../workflows/contract/notice.js';
import { recordFindings, tagFindingNotices } from '../../store/findings.js';
import { claimAll } from '../mail/sent-log.js';
import { deliverOnce, outcomeWriter } from '../notices/deliver-once.js';
import { messageIdForText } from '../notices/message-id.js';
import { heartbeat, type NoticeDeps } from '../notices/send-notices.js';
import { renderFindingNotice } from './render.js';

/** The notices.jsonl line of a finding notice. */
export function findingLineOf(n: FindingNoticeSpec): NoticeLine {
  const k = n.key;
  const numbered = k.kind === 'reminder' || k.kind === 'claim-received' || k.kind === 'verify-reminder' || k.kind === 'claim-rejected';
  return {
    at: n.at,
    kind: k.kind,
    planId: k.planId,
    findingId: k.findingId,
    inspectionId: n.inspectionId,
    unitId: n.unitId,
    round: k.round,
    ...(numbered ? { number: k.number } : {}),
    ...(k.kind === 'escalation' ? { level: k.number } : {}),
    to: n.to,
    cc: n.cc,
  };
}

/** Builds the findings activities over their dependencies. */
export function createFindingActivities(deps: NoticeDeps & { db: pg.Pool }) {
  return {
    /** Sends every finding notice of the batch not sent before; permanent refusals come back as outcomes. */
    async sendFindingNotices(batch: FindingNoticeBatch): Promise<NoticeOutcome[]> {
      const messages = batch.notices.map((spec) => {
        const k = spec.key;
        const keyText = findingNoticeKeyText(k);
        const messageId = messageIdForText(k.kind, keyText, deps.messageIdDomain);
        const { subject, text, html } = renderFindingNotice(spec, deps.links);
        const headers = { 'X-Review-Cycles-Key': keyText, 'X-Review-Cycles-At': spec.at, 'X-Review-Cycles-Kind': `finding/${k.kind}` };
        const notice = { planId: k.planId, keyText, kind: k.kind, unitId: spec.unitId, period: spec.inspectionId, number: k.number, round: k.round, at: spec.at, to: spec.to, cc: spec.cc, subject };
        return { spec, notice, message: { messageId, from: deps.from, to: spec.to, cc: spec.cc, subject, text, html, headers } };
      });
      const prior = await claimAll(deps.sentLog, messages.map((m) => ({ messageId: m.message.messageId, notice: m.notice })));
      await tagFindingNotices(deps.db, batch.notices[0]?.key.planId ?? '', messages.map((m) => ({ keyText: m.notice.keyText, findingId: m.spec.key.findingId })));
      const outcomes: NoticeOutcome[] = [];
      const writer = outcomeWriter(deps.sentLog);
      try {
        for (const { spec, notice, message } of messages) {
          const { outcome, fresh } = await deliverOnce(deps.mailer, deps.sentLog, message, notice, { prior: prior.get(message.messageId), writer });
          outcomes.push(outcome);
          if (fresh) deps.onSent?.({ line: findingLineOf(spec), messageId: message.messageId, subject: message.subject });
          heartbeat(outcomes.length);
        }
      } catch (err) {
        const left = messages.slice(outcomes.length).map((m) => m.message.messageId);
        await deps.sentLog.failing?.(left, (err as Error)?.message?.split('\n')[0] ?? String(err)).catch(() => {});
        throw err;
      } finally {
        await writer.flush().catch(() => {});
      }
      await writer.flush();
      return outcomes;
    },
    /** Writes finding records (a newer version replaces an older one) and actions (once each by request id). */
    async recordFindings(batch: { planId: string; records: FindingRecord[]; actions: FindingActionRow[] }): Promise<void> {
      await recordFindings(deps.db, batch);
    },
  };
}
