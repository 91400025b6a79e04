/** Activities for tests: real code, with a throwaway documents folder and an in-memory sent log unless given. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { createActivities, createDiscardMailer, createMemorySentLog, type ActivityDeps } from '../../activities/index.js';

/** createActivities with test defaults for whatever `deps` leaves out; `db` is a test database (see helpers/db). */
export function testActivities(deps: Partial<ActivityDeps> & { db: pg.Pool }) {
  const docs = mkdtempSync(join(tmpdir(), 'rc-docs-'));
  return createActivities({
    mailer: createDiscardMailer(),
    sentLog: createMemorySentLog(),
    from: 'hq-robot@example.org',
    documentsDir: (planId) => join(docs, planId),
    ...deps,
  });
}
