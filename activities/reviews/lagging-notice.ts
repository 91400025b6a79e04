/** The notice that tells a leader which of their units are lagging in a review, and why. */
import type { LeaderLagging, Review } from '../../workflows/review/rank.js';
import type { ReviewAudience } from '../../workflows/contract/review.js';
import { escapeHtml, localTime } from '../notices/render.js';

const en = {
  subject: (planId: string, window: string, n: number) => `[${planId}] ${window}: ${n} of your unit${n === 1 ? ' is' : 's are'} lagging`,
  lead: (leader: string, title: string, window: string) => `${leader}, the ${window} review of "${title}" finds these of your units lagging:`,
  made: (at: string) => `Review made on ${at}.`,
  close: 'Headquarters asks you to follow up with them. The full review was sent to headquarters and every leader.',
};

/** Subject, text and HTML of one leader's lagging notice. */
export function renderLagging(review: Review, audience: ReviewAudience, lagging: LeaderLagging): { subject: string; text: string; html: string } {
  const leader = audience.leaders.find((l) => l.id === lagging.leaderId)?.name ?? lagging.leaderId;
  const unitName = (id: string) => `${audience.units[id] ?? id} (${id})`;
  const lead = en.lead(leader, review.planTitle, review.window);
  const made = en.made(localTime(review.at, audience.timezone));
  const text = [
    lead,
    '',
    ...lagging.units.flatMap((u) => [`- ${unitName(u.unitId)}`, ...u.reasons.map((r) => `    ${r}`)]),
    '',
    made,
    en.close,
    '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(lead)}</p><ul>`,
    ...lagging.units.map((u) => `<li><strong>${escapeHtml(unitName(u.unitId))}</strong><ul>${u.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul></li>`),
    `</ul><p>${escapeHtml(made)}</p><p>${escapeHtml(en.close)}</p></body></html>`,
  ].join('\n');
  return { subject: en.subject(review.planId, review.window, lagging.units.length), text, html };
}
