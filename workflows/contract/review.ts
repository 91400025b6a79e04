/** What the plan workflow hands the publishing activity, and remembers of each published review. */
import type { Review } from '../review/rank.js';

/** Names and addresses the documents and notices of a review need. */
export interface ReviewAudience {
  headquarters: string[];
  leaders: { id: string; name: string; email: string[] }[];
  units: Record<string, string>;
  tasks: Record<string, { title: string; aspect: string }>;
  aspects: Record<string, string>;
  timezone: string;
  locale: string;
}

export interface PublishRequest {
  review: Review;
  audience: ReviewAudience;
}

/** The outcome of publishing one review: where its documents are, which notices went out. */
export interface PublishOutcome {
  documents: { json: string; md: string; html: string };
  notices: { kind: 'review' | 'summary' | 'lagging'; leaderId?: string; status: string; reason?: string }[];
}

/** A published review as the plan workflow remembers it. */
export interface PublishedReview {
  window: string;
  kind: 'review' | 'summary';
  at: string;
  advanced: string[];
  backward: string[];
  behindPlan: string[];
  lagging: { leaderId: string; units: string[] }[];
  documents: { json: string; md: string; html: string };
  deliveryIssues: string[];
}
