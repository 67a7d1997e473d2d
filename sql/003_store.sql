-- The app-store lifecycle: categories, app info and suspension, release and review
-- times, audit events, store-name ownership and the store index revision.

CREATE TABLE categories (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  description text NOT NULL DEFAULT '',
  icon_digest text CHECK (icon_digest ~ '^[0-9a-f]{64}$'),
  icon_type text,
  builtin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO categories (name, description, builtin) VALUES ('uncategorized', 'Apps not sorted into a category yet', true);

-- NULL until the ISV (or a reviewer) picks one; submitting needs a category.
ALTER TABLE apps ADD COLUMN category_id integer REFERENCES categories (id) ON DELETE RESTRICT;
ALTER TABLE apps ADD COLUMN icon_digest text CHECK (icon_digest ~ '^[0-9a-f]{64}$');
ALTER TABLE apps ADD COLUMN icon_type text;
ALTER TABLE apps ADD COLUMN suspended boolean NOT NULL DEFAULT false;
CREATE INDEX apps_category ON apps (category_id);
CREATE INDEX apps_icon_digest ON apps (icon_digest) WHERE icon_digest IS NOT NULL;
CREATE INDEX categories_icon_digest ON categories (icon_digest) WHERE icon_digest IS NOT NULL;

ALTER TABLE app_versions ADD COLUMN submitted_at timestamptz;
ALTER TABLE app_versions ADD COLUMN reviewed_at timestamptz;
ALTER TABLE app_versions ADD COLUMN released_at timestamptz;
CREATE INDEX app_versions_state ON app_versions (state);

-- Audit events live as long as their app.
CREATE TABLE audit_events (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id integer NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  version text,
  actor text NOT NULL,
  action text NOT NULL,
  from_state text,
  to_state text,
  message text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_events_app ON audit_events (app_id, id DESC);

-- A chart name belongs to the first workspace that releases it to the store.
CREATE TABLE store_names (
  name text PRIMARY KEY,
  workspace_id integer NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  claimed_at timestamptz NOT NULL DEFAULT now()
);

-- One row: bumped in every transaction that changes what the store shows.
CREATE TABLE store_state (
  id integer PRIMARY KEY CHECK (id = 1),
  revision integer NOT NULL DEFAULT 0
);
INSERT INTO store_state (id, revision) VALUES (1, 0);
