/** The activities of inspection findings: their notices (exactly once per business key) and their records. */
import type pg from 'pg';
import { findingNoticeKeyText, type FindingActionRow, type FindingNoticeBatch, type FindingNoticeKind, type FindingNoticeSpec, type FindingRecord } from '../../workflows/contract/finding.js';
import type { NoticeLine, NoticeOutcome } from '../../workflows/contract/notice.js';
import { recordFindings, tagFindingNotices, type FindingsBatch } from '../../store/findings.js';
import { deliverItems, type DigestItem } from '../notices/digest.js';
import { messageIdForText } from '../notices/message-id.js';
import { heartbeat, type NoticeDeps } from '../notices/send-notices.js';
import { findingNoticeLinks, renderFindingNotice } from './render.js';

/** The notices.jsonl line of a finding notice. */
export function findingLineOf(n: FindingNoticeSpec): NoticeLine {
  const k = n.key;
  const numbered = k.kind === 'reminder' || k.kind === 'claim-received' || k.kind === 'verify-reminder' || k.kind === 'claim-rejected' || k.kind === 'finding-extended';
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
    ...(k.kind === 'finding-extended' ? { dueDay: n.dueDay } : {}),
    to: n.to,
    cc: n.cc,
  };
}

const ROW_WORDS: Record<'en' | 'zh-CN', Record<FindingNoticeKind, (n: number) => string>> = {
  en: {
    'finding-assigned': () => 'Finding to rectify',
    reminder: (n) => `Reminder ${n}`,
    escalation: (n) => `Escalation level ${n}`,
    'claim-received': (n) => `Claim ${n} to verify`,
    'verify-reminder': (n) => `Claim ${n} awaits your decision`,
    'claim-rejected': (n) => `Claim ${n} rejected`,
    recheck: () => 'Re-check due',
    'finding-reopened': () => 'Reopened at its re-check',
    'finding-extended': (n) => `Deadline extended (extension ${n})`,
  },
  'zh-CN': {
    'finding-assigned': () => '问题整改交办',
    reminder: (n) => `第${n}次提醒`,
    escalation: (n) => `第${n}级督办`,
    'claim-received': (n) => `第${n}次销号申请待核验`,
    'verify-reminder': (n) => `第${n}次销号申请待核验（提醒）`,
    'claim-rejected': (n) => `第${n}次销号申请被退回`,
    recheck: () => '回头看',
    'finding-reopened': () => '回头看重新打开',
    'finding-extended': (n) => `整改期限延期（第${n}次）`,
  },
};

/** A finding notice as a digest item: its own message exactly as when it travels alone, and its line in a digest. */
export function findingItem(spec: FindingNoticeSpec, deps: Pick<NoticeDeps, 'from' | 'messageIdDomain' | 'links'>): DigestItem & { spec: FindingNoticeSpec } {
  const k = spec.key;
  const keyText = findingNoticeKeyText(k);
  const messageId = messageIdForText(k.kind, keyText, deps.messageIdDomain);
  const { subject, text, html } = renderFindingNotice(spec, deps.links);
  const headers = { 'X-Review-Cycles-Key': keyText, 'X-Review-Cycles-At': spec.at, 'X-Review-Cycles-Kind': `finding/${k.kind}` };
  const facts = { planId: k.planId, keyText, kind: k.kind, unitId: spec.unitId, period: spec.inspectionId, number: k.number, round: k.round, at: spec.at, to: spec.to, cc: spec.cc, subject };
  const [own, ...common] = findingNoticeLinks(spec, deps.links);
  const words = ROW_WORDS[spec.locale === 'zh-CN' ? 'zh-CN' : 'en'];
  return {
    spec,
    line: findingLineOf(spec),
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
      // A verifier's or an escalation's digest may be about several units' findings.
      item: `${spec.findingTitle} (${k.findingId}, ${spec.inspectionId}), ${spec.unitName}`,
      notice: words[k.kind](k.number),
      dueDay: spec.dueDay,
      ...(own ? { link: own } : {}),
    },
    commonLinks: common,
    single: { messageId, from: deps.from, to: spec.to, cc: spec.cc, subject, text, html, headers },
    facts,
  };
}

/** Builds the findings activities over their dependencies. */
export function createFindingActivities(deps: NoticeDeps & { db: pg.Pool }) {
  return {
    /**
     * Sends every finding notice of the batch not sent before, those of one instant and the same recipients as one
     * digest (unless the plan's delivery.digest is false); permanent refusals come back as outcomes.
     */
    async sendFindingNotices(batch: FindingNoticeBatch): Promise<NoticeOutcome[]> {
      const items = batch.notices.map((spec) => findingItem(spec, deps));
      const planId = batch.notices[0]?.key.planId;
      const outcomes = await deliverItems(deps, items, {
        digest: batch.digest !== false,
        heartbeat,
        onMessage: (m) => {
          // A gathered digest may carry other calls' items (a group's report notices too): each with its own line.
          if (m.fresh) for (const i of m.items) deps.onSent?.({ line: i.line ?? findingLineOf(i.spec), messageId: m.messageId, subject: m.subject });
        },
      });
      if (planId) await tagFindingNotices(deps.db, planId, items.map((i) => ({ keyText: i.keyText, findingId: i.spec.key.findingId })));
      return outcomes;
    },
    /** Writes finding records (a newer version replaces an older one), actions and extensions (once each by request id). */
    async recordFindings(batch: FindingsBatch): Promise<void> {
      await recordFindings(deps.db, batch);
    },
  };
}
