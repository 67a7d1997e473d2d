-- Personal access tokens: random secrets shown once, stored as sha256 (they carry
-- 256 bits of entropy, so a slow hash adds nothing), listed by prefix.

CREATE TABLE access_tokens (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL,
  prefix text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  expires_at timestamptz
);
CREATE INDEX access_tokens_user ON access_tokens (user_id);
