/** The assessment's baton: a unit's score in a window, from 0 to 100, made of weighted parts. Pure. */
import type { AssessmentWeights } from '../contract/plan.js';

/** The parts a score is made of, in the order documents show them. */
export const SCORE_PARTS = ['timeliness', 'progress', 'quality', 'findings'] as const;
export type ScorePartName = (typeof SCORE_PARTS)[number];

/** One part of a unit's score. */
export interface ScorePart {
  weight: number;
  /** The share measured (0-1); null when the part had nothing to measure. */
  measured: number | null;
  /** The share the score used: the measured one, or the unit's average of its other measured weighted parts. */
  used: number | null;
}

/** A unit's score and how it was made. */
export interface UnitScore {
  /** 0-100; null when no weighted part had anything to measure. */
  score: number | null;
  parts: Record<ScorePartName, ScorePart>;
}

/**
 * The score of a unit whose parts measured `measured` (shares 0-1, null: nothing to measure): the weighted mean of
 * the parts, x 100. A weighted part with nothing to measure takes the average of the unit's other measured weighted
 * parts; when none of them measured anything, the score is null.
 */
export function unitScore(weights: AssessmentWeights, measured: Record<ScorePartName, number | null>): UnitScore {
  const weighted = SCORE_PARTS.filter((p) => weights[p] > 0);
  const known = weighted.filter((p) => measured[p] !== null);
  const average = known.length ? known.reduce((s, p) => s + measured[p]!, 0) / known.length : null;
  const parts = Object.fromEntries(
    SCORE_PARTS.map((p) => [p, { weight: weights[p], measured: measured[p], used: measured[p] ?? (weights[p] > 0 ? average : null) }]),
  ) as Record<ScorePartName, ScorePart>;
  const total = weighted.reduce((s, p) => s + weights[p], 0);
  const score = average === null || total === 0 ? null : (weighted.reduce((s, p) => s + weights[p] * parts[p].used!, 0) / total) * 100;
  return { score, parts };
}

/** Orders by score, highest first, a null score last; equal scores (to 1e-9) are left to `tie`. */
export function compareScores(a: number | null, b: number | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  const d = Math.round((b - a) * 1e9);
  return d === 0 ? 0 : d;
}
