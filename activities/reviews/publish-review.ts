/** The activity that writes a review's documents and sends its notices, each exactly once. */
import { windowNoticeKeyText, type NoticeLine } from '../../workflows/contract/notice.js';
import type { PublishOutcome, PublishRequest } from '../../workflows/contract/review.js';
import { reviewHtml, reviewMarkdown, reviewSubject, type ReviewDocumentInput } from '../documents/review-documents.js';
import { writeReviewDocuments } from '../documents/write-review.js';
import { reviewJson } from '../documents/review-documents.js';
import { publishedOf } from '../../workflows/review/published.js';
import { recordReview } from '../../store/reviews.js';
import type pg from 'pg';
import { deliverItems, type DigestItem, type DigestRow } from '../notices/digest.js';
import { storedPlan } from '../../store/records.js';
import { catalogueFor } from '../notices/render.js';
import { messageIdForText } from '../notices/message-id.js';
import { heartbeat, type NoticeDeps } from '../notices/send-notices.js';
import { renderLagging } from './lagging-notice.js';

export interface ReviewDeps extends NoticeDeps {
  /** The folder a plan's reviews and summaries are written into. */
  documentsDir: (planId: string) => string;
  /** The system of record. */
  db: pg.Pool;
}

/** A review, summary or lagging notice as a digest item, with its notices.jsonl line. */
type WindowItem = DigestItem & { line: NoticeLine; leaderId?: string };

/** Builds the review activity over its dependencies. */
export function createReviewActivities(deps: ReviewDeps) {
  return {
    /** Writes the review as JSON, Markdown and HTML, sends it to headquarters (leaders in cc) and each leader's lagging notice. */
    async publishReview({ review: given, audience }: PublishRequest): Promise<PublishOutcome> {
      const review = await withRecordedProblems(deps.db, given);
      const input: ReviewDocumentInput = {
        review,
        names: { units: audience.units, tasks: audience.tasks, aspects: audience.aspects, leaders: Object.fromEntries(audience.leaders.map((l) => [l.id, l.name])) },
        timezone: audience.timezone,
        locale: audience.locale,
      };
      const documents = await writeReviewDocuments(deps.documentsDir(review.planId), input);
      const leaderAddresses = audience.leaders.flatMap((l) => l.email);
      const words = catalogueFor(audience.locale);
      const item = (line: NoticeLine, subject: string, text: string, html: string, row: DigestRow, leaderId?: string): WindowItem => {
        const kind = line.kind as 'review' | 'summary' | 'lagging';
        const keyText = windowNoticeKeyText(review.planId, review.window, kind, leaderId);
        const messageId = messageIdForText(kind, keyText, deps.messageIdDomain);
        const headers = { 'X-Review-Cycles-Key': keyText, 'X-Review-Cycles-At': line.at };
        const facts = { planId: review.planId, keyText, kind, window: review.window, ...(leaderId ? { leaderId } : {}), at: line.at, to: line.to, cc: line.cc, subject };
        return {
          line, leaderId, planId: review.planId, planTitle: review.planTitle, keyText, kind, at: line.at, to: line.to, cc: line.cc,
          locale: audience.locale, timezone: audience.timezone, row, single: { messageId, from: deps.from, to: line.to, cc: line.cc, subject, text, html, headers }, facts,
          // Every notice joins the notices of its instant with its recipients (the annual and the plan summary of one
          // instant, to headquarters with the leaders in cc). Alone, a review is its own message, the document as its
          // body; in a digest it is a row, its document attached.
          ...(kind === 'lagging' ? {} : { attachments: [{ filename: `${review.window}.html`, content: html, contentType: 'text/html; charset=utf-8' }] }),
        };
      };
      const items: WindowItem[] = [
        item(
          { at: review.at, kind: review.kind, planId: review.planId, window: review.window, to: audience.headquarters, cc: leaderAddresses },
          reviewSubject(input),
          reviewMarkdown(input),
          reviewHtml(input),
          { item: review.planTitle, period: review.window, notice: review.kind },
        ),
      ];
      for (const lagging of review.lagging) {
        const leader = audience.leaders.find((l) => l.id === lagging.leaderId);
        if (!leader) continue;
        const { subject, text, html } = renderLagging(review, audience, lagging, deps.links);
        const line: NoticeLine = {
          at: review.at,
          kind: 'lagging',
          planId: review.planId,
          window: review.window,
          units: lagging.units.map((u) => u.unitId),
          to: leader.email,
          cc: audience.headquarters,
        };
        const units = lagging.units.map((u) => audience.units[u.unitId] ?? u.unitId).join(', ');
        const link = deps.links ? { link: [words.links.leader, deps.links.leader(review.planId, leader.id, Date.parse(review.at))] as [string, string] } : {};
        items.push(item(line, subject, text, html, { item: `${leader.name}: ${units}`, period: review.window, notice: words.digest.kinds.lagging[0], ...link }, leader.id));
      }
      const digest = (await storedPlan(deps.db, review.planId))?.plan.delivery?.digest !== false;
      const delivered = await deliverItems(deps, items, {
        digest,
        heartbeat,
        onMessage: (m) => {
          if (m.fresh) for (const i of m.items) deps.onSent?.({ line: i.line, messageId: m.messageId, subject: m.subject });
        },
      });
      const notices: PublishOutcome['notices'] = items.map((i, k) => {
        const o = delivered[k];
        return { kind: i.kind as 'review' | 'summary' | 'lagging', ...(i.leaderId ? { leaderId: i.leaderId } : {}), status: o.status, ...(o.status !== 'sent' ? { reason: o.reason } : {}) };
      });
      const outcome: PublishOutcome = { documents, notices };
      await recordReview(deps.db, {
        planId: review.planId, window: review.window, kind: review.kind, at: review.at, review, published: publishedOf(review, outcome), documents,
        jsonText: reviewJson(input), markdown: reviewMarkdown(input), html: reviewHtml(input),
      });
      return outcome;
    },
  };
}

/** The review with the problems of its flagged reports read from the database, where the group no longer keeps them. */
async function withRecordedProblems(db: pg.Pool, review: PublishRequest['review']): Promise<PublishRequest['review']> {
  const wanted = review.flagged.filter((f) => f.problems === null && f.requestId);
  if (!wanted.length) return review;
  const { rows } = await db.query(
    `SELECT task_id, unit_id, period, request_id, problems FROM report_revisions
     WHERE plan_id = $1 AND (task_id, unit_id, period, request_id) IN (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]))`,
    [review.planId, wanted.map((f) => f.taskId), wanted.map((f) => f.unitId), wanted.map((f) => f.period), wanted.map((f) => f.requestId!)],
  );
  const problems = new Map(rows.map((r) => [`${r.task_id}|${r.unit_id}|${r.period}|${r.request_id}`, r.problems as string | null]));
  return { ...review, flagged: review.flagged.map((f) => (f.problems === null && f.requestId ? { ...f, problems: problems.get(`${f.taskId}|${f.unitId}|${f.period}|${f.requestId}`) ?? null } : f)) };
}
