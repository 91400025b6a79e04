-- Amendments of a running plan: each applied version keeps what the plan tracks beyond its file (the schedule in
-- force, the pairs that joined or left, what was retired), the amendment's id (applied once) and its layout.
-- Version 1, recorded when the plan starts, has none of them.
ALTER TABLE plan_versions ADD COLUMN track jsonb;
ALTER TABLE plan_versions ADD COLUMN request_id text;
ALTER TABLE plan_versions ADD COLUMN layout jsonb;
CREATE UNIQUE INDEX plan_versions_by_request ON plan_versions (plan_id, request_id);
