-- The dashboard's state SQL read two facts from outside its covering index: whether an amendment withdrew the record
-- (a key of the `record` JSON, in the heap) and whether the quarter's own report was extended (a subquery into
-- report_extensions per row, twice per state). Both become columns written with the record, and the dashboard index
-- carries them, so the summary is an index-only scan again.
ALTER TABLE report_records
  ADD COLUMN withdrawn boolean NOT NULL DEFAULT false,
  ADD COLUMN quarter_extended boolean NOT NULL DEFAULT false;

UPDATE report_records r SET withdrawn = r.record ? 'withdrawnAt',
  quarter_extended = EXISTS (SELECT 1 FROM report_extensions x WHERE x.plan_id = r.plan_id AND x.task_id = r.task_id
    AND x.unit_id = r.unit_id AND x.period = r.period AND x.round = 0)
WHERE r.record ? 'withdrawnAt' OR EXISTS (SELECT 1 FROM report_extensions x WHERE x.plan_id = r.plan_id AND x.task_id = r.task_id
    AND x.unit_id = r.unit_id AND x.period = r.period AND x.round = 0);

DROP INDEX report_records_dashboard;
CREATE INDEX report_records_dashboard ON report_records (plan_id, aspect_id, unit_id, period, task_id)
  INCLUDE (submitted_at, days_late, escalations, due_at, awaiting, revision_due_at, escalated_round, review, withdrawn, quarter_extended);
