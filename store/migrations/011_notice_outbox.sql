-- One message per recipient per instant across activity calls: each call offers its digest items here (one row per
-- business key, with what it takes to render it), waits a short gather window, and one sender claims every item of
-- (plan, instant, recipients) still unclaimed under one Message-ID. A claimed message keeps its items here until its
-- outcome is in `notices`, so whoever retries it sends the same digest again; the lease says who sends it now.
CREATE TABLE notice_outbox (
  plan_id        text NOT NULL,
  key_text       text NOT NULL,
  notice_at      timestamptz NOT NULL,
  recipients_key text NOT NULL,
  item           jsonb NOT NULL,
  offered_at     timestamptz NOT NULL DEFAULT now(),
  message_id     text,
  lease_owner    text,
  lease_until    timestamptz,
  PRIMARY KEY (plan_id, key_text)
);
CREATE INDEX notice_outbox_unclaimed ON notice_outbox (plan_id, notice_at, recipients_key) WHERE message_id IS NULL;
CREATE INDEX notice_outbox_by_message ON notice_outbox (plan_id, message_id) WHERE message_id IS NOT NULL;
