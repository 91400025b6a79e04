-- A mail server that is down shows: when a notice's hand-over first failed, why it last failed, and when it was
-- finally delivered (the delay a headquarters sees, and the figure the fault suite checks).
ALTER TABLE notices
  ADD COLUMN failing_since timestamptz,
  ADD COLUMN last_failure  text,
  ADD COLUMN delivered_at  timestamptz;
CREATE INDEX notices_failing ON notices (plan_id) WHERE failing_since IS NOT NULL AND status IN ('sending', 'unsent');
