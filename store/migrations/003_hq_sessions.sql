-- Headquarters' sign-in sessions, so that signing out ends one and an idle one lapses. The id is the SHA-256 of the
-- cookie's random part: the table alone cannot sign anyone in. Rows past their expiry are deleted at each sign-in.
CREATE TABLE hq_sessions (
  id text PRIMARY KEY,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX hq_sessions_expiry ON hq_sessions (expires_at);
