-- The system of record: what happened in every plan, kept for as long as headquarters wants.
-- Temporal decides when and whether; these tables keep what was decided. Later features add tables, not rewrites.

-- One row per plan: the version in force and how its tasks are split over group workflows.
CREATE TABLE plans (
  plan_id         text PRIMARY KEY,
  title           text NOT NULL,
  locale          text NOT NULL,
  timezone        text NOT NULL,
  started_at      timestamptz NOT NULL,
  current_version integer NOT NULL,
  layout          jsonb NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now()
);

-- Every version of every plan: the plan as it ran from `effective_at` on.
CREATE TABLE plan_versions (
  plan_id      text NOT NULL REFERENCES plans (plan_id),
  version      integer NOT NULL,
  plan         jsonb NOT NULL,
  effective_at timestamptz NOT NULL,
  reason       text,
  recorded_by  text,
  difference   jsonb,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, version)
);

-- The current record of each (task, unit, quarter) that has been requested: what the reads use.
-- `record` is the workflow's record without report texts; the columns beside it are for SQL aggregation.
CREATE TABLE report_records (
  plan_id          text NOT NULL REFERENCES plans (plan_id),
  task_id          text NOT NULL,
  unit_id          text NOT NULL,
  period           text NOT NULL,
  aspect_id        text NOT NULL,
  change_count     integer NOT NULL,
  record           jsonb NOT NULL,
  requested_at     timestamptz NOT NULL,
  due_at           timestamptz NOT NULL,
  submitted_at     timestamptz,
  days_late        integer,
  reminders        integer NOT NULL,
  escalations      integer NOT NULL,
  revisions        integer NOT NULL,
  report_status    text,
  progress         double precision,
  review           text,
  awaiting         boolean NOT NULL,
  revision_due_at  timestamptz,
  round            integer NOT NULL,
  escalated_round  boolean NOT NULL,
  delivery_issues  integer NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, task_id, unit_id, period)
);
CREATE INDEX report_records_by_unit ON report_records (plan_id, unit_id, period);
CREATE INDEX report_records_by_aspect ON report_records (plan_id, aspect_id);

-- Every revision of every report, unique by request id.
CREATE TABLE report_revisions (
  plan_id      text NOT NULL,
  task_id      text NOT NULL,
  unit_id      text NOT NULL,
  period       text NOT NULL,
  request_id   text NOT NULL,
  revision     integer NOT NULL,
  arrived_at   timestamptz NOT NULL,
  status       text NOT NULL,
  summary      text NOT NULL,
  progress     double precision,
  problems     text,
  next_steps   text,
  submitted_by text,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, task_id, unit_id, period, request_id),
  UNIQUE (plan_id, task_id, unit_id, period, revision)
);

-- Every decision of headquarters on a report.
CREATE TABLE report_decisions (
  plan_id           text NOT NULL,
  task_id           text NOT NULL,
  unit_id           text NOT NULL,
  period            text NOT NULL,
  request_id        text NOT NULL,
  seq               integer NOT NULL,
  decision          text NOT NULL CHECK (decision IN ('accept', 'return')),
  decided_at        timestamptz NOT NULL,
  comment           text,
  decided_by        text,
  revision_due_day  date,
  revision_due_at   timestamptz,
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, task_id, unit_id, period, request_id)
);

-- Every notice: the sent log every worker shares, and the record of what went out.
-- A business key is claimed (`sending`) before its hand-over and its outcome recorded after.
CREATE TABLE notices (
  message_id   text PRIMARY KEY,
  plan_id      text NOT NULL,
  key_text     text NOT NULL,
  kind         text NOT NULL,
  task_id      text,
  unit_id      text,
  period       text,
  number       integer,
  round        integer,
  window_id    text,
  leader_id    text,
  notice_at    timestamptz NOT NULL,
  recipients   jsonb NOT NULL,
  subject      text NOT NULL,
  status       text NOT NULL CHECK (status IN ('sending', 'sent', 'refused', 'unsent')),
  reason       text,
  rejected     jsonb NOT NULL DEFAULT '[]',
  attempts     integer NOT NULL DEFAULT 0,
  first_claimed_at timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notices_by_task ON notices (plan_id, task_id, unit_id, period);
CREATE INDEX notices_by_window ON notices (plan_id, window_id);

-- Every review and summary: the review itself, what the plan workflow published of it, and its documents.
CREATE TABLE reviews (
  plan_id     text NOT NULL,
  window_id   text NOT NULL,
  kind        text NOT NULL,
  review_at   timestamptz NOT NULL,
  review      jsonb NOT NULL,
  published   jsonb,
  documents   jsonb NOT NULL,
  json_text   text NOT NULL,
  markdown    text NOT NULL,
  html        text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, window_id)
);
