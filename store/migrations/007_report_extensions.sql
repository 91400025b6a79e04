-- Headquarters' extensions (延期) of single reports: who granted each, when, the day asked for, the working day it
-- gave and why. The report's record (report_records.record) holds the same; this table is what a reader queries.
CREATE TABLE report_extensions (
  plan_id           text NOT NULL,
  task_id           text NOT NULL,
  unit_id           text NOT NULL,
  period            text NOT NULL,
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
  PRIMARY KEY (plan_id, task_id, unit_id, period, request_id)
);
CREATE INDEX report_extensions_by_report ON report_extensions (plan_id, task_id, unit_id, period, seq);
