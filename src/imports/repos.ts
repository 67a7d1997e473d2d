// Imported repositories of a workspace (SPEC section 12): the rows and their validation.
// Credentials are sealed before they reach a row and never leave this module in clear
// except to the sync (credentialsOf). Their events are in repo-events.ts, their
// scheduling (due times, leases, backoff) in schedule.ts.
import type { Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { DNS_LABEL_RE } from '../names.js';
import { requireSecretBox, type SecretBox, type UpstreamCredentials } from './secrets.js';

export const MIN_SYNC_INTERVAL = 180;
export const DEFAULT_SYNC_INTERVAL = 3600;
/** Longest wait after failures: 60 s per consecutive failure, at most an hour. */
export const BACKOFF_STEP_SECONDS = 60;
export const MAX_BACKOFF_SECONDS = 3600;

export type RepoStatus = 'pending' | 'syncing' | 'successful' | 'failed';
export type SourceKind = 'helm' | 'oci';

export interface ImportRepo {
  id: number;
  workspaceId: number;
  name: string;
  url: string;
  kind: SourceKind;
  plainHttp: boolean;
  hasCredentials: boolean;
  syncInterval: number;
  trusted: boolean;
  status: RepoStatus;
  lastSyncAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  failures: number;
  nextSyncAt: Date;
  etag: string | null;
  lastModified: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface RepoCounts {
  imported: number;
  failed: number;
  goneUpstream: number;
}

interface RepoRow {
  id: number;
  workspace_id: number;
  name: string;
  url: string;
  plain_http: boolean;
  has_credentials: boolean;
  sync_interval: number;
  trusted: boolean;
  status: RepoStatus;
  last_sync_at: Date | null;
  last_success_at: Date | null;
  last_error: string | null;
  failures: number;
  next_sync_at: Date;
  etag: string | null;
  last_modified: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `r.id, r.workspace_id, r.name, r.url, r.plain_http, r.credentials IS NOT NULL AS has_credentials,
  r.sync_interval, r.trusted, r.status, r.last_sync_at, r.last_success_at, r.last_error, r.failures, r.next_sync_at,
  r.etag, r.last_modified, r.created_at, r.updated_at`;

const toRepo = (r: RepoRow): ImportRepo => ({
  id: r.id,
  workspaceId: r.workspace_id,
  name: r.name,
  url: r.url,
  kind: r.url.startsWith('oci://') ? 'oci' : 'helm',
  plainHttp: r.plain_http,
  hasCredentials: r.has_credentials,
  syncInterval: r.sync_interval,
  trusted: r.trusted,
  status: r.status,
  lastSyncAt: r.last_sync_at,
  lastSuccessAt: r.last_success_at,
  lastError: r.last_error,
  failures: r.failures,
  nextSyncAt: r.next_sync_at,
  etag: r.etag,
  lastModified: r.last_modified,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The additional data credentials are sealed with: they decrypt only on their own repository. */
const sealContext = (workspaceId: number, name: string) => `import-repo:${workspaceId}/${name}`;

const OCI_PATH_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/**
 * A repository URL in its stored form, or a 400 naming what is wrong: http(s)://…/ with
 * a trailing slash (the index is `index.yaml` below it), or oci://host[:port]/path/chart.
 */
export function normalizeRepoUrl(input: string): string {
  const text = input.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError('validation-failed', `url ${JSON.stringify(input)} is not an absolute URL`);
  }
  if (url.username || url.password) {
    throw new AppError(
      'validation-failed',
      'url must not hold credentials: give them as "username" and "password", which are stored encrypted',
    );
  }
  if (url.search || url.hash || text.includes('?') || text.includes('#')) {
    throw new AppError('validation-failed', 'url must not have a query or a fragment');
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    // A URL naming the index file itself is taken as its directory, as users often paste it.
    const pathname = url.pathname.replace(/\/index\.yaml$/, '/').replace(/\/?$/, '/');
    return `${url.protocol}//${url.host}${pathname}`;
  }
  if (url.protocol === 'oci:') {
    // new URL keeps oci: URLs' host and path as for http, but without any normalising.
    const m = /^oci:\/\/([^/]+)\/(.+)$/.exec(text);
    const path = m?.[2]?.replace(/\/+$/, '');
    if (!m || !path || !url.host || !OCI_PATH_RE.test(path)) {
      throw new AppError(
        'validation-failed',
        `url ${JSON.stringify(input)} is not an OCI chart reference of the form oci://host[:port]/path/chart (lower-case path, no tag)`,
      );
    }
    return `oci://${url.host}/${path}`;
  }
  throw new AppError('validation-failed', `url must start with http://, https:// or oci://, got ${url.protocol}//`);
}

export interface RepoInput {
  name: string;
  url: string;
  username?: string | null;
  password?: string | null;
  syncInterval?: number;
  trusted?: boolean;
  plainHttp?: boolean;
}

function checkName(name: string): void {
  if (!DNS_LABEL_RE.test(name)) {
    throw new AppError(
      'validation-failed',
      `repository name ${JSON.stringify(name)} must be lower-case letters, digits and dashes (at most 63, like a DNS label)`,
    );
  }
}

function checkInterval(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < MIN_SYNC_INTERVAL) {
    throw new AppError('validation-failed', `syncInterval must be at least ${MIN_SYNC_INTERVAL} seconds`);
  }
}

/** Both or neither: a username without a password (or the reverse) is a mistake. */
function credentialsFrom(username?: string | null, password?: string | null): UpstreamCredentials | null {
  if ((username ?? '') === '' && (password ?? '') === '') return null;
  if (!username || !password) {
    throw new AppError('validation-failed', 'give both username and password, or neither');
  }
  return { username, password };
}

function repoExists(name: string): AppError {
  return new AppError('repo-exists', `a repository named ${JSON.stringify(name)} already exists in this workspace`);
}

export async function createRepo(
  q: Queryable,
  box: SecretBox | null,
  workspaceId: number,
  input: RepoInput,
): Promise<ImportRepo> {
  checkName(input.name);
  const url = normalizeRepoUrl(input.url);
  const interval = input.syncInterval ?? DEFAULT_SYNC_INTERVAL;
  checkInterval(interval);
  const creds = credentialsFrom(input.username, input.password);
  const sealed = creds ? requireSecretBox(box).seal(creds, sealContext(workspaceId, input.name)) : null;
  const rows = await q.query<{ id: number }>(
    `INSERT INTO import_repos (workspace_id, name, url, plain_http, credentials, sync_interval, trusted)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workspace_id, name) DO NOTHING RETURNING id`,
    [workspaceId, input.name, url, input.plainHttp ?? false, sealed, interval, input.trusted ?? false],
  );
  if (!rows[0]) throw repoExists(input.name);
  return getRepo(q, workspaceId, input.name);
}

export interface RepoPatch {
  url?: string;
  username?: string | null;
  password?: string | null;
  syncInterval?: number;
  trusted?: boolean;
  plainHttp?: boolean;
}

/** Where credentials may go: scheme, host and port (URL.origin is "null" for oci://). */
const originOf = (url: string): string => {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
};

/**
 * Changes a repository. Credentials are replaced as a pair, or removed with both set to
 * null (or ""); a URL on another origin drops them unless the same change gives new
 * ones, since credentials go only to the origin they were given for. A change of where
 * or how the index is read (url, credentials, plainHttp) clears the index validators,
 * so the next sync reads it whole, and versions that failed before it are tried again
 * (see revisit in sync.ts).
 */
export async function updateRepo(
  q: Queryable,
  box: SecretBox | null,
  repo: ImportRepo,
  patch: RepoPatch,
): Promise<ImportRepo> {
  const sets: string[] = [];
  const params: unknown[] = [repo.id];
  const set = (column: string, value: unknown) => {
    params.push(value);
    sets.push(`${column} = $${params.length}`);
  };
  const newCredentials = patch.username !== undefined || patch.password !== undefined;
  let source = newCredentials || (patch.plainHttp !== undefined && patch.plainHttp !== repo.plainHttp);
  if (patch.url !== undefined) {
    const url = normalizeRepoUrl(patch.url);
    if (url !== repo.url) {
      set('url', url);
      source = true;
      if (!newCredentials && repo.hasCredentials && originOf(url) !== originOf(repo.url)) set('credentials', null);
    }
  }
  if (newCredentials) {
    const creds = credentialsFrom(patch.username, patch.password);
    set('credentials', creds ? requireSecretBox(box).seal(creds, sealContext(repo.workspaceId, repo.name)) : null);
  }
  if (source) {
    set('etag', null);
    set('last_modified', null);
  }
  if (patch.syncInterval !== undefined) {
    checkInterval(patch.syncInterval);
    set('sync_interval', patch.syncInterval);
  }
  if (patch.trusted !== undefined) set('trusted', patch.trusted);
  if (patch.plainHttp !== undefined) set('plain_http', patch.plainHttp);
  if (sets.length > 0) {
    await q.query(`UPDATE import_repos SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, params);
  }
  return getRepo(q, repo.workspaceId, repo.name);
}

export async function findRepo(q: Queryable, workspaceId: number, name: string): Promise<ImportRepo | null> {
  const rows = await q.query<RepoRow>(
    `SELECT ${COLUMNS} FROM import_repos r WHERE r.workspace_id = $1 AND r.name = $2`,
    [workspaceId, name],
  );
  return rows[0] ? toRepo(rows[0]) : null;
}

export async function getRepo(q: Queryable, workspaceId: number, name: string): Promise<ImportRepo> {
  const repo = await findRepo(q, workspaceId, name);
  if (!repo) throw new AppError('not-found', `repository ${JSON.stringify(name)} not found in this workspace`);
  return repo;
}

export async function getRepoById(q: Queryable, id: number): Promise<ImportRepo | null> {
  const rows = await q.query<RepoRow>(`SELECT ${COLUMNS} FROM import_repos r WHERE r.id = $1`, [id]);
  return rows[0] ? toRepo(rows[0]) : null;
}

export async function listRepos(q: Queryable, workspaceId: number): Promise<ImportRepo[]> {
  const rows = await q.query<RepoRow>(
    `SELECT ${COLUMNS} FROM import_repos r WHERE r.workspace_id = $1 ORDER BY r.name`,
    [workspaceId],
  );
  return rows.map(toRepo);
}

/** Imported versions stay (as ordinary versions that remember their source URL); only the repository goes. */
export async function deleteRepo(q: Queryable, repo: ImportRepo): Promise<void> {
  await q.query('DELETE FROM import_repos WHERE id = $1', [repo.id]);
}

/** The repository's credentials in clear, for the sync only. */
export async function credentialsOf(
  q: Queryable,
  box: SecretBox | null,
  repo: ImportRepo,
): Promise<UpstreamCredentials | null> {
  if (!repo.hasCredentials) return null;
  const rows = await q.query<{ credentials: Buffer | Uint8Array }>(
    'SELECT credentials FROM import_repos WHERE id = $1',
    [repo.id],
  );
  const sealed = rows[0]?.credentials;
  if (!sealed) return null;
  if (!box) throw new Error('the repository has credentials, but CHARTROOM_SECRET_KEY is not set: they cannot be used');
  return box.open(Buffer.from(sealed), sealContext(repo.workspaceId, repo.name));
}

export async function countEntries(q: Queryable, repoIds: readonly number[]): Promise<Map<number, RepoCounts>> {
  const rows = await q.query<{ repo_id: number; imported: number; failed: number; gone: number }>(
    `SELECT repo_id,
            count(*) FILTER (WHERE status = 'imported')::int AS imported,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE gone_upstream)::int AS gone
       FROM import_entries WHERE repo_id = ANY($1::int[]) GROUP BY repo_id`,
    [repoIds],
  );
  const out = new Map<number, RepoCounts>();
  for (const id of repoIds) out.set(id, { imported: 0, failed: 0, goneUpstream: 0 });
  for (const r of rows) out.set(r.repo_id, { imported: r.imported, failed: r.failed, goneUpstream: r.gone });
  return out;
}
