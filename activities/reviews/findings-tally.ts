/** The activity that reads a plan's finding records at a review's moment and tallies them for the review. */
import type pg from 'pg';
import { findingRecords } from '../../store/findings.js';
import { storedPlan } from '../../store/records.js';
import { findingsTally, type FindingsTally } from '../../workflows/review/findings.js';
import type { ReviewWindow } from '../../workflows/review/windows.js';

/** Builds the findings-review activity over the database pool. */
export function createFindingsReviewActivities(deps: { db: pg.Pool }) {
  return {
    /** Per unit, the findings due in the window and how they stand at its moment (read from the system of record). */
    async tallyFindings({ planId, window }: { planId: string; window: ReviewWindow }): Promise<FindingsTally> {
      const stored = await storedPlan(deps.db, planId);
      if (!stored) throw new Error(`plan ${planId} is not in the system of record`);
      return findingsTally(stored.plan, window, (await findingRecords(deps.db, planId)).values());
    },
  };
}
