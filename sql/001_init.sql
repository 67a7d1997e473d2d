-- Accounts, workspaces, apps and chart versions.

CREATE TABLE roles (
  name text PRIMARY KEY,
  description text NOT NULL DEFAULT '',
  permissions text[] NOT NULL DEFAULT '{}',
  builtin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO roles (name, description, permissions, builtin) VALUES
  ('platform-admin', 'Everything on the platform',
   ARRAY['users.manage','roles.manage','workspaces.manage','app-templates.view','app-templates.manage'], true),
  ('platform-regular', 'Signs in, joins workspaces, reads the store', '{}', true);

CREATE TABLE users (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username text NOT NULL UNIQUE,
  display_name text NOT NULL DEFAULT '',
  email text NOT NULL DEFAULT '',
  password_hash text NOT NULL,
  platform_role text NOT NULL REFERENCES roles (name),
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspaces (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  display_name text NOT NULL DEFAULT '',
  -- Bumped in the same transaction as every change to the workspace's charts, so
  -- every replica can tell with one indexed read whether its cached index is current.
  revision integer NOT NULL DEFAULT 0,
  created_by integer REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspace_members (
  workspace_id integer NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('workspace-admin', 'workspace-regular', 'workspace-viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);

CREATE TABLE apps (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id integer NOT NULL REFERENCES workspaces (id) ON DELETE RESTRICT,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  abstraction text NOT NULL DEFAULT '',
  home text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name)
);

CREATE TABLE app_versions (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id integer NOT NULL REFERENCES apps (id) ON DELETE RESTRICT,
  version text NOT NULL,
  app_version text NOT NULL DEFAULT '',
  -- The Helm index entry for this version, Helm's Chart.yaml fields only (no urls,
  -- created or digest: those are added when the index is rendered).
  metadata jsonb NOT NULL,
  digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  size integer NOT NULL,
  prov_digest text CHECK (prov_digest ~ '^[0-9a-f]{64}$'),
  prov_size integer,
  readme text,
  values_yaml text,
  values_schema text,
  chart_yaml text NOT NULL,
  update_log text NOT NULL DEFAULT '',
  state text NOT NULL DEFAULT 'draft'
    CHECK (state IN ('draft', 'submitted', 'passed', 'rejected', 'active', 'suspended')),
  uploaded_by integer REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (app_id, version)
);
CREATE INDEX app_versions_digest ON app_versions (digest);
CREATE INDEX app_versions_prov_digest ON app_versions (prov_digest) WHERE prov_digest IS NOT NULL;
