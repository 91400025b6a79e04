/** The system of record in PostgreSQL: connection, migrations, and one module per concern. */
export { connectStore, type ConnectedStore, type StoreSettings } from './connect.js';
export { EmbeddedPostgresError, startEmbeddedPostgres, temporaryEmbeddedPostgres, type EmbeddedPostgres } from './embedded.js';
export { migrate, migrationsIn, MIGRATIONS_DIR } from './migrate.js';
export { openStore, redact, StoreError, type Store } from './pool.js';
export { createDbSentLog, retryingNotices, storedNotices, type RetryingNotice, type StoredNotice } from './notices.js';
export { latestRevisions, latestRevisionsOfPlan, lastDecisionsOfPlan, ledgerDetails, type LastDecision, recordPlan, recordProgress, revisionSummaries, storedPlan, storedPlans, storedRecords, storedRevisions, type StoredPlan } from './records.js';
export { recordReview, storedReviews } from './reviews.js';
export { planHistory, recordPlanVersion, storedVersion, storedVersionByRequest, type PlanVersionEntry } from './versions.js';
