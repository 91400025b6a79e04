-- A digest carries several notices under one Message-ID: the sent log's row is now the notice (its business key),
-- and the rows of one message share its Message-ID.
ALTER TABLE notices DROP CONSTRAINT notices_pkey;
ALTER TABLE notices ADD PRIMARY KEY (plan_id, key_text);
CREATE INDEX notices_by_message ON notices (message_id);
