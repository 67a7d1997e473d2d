-- Third-party repositories imported into a workspace (SPEC section 12): the repository
-- object with its sync status, what each upstream version became, and the sync events.

CREATE TABLE import_repos (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id integer NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  -- http(s)://…/ (a classic Helm repository) or oci://host/path/chart.
  url text NOT NULL,
  plain_http boolean NOT NULL DEFAULT false,
  -- Username and password, AES-256-GCM under CHARTROOM_SECRET_KEY; never returned.
  credentials bytea,
  sync_interval integer NOT NULL CHECK (sync_interval >= 180),
  trusted boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'syncing', 'successful', 'failed')),
  last_sync_at timestamptz,
  last_success_at timestamptz,
  last_error text,
  -- Consecutive failed syncs: the next try waits 60 s times this, at most an hour.
  failures integer NOT NULL DEFAULT 0,
  next_sync_at timestamptz NOT NULL DEFAULT now(),
  -- The upstream index's validators, for a conditional fetch next time.
  etag text,
  last_modified text,
  -- A replica syncing the repository holds the lease until it ends or the lease runs out.
  lease_owner text,
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name)
);
CREATE INDEX import_repos_due ON import_repos (next_sync_at);

-- One row per upstream chart version the repository has seen: imported (and which
-- version row it became), failed (with the reason and the upstream digest, so a broken
-- version is retried only when upstream changes it), or gone upstream.
CREATE TABLE import_entries (
  repo_id integer NOT NULL REFERENCES import_repos (id) ON DELETE CASCADE,
  chart text NOT NULL,
  version text NOT NULL,
  status text NOT NULL CHECK (status IN ('imported', 'failed', 'skipped')),
  upstream_digest text,
  source_url text NOT NULL,
  reason text NOT NULL DEFAULT '',
  version_id integer REFERENCES app_versions (id) ON DELETE SET NULL,
  gone_upstream boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo_id, chart, version)
);
CREATE INDEX import_entries_version ON import_entries (version_id) WHERE version_id IS NOT NULL;

-- What happened in each sync, newest first; kept as long as the repository.
CREATE TABLE import_events (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  repo_id integer NOT NULL REFERENCES import_repos (id) ON DELETE CASCADE,
  kind text NOT NULL,
  chart text,
  version text,
  message text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX import_events_repo ON import_events (repo_id, id DESC);
