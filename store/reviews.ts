/** Reviews and summaries in the system of record: the review, what was published of it, and its documents. */
import type pg from 'pg';
import type { PublishedReview } from '../workflows/contract/review.js';

export interface ReviewRow {
  planId: string;
  window: string;
  kind: 'review' | 'summary';
  at: string;
  review: unknown;
  published: PublishedReview;
  documents: { json: string; md: string; html: string };
  jsonText: string;
  markdown: string;
  html: string;
}

/** Records a review once; a retried activity writes the same row again. */
export async function recordReview(pool: pg.Pool, r: ReviewRow): Promise<void> {
  await pool.query(
    `INSERT INTO reviews (plan_id, window_id, kind, review_at, review, published, documents, json_text, markdown, html)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (plan_id, window_id) DO UPDATE SET published = EXCLUDED.published, documents = EXCLUDED.documents, review = EXCLUDED.review,
       json_text = EXCLUDED.json_text, markdown = EXCLUDED.markdown, html = EXCLUDED.html`,
    [r.planId, r.window, r.kind, r.at, JSON.stringify(r.review), JSON.stringify(r.published), JSON.stringify(r.documents), r.jsonText, r.markdown, r.html],
  );
}

/** The reviews and summaries of a plan, in the order they were made. */
export async function storedReviews(pool: pg.Pool, planId: string): Promise<PublishedReview[]> {
  const { rows } = await pool.query('SELECT published FROM reviews WHERE plan_id = $1 ORDER BY review_at, window_id', [planId]);
  return rows.map((r) => r.published);
}
