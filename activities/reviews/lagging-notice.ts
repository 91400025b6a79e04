/** The notice that tells a leader which of their units are lagging in a review, and why. */
import type { LinkMaker } from '../../security/links.js';
import type { LeaderLagging, Review } from '../../workflows/review/rank.js';
import type { ReviewAudience } from '../../workflows/contract/review.js';
import { escapeHtml, linksHtml, localTime } from '../notices/render.js';
import { describeReason } from './reasons.js';

interface LaggingTexts {
  subject: (planId: string, window: string, n: number) => string;
  lead: (leader: string, title: string, window: string) => string;
  made: (at: string) => string;
  close: string;
  /** Followed by the separator and the leader view's address. */
  link: string;
  sep: string;
  window: (id: string) => string;
}

const en: LaggingTexts = {
  subject: (planId, window, n) => `[${planId}] ${window}: ${n} of your unit${n === 1 ? ' is' : 's are'} lagging`,
  lead: (leader, title, window) => `${leader}, the ${window} review of "${title}" finds these of your units lagging:`,
  made: (at) => `Review made on ${at}.`,
  close: 'Headquarters asks you to follow up with them. The full review was sent to headquarters and every leader.',
  link: "Your units' reports (leader view)",
  sep: ': ',
  window: (id) => id,
};

const zhCN: LaggingTexts = {
  subject: (planId, window, n) => `[${planId}] ${window}：您分管的${n}个单位进度滞后`,
  lead: (leader, title, window) => `${leader}：“${title}”${window}评估显示，您分管的以下单位进度滞后：`,
  made: (at) => `评估时间：${at}。`,
  close: '总部请您督促上述单位加快进度。完整评估已发送总部及各位领导。',
  link: '分管单位报告（领导视图）',
  sep: '：',
  window: (id) => {
    const h1 = /^(\d{4})-H1$/.exec(id);
    if (h1) return `${h1[1]}年上半年`;
    if (/^\d{4}$/.test(id)) return `${id}年度`;
    return id === 'plan' ? '计划期' : id;
  },
};

const texts: Record<string, LaggingTexts> = { en, 'zh-CN': zhCN };

/**
 * Subject, text and HTML of one leader's lagging notice, in the audience's language; with `links`, it carries the
 * leader view's link, issued at the review's instant (the same link on every retry).
 */
export function renderLagging(
  review: Review,
  audience: ReviewAudience,
  lagging: LeaderLagging,
  links?: LinkMaker,
): { subject: string; text: string; html: string } {
  const t = texts[audience.locale] ?? en;
  const leader = audience.leaders.find((l) => l.id === lagging.leaderId)?.name ?? lagging.leaderId;
  const unitName = (id: string) => `${audience.units[id] ?? id} (${id})`;
  const window = t.window(review.window);
  const lead = t.lead(leader, review.planTitle, window);
  const made = t.made(localTime(review.at, audience.timezone, audience.locale));
  const linkList: [string, string][] = links ? [[t.link, links.leader(review.planId, lagging.leaderId, Date.parse(review.at))]] : [];
  const text = [
    lead,
    '',
    ...lagging.units.flatMap((u) => [`- ${unitName(u.unitId)}`, ...u.reasons.map((r) => `    ${describeReason(r, audience.locale)}`)]),
    '',
    ...(linkList.length ? [...linkList.map(([label, url]) => `${label}${t.sep}${url}`), ''] : []),
    made,
    t.close,
    '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(lead)}</p><ul>`,
    ...lagging.units.map(
      (u) => `<li><strong>${escapeHtml(unitName(u.unitId))}</strong><ul>${u.reasons.map((r) => `<li>${escapeHtml(describeReason(r, audience.locale))}</li>`).join('')}</ul></li>`,
    ),
    ...(linkList.length ? ['</ul>', ...linksHtml(linkList, t.sep), `<p>${escapeHtml(made)}</p><p>${escapeHtml(t.close)}</p></body></html>`] : [
      `</ul><p>${escapeHtml(made)}</p><p>${escapeHtml(t.close)}</p></body></html>`,
    ]),
  ].join('\n');
  return { subject: t.subject(review.planId, window, lagging.units.length), text, html };
}
