-- Web console sessions (SPEC section 13): the cookie holds a random secret; the table
-- holds only its SHA-256, so a leaked table signs nobody in. Sessions live on the server
-- so that signing out, disabling or deleting a user ends them at once, on every replica.

CREATE TABLE sessions (
  id_hash text PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Renewed (at most once a minute) while the session is used; it ends after
  -- CHARTROOM_SESSION_IDLE_MINUTES without use, and at expires_at whatever happens.
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
