-- Helm indexes kept incrementally: one row per repository (a workspace, or the store
-- when workspace_id is NULL) and chart name, holding that name's entries rendered as
-- YAML and JSON. A write marks the names it changed (seq = the repository's new
-- revision); the next reader renders them and stores the text (rendered_seq = seq), so
-- replicas and restarts fetch text instead of rendering the whole repository again.
CREATE TABLE index_fragments (
  workspace_id integer REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  seq integer NOT NULL,
  -- The seq and URL base ('' = relative URLs) the text below was rendered for.
  rendered_seq integer,
  base_url text,
  -- NULL once rendered: the name has no versions in this repository any more.
  yaml text,
  json text
);
CREATE UNIQUE INDEX index_fragments_workspace_name ON index_fragments (workspace_id, name)
  WHERE workspace_id IS NOT NULL;
CREATE UNIQUE INDEX index_fragments_store_name ON index_fragments (name) WHERE workspace_id IS NULL;
CREATE INDEX index_fragments_seq ON index_fragments (workspace_id, seq);

-- When each repository's revision last moved: the index's `generated` time, the same on
-- every replica.
ALTER TABLE workspaces ADD COLUMN revised_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE store_state ADD COLUMN revised_at timestamptz NOT NULL DEFAULT now();

-- Repositories that existed before this migration: every chart name is unrendered.
INSERT INTO index_fragments (workspace_id, name, seq)
  SELECT a.workspace_id, a.name, w.revision
  FROM apps a JOIN workspaces w ON w.id = a.workspace_id
  WHERE EXISTS (SELECT 1 FROM app_versions v WHERE v.app_id = a.id);
INSERT INTO index_fragments (workspace_id, name, seq)
  SELECT DISTINCT NULL::integer, a.name, (SELECT revision FROM store_state WHERE id = 1)
  FROM apps a
  WHERE NOT a.suspended AND EXISTS (SELECT 1 FROM app_versions v WHERE v.app_id = a.id AND v.state = 'active');
