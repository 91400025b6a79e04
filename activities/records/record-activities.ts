/** The activities that carry what the workflows accepted into the system of record, idempotently. */
import type pg from 'pg';
import type { PlanVersionRecord } from '../../workflows/contract/amend.js';
import type { PlanRecord, ProgressBatch } from '../../workflows/contract/progress.js';
import { recordPlan, recordProgress } from '../../store/records.js';
import { recordPlanVersion } from '../../store/versions.js';

/** Builds the record activities over the database pool. */
export function createRecordActivities(deps: { db: pg.Pool }) {
  return {
    /** Records the plan a plan workflow runs, with its layout; repeating it changes nothing. */
    async recordPlan(p: PlanRecord): Promise<void> {
      await recordPlan(deps.db, p);
    },
    /** Records an applied amendment (its version, plan, difference and track) and moves the plan to it; repeating it changes nothing. */
    async recordAmendment(r: PlanVersionRecord): Promise<void> {
      await recordPlanVersion(deps.db, r);
    },
    /** Upserts a batch of changed records, their new revisions and their decisions in one transaction. */
    async recordProgress(batch: ProgressBatch): Promise<void> {
      await recordProgress(deps.db, batch);
    },
  };
}
