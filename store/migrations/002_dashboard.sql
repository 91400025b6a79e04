-- Headquarters' dashboard aggregates report_records in SQL: per aspect and unit over a whole plan, and one aspect's
-- rows for its drill-down. This index covers both (an index-only scan once the table is vacuumed) and replaces the
-- narrower (plan_id, aspect_id) index of 001, which is its prefix.
CREATE INDEX report_records_dashboard ON report_records (plan_id, aspect_id, unit_id, period, task_id)
  INCLUDE (submitted_at, days_late, escalations, due_at, awaiting, revision_due_at, escalated_round, review);
DROP INDEX report_records_by_aspect;
