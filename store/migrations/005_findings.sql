-- Inspection findings: the current record of each finding (what reads use) and every action on it, with its texts.
CREATE TABLE finding_records (
  plan_id       text NOT NULL REFERENCES plans (plan_id),
  finding_id    text NOT NULL,
  inspection_id text NOT NULL,
  unit_id       text NOT NULL,
  verifier      text NOT NULL,
  version       integer NOT NULL,
  record        jsonb NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, finding_id)
);
CREATE INDEX finding_records_by_unit ON finding_records (plan_id, unit_id);
CREATE INDEX finding_records_by_verifier ON finding_records (plan_id, verifier);

-- Every claim, progress note, decision and re-check answer, unique by request id.
CREATE TABLE finding_actions (
  plan_id     text NOT NULL,
  finding_id  text NOT NULL,
  request_id  text NOT NULL,
  action      text NOT NULL CHECK (action IN ('claim', 'progress', 'accept', 'reject', 'recheck')),
  actor       text NOT NULL,
  by_name     text,
  acted_at    timestamptz NOT NULL,
  round       integer NOT NULL,
  claim       integer,
  text        text,
  links       jsonb NOT NULL DEFAULT '[]',
  result      text CHECK (result IN ('pass', 'reopen')),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, finding_id, request_id)
);
CREATE INDEX finding_actions_in_order ON finding_actions (plan_id, finding_id, acted_at);

-- Finding notices share the sent log; this column says which finding each is about.
ALTER TABLE notices ADD COLUMN finding_id text;
CREATE INDEX notices_by_finding ON notices (plan_id, finding_id) WHERE finding_id IS NOT NULL;
