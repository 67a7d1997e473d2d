-- Recent failed sign-ins, shared by every replica (src/accounts/rate-limit.ts): one row
-- per limited key (a username and address, a username, an address), holding the key's
-- failures inside its sliding window. Rows are rewritten on each failure and deleted
-- once their window has passed, so the table holds only what can still refuse someone.

CREATE TABLE sign_in_failures (
  -- A digest of the kind and the username and/or address: fixed size whatever a client
  -- sends as a username, and no names or addresses stored in the clear.
  key text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('user-address', 'user', 'address')),
  -- The failures inside the window, oldest first; at most the rule's maximum.
  failed_at timestamptz[] NOT NULL,
  -- Set once failed_at holds the maximum: sign-ins are refused until the oldest of
  -- them leaves the window.
  blocked_until timestamptz,
  -- The last failure plus the window: the row carries nothing after it.
  expires_at timestamptz NOT NULL
);
-- For pruning: expired rows, and each tier in age order (see pruneSignInFailures).
CREATE INDEX sign_in_failures_expiry ON sign_in_failures (expires_at, key);
CREATE INDEX sign_in_failures_blocked ON sign_in_failures (blocked_until, key) WHERE blocked_until IS NOT NULL;
