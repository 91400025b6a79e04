/** What the plan workflow and the system of record keep of a published review. Pure. */
import type { PublishedReview, PublishOutcome } from '../contract/review.js';
import type { Review } from './rank.js';

/** The published form of `review`, given how its publishing went. */
export function publishedOf(review: Review, outcome: PublishOutcome): PublishedReview {
  return {
    window: review.window,
    kind: review.kind,
    at: review.at,
    advanced: review.advanced,
    backward: review.backward,
    behindPlan: review.behindPlan.map((b) => b.taskId),
    lagging: review.lagging.map((l) => ({ leaderId: l.leaderId, units: l.units.map((u) => u.unitId) })),
    documents: outcome.documents,
    deliveryIssues: outcome.notices.filter((n) => n.status !== 'sent').map((n) => `${n.kind}${n.leaderId ? ` to ${n.leaderId}` : ''}: ${n.reason ?? n.status}`),
  };
}
