/** What the portal's finding pages read beyond the client API: one finding's record, by its key. */
import type pg from 'pg';
import type { FindingRecord } from '../workflows/contract/finding.js';

/** The current record of one finding, or undefined before it is assigned (one indexed read). */
export async function findingRecordOf(pool: pg.Pool, planId: string, findingId: string): Promise<FindingRecord | undefined> {
  const { rows } = await pool.query('SELECT record FROM finding_records WHERE plan_id = $1 AND finding_id = $2', [planId, findingId]);
  return rows[0]?.record as FindingRecord | undefined;
}
