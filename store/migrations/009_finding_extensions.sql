-- Headquarters' extensions (延期) of inspection findings' deadlines: who granted each, when, the day asked for, the
-- working day it gave, the deadline day it replaced and why. The finding's record (finding_records.record) holds the
-- same without the reason; this table is what a reader queries.
CREATE TABLE finding_extensions (
  plan_id           text NOT NULL,
  finding_id        text NOT NULL,
  request_id        text NOT NULL,
  seq               integer NOT NULL,
  extended_at       timestamptz NOT NULL,
  until_day         date NOT NULL,
  due_day           date NOT NULL,
  due_at            timestamptz NOT NULL,
  previous_due_day  date NOT NULL,
  round             integer NOT NULL,
  reason            text NOT NULL,
  extended_by       text,
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, finding_id, request_id)
);
CREATE INDEX finding_extensions_by_finding ON finding_extensions (plan_id, finding_id, seq);
