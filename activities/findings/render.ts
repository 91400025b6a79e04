/** Turns a finding notice into its subject, plain-text and HTML bodies, in the plan's language and time zone. */
import type { LinkMaker } from '../../security/links.js';
import { HEADQUARTERS, type FindingNoticeKind, type FindingNoticeSpec } from '../../workflows/contract/finding.js';
import { escapeHtml, localDay, linksHtml, type RenderedNotice } from '../notices/render.js';

interface W {
  planId: string;
  title: string;
  findingId: string;
  unitName: string;
  dueDay: string;
  number: number;
  round: number;
  /** The deadline day an extension replaced. */
  previousDueDay: string;
}

const EN: Record<FindingNoticeKind, { subject: (w: W) => string; lead: (w: W) => string }> = {
  'finding-assigned': {
    subject: (w) => `[${w.planId}] Finding ${w.findingId} to rectify: ${w.title}, due ${w.dueDay}`,
    lead: (w) => `The inspection found a problem that ${w.unitName} is asked to rectify by ${w.dueDay}: "${w.title}".`,
  },
  reminder: {
    subject: (w) => `[${w.planId}] Reminder ${w.number}: finding ${w.findingId} to rectify by ${w.dueDay}`,
    lead: (w) => `${w.unitName} has not yet claimed finding ${w.findingId} ("${w.title}") rectified; it is due on ${w.dueDay}.`,
  },
  escalation: {
    subject: (w) => `[${w.planId}] Escalation level ${w.number}: finding ${w.findingId} of ${w.unitName} is overdue`,
    lead: (w) => `${w.unitName} has not claimed finding ${w.findingId} ("${w.title}") rectified, which was due on ${w.dueDay}.`,
  },
  'claim-received': {
    subject: (w) => `[${w.planId}] Claim ${w.number} to verify: finding ${w.findingId} of ${w.unitName}`,
    lead: (w) => `${w.unitName} claims finding ${w.findingId} ("${w.title}") rectified. Please check the evidence and accept or reject the claim.`,
  },
  'verify-reminder': {
    subject: (w) => `[${w.planId}] Reminder: claim ${w.number} on finding ${w.findingId} awaits your decision`,
    lead: (w) => `The claim of ${w.unitName} that finding ${w.findingId} ("${w.title}") is rectified still awaits a decision.`,
  },
  'claim-rejected': {
    subject: (w) => `[${w.planId}] Claim rejected: finding ${w.findingId}, now due ${w.dueDay}`,
    lead: (w) => `The claim that finding ${w.findingId} ("${w.title}") is rectified was rejected. ${w.unitName} is asked to rectify it by ${w.dueDay}.`,
  },
  recheck: {
    subject: (w) => `[${w.planId}] Re-check due: finding ${w.findingId} of ${w.unitName}`,
    lead: (w) => `Finding ${w.findingId} ("${w.title}") was closed; it is now due for its re-check. Please answer: pass, or reopen.`,
  },
  'finding-reopened': {
    subject: (w) => `[${w.planId}] Finding ${w.findingId} reopened at its re-check, due ${w.dueDay}`,
    lead: (w) => `The re-check reopened finding ${w.findingId} ("${w.title}"). ${w.unitName} is asked to rectify it again by ${w.dueDay}.`,
  },
  'finding-extended': {
    subject: (w) => `[${w.planId}] Finding ${w.findingId}: deadline extended to ${w.dueDay}`,
    lead: (w) => `Headquarters has extended the deadline of finding ${w.findingId} ("${w.title}") for ${w.unitName} from ${w.previousDueDay} to ${w.dueDay}. Reminders now count from the new deadline day.`,
  },
};

const ZH: Record<FindingNoticeKind, { subject: (w: W) => string; lead: (w: W) => string }> = {
  'finding-assigned': {
    subject: (w) => `[${w.planId}] 问题整改交办：${w.title}（${w.findingId}），${w.dueDay}前完成`,
    lead: (w) => `督查发现的问题“${w.title}”交由${w.unitName}整改，请于${w.dueDay}前完成并申请销号。`,
  },
  reminder: {
    subject: (w) => `[${w.planId}] 第${w.number}次提醒：问题 ${w.findingId} 须于${w.dueDay}前整改`,
    lead: (w) => `${w.unitName}尚未就问题 ${w.findingId}（“${w.title}”）申请销号，整改期限为${w.dueDay}。`,
  },
  escalation: {
    subject: (w) => `[${w.planId}] 第${w.number}级督办：${w.unitName}的问题 ${w.findingId} 逾期未整改`,
    lead: (w) => `${w.unitName}未在${w.dueDay}前就问题 ${w.findingId}（“${w.title}”）申请销号。`,
  },
  'claim-received': {
    subject: (w) => `[${w.planId}] 待核验：${w.unitName}就问题 ${w.findingId} 的第${w.number}次销号申请`,
    lead: (w) => `${w.unitName}申请问题 ${w.findingId}（“${w.title}”）销号，请核验佐证材料并予以通过或退回。`,
  },
  'verify-reminder': {
    subject: (w) => `[${w.planId}] 提醒：问题 ${w.findingId} 的第${w.number}次销号申请待核验`,
    lead: (w) => `${w.unitName}就问题 ${w.findingId}（“${w.title}”）的销号申请仍待核验。`,
  },
  'claim-rejected': {
    subject: (w) => `[${w.planId}] 销号申请被退回：问题 ${w.findingId}，须于${w.dueDay}前重新整改`,
    lead: (w) => `问题 ${w.findingId}（“${w.title}”）的销号申请未通过核验，请${w.unitName}于${w.dueDay}前重新整改。`,
  },
  recheck: {
    subject: (w) => `[${w.planId}] 回头看：${w.unitName}的问题 ${w.findingId}`,
    lead: (w) => `问题 ${w.findingId}（“${w.title}”）已销号，现应进行回头看，请给出结论：通过或重新打开。`,
  },
  'finding-reopened': {
    subject: (w) => `[${w.planId}] 回头看重新打开问题 ${w.findingId}，须于${w.dueDay}前整改`,
    lead: (w) => `回头看发现问题 ${w.findingId}（“${w.title}”）仍未整改到位，请${w.unitName}于${w.dueDay}前再次整改。`,
  },
  'finding-extended': {
    subject: (w) => `[${w.planId}] 问题 ${w.findingId} 整改期限延至${w.dueDay}`,
    lead: (w) => `总部已将${w.unitName}问题 ${w.findingId}（“${w.title}”）的整改期限由${w.previousDueDay}延至${w.dueDay}，此后的提醒按新的整改期限计算。`,
  },
};

const FACTS = {
  en: { plan: 'Plan', inspection: 'Inspection', finding: 'Finding', unit: 'Responsible unit', due: 'Deadline day', round: 'Round', reason: 'Reason', extensionReason: 'Reason for the extension', previous: 'Previous deadline day', verifier: 'Verifier', sep: ': ', footer: 'This notice was sent by review-cycles on behalf of headquarters.', unitPage: "The unit's page", findingPage: 'Report progress or claim the finding rectified', verifierPage: 'Check the evidence and decide', hqPage: "The finding on headquarters' dashboard" },
  'zh-CN': { plan: '计划', inspection: '督查轮次', finding: '问题', unit: '责任单位', due: '整改期限', round: '整改轮次', reason: '退回理由', extensionReason: '延期理由', previous: '原整改期限', verifier: '核验方', sep: '：', footer: '本通知由督办系统代总部发出。', unitPage: '本单位页面', findingPage: '报送整改进展或申请销号', verifierPage: '核验佐证材料并作出决定', hqPage: '总部督办台上的该问题' },
};

/** Who receives which kind: the unit (its finding page and its page), or the verifier (its page). */
const TO_UNIT = new Set<FindingNoticeKind>(['finding-assigned', 'reminder', 'claim-rejected', 'finding-reopened', 'finding-extended']);
const TO_VERIFIER = new Set<FindingNoticeKind>(['claim-received', 'verify-reminder', 'recheck']);

/** The links a finding notice carries: the signed page of whoever is to act on it (issued at the notice's instant). */
export function findingNoticeLinks(n: FindingNoticeSpec, links: LinkMaker | undefined): [string, string][] {
  if (!links) return [];
  const f = n.locale === 'zh-CN' ? FACTS['zh-CN'] : FACTS.en;
  const at = Date.parse(n.at);
  const { planId, findingId, kind } = n.key;
  if (TO_UNIT.has(kind)) return [[f.findingPage, links.finding(planId, n.unitId, findingId, at)], [f.unitPage, links.unit(planId, n.unitId, at)]];
  if (!TO_VERIFIER.has(kind)) return [];
  // Headquarters acts from its dashboard with its credential, so its link is not signed.
  return [n.verifier === HEADQUARTERS ? [f.hqPage, links.hqFinding(planId, findingId)] : [f.verifierPage, links.verifier(planId, n.verifier, at)]];
}

/** Renders one finding notice; with `links`, each carries the page of whoever is to act on it (see findingNoticeLinks). */
export function renderFindingNotice(n: FindingNoticeSpec, links?: LinkMaker): RenderedNotice {
  const zh = n.locale === 'zh-CN';
  const words = zh ? ZH : EN;
  const f = zh ? FACTS['zh-CN'] : FACTS.en;
  const w: W = { planId: n.key.planId, title: n.findingTitle, findingId: n.key.findingId, unitName: n.unitName, dueDay: localDay(n.dueDay, n.locale), number: n.key.number, round: n.key.round, previousDueDay: n.previousDueDay ? localDay(n.previousDueDay, n.locale) : '' };
  const subject = words[n.key.kind].subject(w);
  const lead = words[n.key.kind].lead(w);
  const facts: [string, string][] = [
    [f.plan, `${n.planTitle} (${n.key.planId})`],
    [f.inspection, `${n.inspectionTitle} (${n.inspectionId})`],
    [f.finding, `${n.findingTitle} (${n.key.findingId})`],
    [f.unit, `${n.unitName} (${n.unitId})`],
    [f.verifier, n.verifier],
    [f.due, localDay(n.dueDay, n.locale)],
    ...(n.previousDueDay ? [[f.previous, localDay(n.previousDueDay, n.locale)] as [string, string]] : []),
    [f.round, String(n.key.round)],
    ...(n.reason ? [[n.key.kind === 'finding-extended' ? f.extensionReason : f.reason, n.reason] as [string, string]] : []),
  ];
  const linkList = findingNoticeLinks(n, links);
  const text = [lead, '', ...facts.map(([k, v]) => `${k}${f.sep}${v}`), '', ...linkList.map(([k, v]) => `${k}${f.sep}${v}`), ...(linkList.length ? [''] : []), f.footer, ''].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(lead)}</p>`,
    '<table>',
    ...facts.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
    ...linksHtml(linkList, f.sep),
    `<p style="color:#666">${escapeHtml(f.footer)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
