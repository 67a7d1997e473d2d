-- The OCI registry (SPEC section 11): manifests of chart versions and of artifacts that
-- refer to them, upload sessions any replica can continue, and blobs pushed to a
-- repository that no manifest references yet.

-- A manifest belongs to one chart version: either the version's own chart manifest
-- (subject IS NULL) or an artifact referring to one (a signature, an SBOM). The body is
-- kept byte for byte, since the digest is of the bytes. `package_digest` is the chart
-- layer the chart manifest was made for: a version whose package was replaced since
-- gets a new manifest.
CREATE TABLE oci_manifests (
  version_id integer NOT NULL REFERENCES app_versions (id) ON DELETE CASCADE,
  digest text NOT NULL,
  media_type text NOT NULL,
  artifact_type text,
  subject text,
  package_digest text,
  body bytea NOT NULL,
  -- Every blob the manifest names (config and layers), as hex sha256 digests.
  blobs text[] NOT NULL,
  annotations jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (version_id, digest)
);
CREATE UNIQUE INDEX oci_manifests_chart ON oci_manifests (version_id) WHERE subject IS NULL;
CREATE INDEX oci_manifests_digest ON oci_manifests (digest);
CREATE INDEX oci_manifests_subject ON oci_manifests (subject) WHERE subject IS NOT NULL;
CREATE INDEX oci_manifests_blobs ON oci_manifests USING gin (blobs);

-- A blob upload in progress to a workspace repository (workspaces/<ws>/<repository>).
-- Its bytes so far are chunks in the database, so another replica can continue it.
CREATE TABLE oci_uploads (
  id uuid PRIMARY KEY,
  workspace_id integer NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  repository text NOT NULL,
  size bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oci_uploads_updated ON oci_uploads (updated_at);

CREATE TABLE oci_upload_chunks (
  upload_id uuid NOT NULL REFERENCES oci_uploads (id) ON DELETE CASCADE,
  start bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (upload_id, start)
);

-- Blobs pushed (or mounted) into a repository, readable there before a manifest names
-- them. They expire with abandoned uploads; a manifest's own reference keeps the blob.
CREATE TABLE oci_blob_links (
  workspace_id integer NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  repository text NOT NULL,
  digest text NOT NULL,
  size bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, repository, digest)
);
CREATE INDEX oci_blob_links_digest ON oci_blob_links (digest);
CREATE INDEX oci_blob_links_created ON oci_blob_links (created_at);
