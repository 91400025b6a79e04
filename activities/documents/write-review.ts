/** Writes a review's or summary's JSON, Markdown and HTML documents to the output folder. */
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { reviewHtml, reviewJson, reviewMarkdown, type ReviewDocumentInput } from './review-documents.js';

/** The folder of a review's documents under `dir`: `reviews` for semi-annual reviews, `summaries` for summaries. */
export function reviewFolder(dir: string, kind: ReviewDocumentInput['review']['kind']): string {
  return join(dir, kind === 'review' ? 'reviews' : 'summaries');
}

/**
 * Writes `<dir>/reviews/<window>.{json,md,html}` (kind `review`) or `<dir>/summaries/<window>.{json,md,html}`
 * (kind `summary`, the plan summary being `summaries/plan.*`), each atomically; returns the three paths.
 * Writing again the same review gives the same files, so a retried activity is harmless.
 */
export async function writeReviewDocuments(dir: string, input: ReviewDocumentInput): Promise<{ json: string; md: string; html: string }> {
  const { window, kind } = input.review;
  // The window names the files: never let it leave the folder.
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(window)) throw new Error(`not a review window a file can be named after: ${JSON.stringify(window)}`);
  const base = join(reviewFolder(dir, kind), window);
  const paths = { json: `${base}.json`, md: `${base}.md`, html: `${base}.html` };
  await writeFileAtomic(paths.json, reviewJson(input));
  await writeFileAtomic(paths.md, reviewMarkdown(input));
  await writeFileAtomic(paths.html, reviewHtml(input));
  return paths;
}
