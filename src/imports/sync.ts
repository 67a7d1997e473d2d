// One sync of an imported repository (SPEC section 12): read the upstream's list of
// versions (a classic index, fetched conditionally, or an OCI chart's tags), import the
// versions not seen before through the same ingest and createDraft as an upload, and
// record what happened. Every version is its own transaction, so a sync cut short by a
// crash or a restart leaves only whole imports, and the next one takes up the rest.
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database.js';
import type { BlobStore } from '../blobs/index.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { ingestChart } from '../charts/ingest.js';
import { sha256Hex } from '../blobs/index.js';
import { createDraft } from '../versions/versions.js';
import { releaseTrusted } from '../versions/transitions.js';
import { displayUrl, fetchUpstream, UpstreamError, type FetchPolicy } from './fetch.js';
import { OciClient, parseOciUrl } from './oci-source.js';
import type { SecretBox, UpstreamCredentials } from './secrets.js';
import { credentialsOf, type ImportRepo } from './repos.js';
import { recordRepoEvent } from './repo-events.js';
import type { SyncOutcome } from './schedule.js';
import { MAX_UPSTREAM_VERSIONS, parseIndexOffThread, type UpstreamVersion } from './index-parse.js';
import { loadEntries, markGone, saveEntry, workspaceVersions, type EntryRow } from './entries.js';

/** Downloads at once in one sync. */
const DOWNLOADS_AT_ONCE = 3;

export interface SyncDeps {
  db: Database;
  blobs: BlobStore;
  config: Config;
  box: SecretBox | null;
  log: FastifyBaseLogger;
}

/** The failure of one version: permanent ones are remembered, transient ones retried next sync. */
class VersionFailure extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

const who = (repo: ImportRepo) => `repository:${repo.name}`;

export async function syncRepository(deps: SyncDeps, repo: ImportRepo, signal: AbortSignal): Promise<SyncOutcome> {
  const { db } = deps;
  const policy: FetchPolicy = {
    allowPrivate: deps.config.imports.allowPrivate,
    maxRedirects: 5,
    timeoutMs: deps.config.imports.requestTimeoutMs,
    signal,
  };
  await recordRepoEvent(db, repo.id, { kind: 'sync-started', message: `from ${repo.url}` });
  try {
    const creds = await credentialsOf(db, deps.box, repo);
    // One OCI client for the whole sync, so a registry's token is fetched once.
    const oci = repo.kind === 'oci' ? new OciClient(policy, parseOciUrl(repo.url, repo.plainHttp), creds) : null;
    const listing = oci ? await listOci(oci) : await listClassic(deps, policy, repo, creds);
    if (listing === 'unchanged') {
      await recordRepoEvent(db, repo.id, { kind: 'unchanged', message: 'the upstream index has not changed' });
      return { ok: true, etag: repo.etag, lastModified: repo.lastModified };
    }
    const result = await importNew({ deps, policy, repo, creds, oci }, listing.versions);
    const summary =
      `${listing.versions.length} upstream versions: ${result.imported} imported, ${result.failed} failed, ` +
      `${result.transient} to retry, ${result.gone} gone upstream`;
    if (result.transient > 0) {
      // Not successful: the validators are not kept, so the next sync (after the backoff) reads the index again.
      const error = `${result.transient} version(s) could not be downloaded (${result.firstTransient}); ${summary}`;
      await recordRepoEvent(db, repo.id, { kind: 'sync-failed', message: error });
      return { ok: false, error };
    }
    await recordRepoEvent(db, repo.id, { kind: 'sync-finished', message: summary });
    return { ok: true, etag: listing.etag, lastModified: listing.lastModified };
  } catch (err) {
    const error = failureMessage(err, signal);
    await recordRepoEvent(db, repo.id, { kind: 'sync-failed', message: error }).catch(() => undefined);
    return { ok: false, error };
  }
}

function failureMessage(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof Error ? reason.message : 'the sync was stopped';
  }
  if (err instanceof UpstreamError || err instanceof AppError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

interface Listing {
  versions: UpstreamVersion[];
  etag: string | null;
  lastModified: string | null;
}

// ---------------------------------------------------------------- classic repositories

async function listClassic(
  deps: SyncDeps,
  policy: FetchPolicy,
  repo: ImportRepo,
  creds: UpstreamCredentials | null,
): Promise<Listing | 'unchanged'> {
  const indexUrl = new URL('index.yaml', repo.url).toString();
  const headers: Record<string, string> = {};
  if (repo.etag) headers['If-None-Match'] = repo.etag;
  if (repo.lastModified) headers['If-Modified-Since'] = repo.lastModified;
  const res = await fetchUpstream(policy, {
    url: indexUrl,
    what: 'the index',
    maxBytes: deps.config.imports.maxIndexBytes,
    headers,
    credentials: creds,
    credentialsOrigin: new URL(repo.url).origin,
  });
  if (res.status === 304) return 'unchanged';
  if (res.status !== 200) {
    throw new UpstreamError(`${indexUrl} answered ${res.status}${statusHint(res.status)}`, res.status);
  }
  const versions = await parseIndexOffThread(res.body, res.url, policy.signal);
  const header = (name: string) => {
    const v = res.headers[name];
    return typeof v === 'string' ? v : null;
  };
  return { versions, etag: header('etag'), lastModified: strongLastModified(header('last-modified'), header('date')) };
}

/**
 * Last-Modified has one-second resolution: an index changed again within the second it
 * was served would look unchanged. As HTTP caches do (RFC 9110 8.8.2.2), it is used as a
 * validator only when it is at least a second older than the answer's Date.
 */
function strongLastModified(lastModified: string | null, date: string | null): string | null {
  if (lastModified === null) return null;
  const modified = Date.parse(lastModified);
  const served = date === null ? Date.now() : Date.parse(date);
  return Number.isFinite(modified) && Number.isFinite(served) && served - modified >= 1000 ? lastModified : null;
}

function statusHint(status: number): string {
  if (status === 401 || status === 403) return ' (check the repository username and password)';
  if (status === 404) return ' (is the URL the repository root, where index.yaml is?)';
  return '';
}

// ---------------------------------------------------------------- OCI

async function listOci(client: OciClient): Promise<Listing> {
  const tags = await client.listTags();
  const chart = client.src.repository.split('/').pop() ?? client.src.repository;
  // Helm writes a version's "+" as "_" in tags; tags that are not versions (latest) are the ingest's to refuse.
  const versions = tags
    .slice(0, MAX_UPSTREAM_VERSIONS)
    .map((tag: string) => ({ chart, version: tag.replace(/_/g, '+'), digest: null, source: tag }));
  return { versions, etag: null, lastModified: null };
}

// ---------------------------------------------------------------- importing

interface ImportCounts {
  imported: number;
  failed: number;
  transient: number;
  firstTransient: string;
  gone: number;
}

/** What one sync works with. */
interface SyncContext {
  deps: SyncDeps;
  policy: FetchPolicy;
  repo: ImportRepo;
  creds: UpstreamCredentials | null;
  oci: OciClient | null;
}

async function importNew(ctx: SyncContext, upstream: UpstreamVersion[]): Promise<ImportCounts> {
  const { deps, policy, repo } = ctx;
  const { db } = deps;
  const entries = await loadEntries(db, repo.id);
  const present = await workspaceVersions(db, repo.workspaceId);
  const counts: ImportCounts = { imported: 0, failed: 0, transient: 0, firstTransient: '', gone: 0 };
  const todo: UpstreamVersion[] = [];
  const seen = new Set<string>();

  for (const u of upstream) {
    const key = `${u.chart}\u0000${u.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const entry = entries.get(key);
    if (entry) {
      if (await revisit(deps, repo, u, entry, present.has(key))) todo.push(u);
      continue;
    }
    if (present.has(key)) {
      await saveEntry(
        db,
        repo.id,
        u,
        'skipped',
        'the workspace already has this version (uploaded, or imported from another repository)',
      );
      await recordRepoEvent(db, repo.id, {
        kind: 'skipped',
        chart: u.chart,
        version: u.version,
        message: 'the workspace already has this version; it is left as it is',
      });
      continue;
    }
    todo.push(u);
  }

  // A few downloads at once: upstreams are usually static servers, and each import is
  // one transaction of its own.
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const u = todo[next++] as UpstreamVersion;
      policy.signal?.throwIfAborted();
      try {
        await importOne(ctx, u);
        counts.imported++;
      } catch (err) {
        if (policy.signal?.aborted) throw err;
        const failure = asFailure(err);
        if (failure.transient) {
          counts.transient++;
          counts.firstTransient ||= `${u.chart} ${u.version}: ${failure.message}`;
        } else {
          counts.failed++;
          await saveEntry(db, repo.id, u, 'failed', failure.message);
        }
        await recordRepoEvent(db, repo.id, {
          kind: 'failed',
          chart: u.chart,
          version: u.version,
          message: failure.transient ? `${failure.message} (will retry)` : failure.message,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DOWNLOADS_AT_ONCE, todo.length) }, worker));

  for (const gone of await markGone(db, repo.id, seen)) {
    counts.gone++;
    await recordRepoEvent(db, repo.id, {
      kind: 'gone-upstream',
      chart: gone.chart,
      version: gone.version,
      message: 'no longer listed upstream; the imported version stays in the workspace',
    });
  }
  return counts;
}

/**
 * A version seen before: reports a changed upstream digest once; true when it should be
 * tried again: a failure upstream has changed since (or gives no digest to tell), or that
 * came before the repository itself was last changed (new credentials may let it through),
 * or a version skipped because the workspace had it, which the workspace has since deleted.
 */
async function revisit(
  deps: SyncDeps,
  repo: ImportRepo,
  u: UpstreamVersion,
  entry: EntryRow,
  inWorkspace: boolean,
): Promise<boolean> {
  if (entry.status === 'skipped') return !inWorkspace;
  const changed = u.digest !== null && entry.upstreamDigest !== null && u.digest !== entry.upstreamDigest;
  if (entry.status === 'imported' && changed) {
    await saveEntry(deps.db, repo.id, u, 'imported', entry.reason, entry.versionId);
    await recordRepoEvent(deps.db, repo.id, {
      kind: 'changed-upstream',
      chart: u.chart,
      version: u.version,
      message: `upstream now lists different bytes for this version (sha256:${entry.upstreamDigest} became sha256:${u.digest}); the imported package is kept`,
    });
  } else if (entry.status === 'failed' && (changed || u.digest === null || entry.updatedAt < repo.updatedAt)) {
    return true;
  } else if (entry.goneUpstream) {
    await saveEntry(deps.db, repo.id, u, entry.status, entry.reason, entry.versionId);
  }
  return false;
}

function asFailure(err: unknown): VersionFailure {
  if (err instanceof VersionFailure) return err;
  if (err instanceof AppError) {
    // The section 8 checks, a version uploaded meanwhile, a store name owned elsewhere: upstream must change first.
    return new VersionFailure(err.detail, false);
  }
  if (err instanceof UpstreamError) {
    // Worth another try: the network, a timeout, an upstream's own trouble. Not: a
    // refused address, a chart over the limit, a 404, bytes that do not match.
    const s = err.status;
    const transient =
      err.kind === 'network' || err.kind === 'timeout' || (s !== undefined && (s >= 500 || s === 429 || s === 408));
    return new VersionFailure(err.message, transient);
  }
  return new VersionFailure(err instanceof Error ? err.message : String(err), true);
}

async function download(ctx: SyncContext, u: UpstreamVersion): Promise<Buffer> {
  const { deps, policy, repo, creds } = ctx;
  const max = deps.config.maxUploadBytes;
  if (ctx.oci) return (await ctx.oci.pullChart(u.source, max)).bytes;
  if (!u.source) throw new VersionFailure('the index entry has no usable URL in "urls"', false);
  const res = await fetchUpstream(policy, {
    url: u.source,
    what: `chart ${u.chart} ${u.version}`,
    maxBytes: max,
    credentials: creds,
    credentialsOrigin: new URL(repo.url).origin,
  });
  if (res.status !== 200) {
    throw new UpstreamError(`${displayUrl(new URL(u.source))} answered ${res.status}`, res.status);
  }
  return res.body;
}

async function importOne(ctx: SyncContext, u: UpstreamVersion): Promise<void> {
  const { deps, repo } = ctx;
  const bytes = await download(ctx, u);
  const digest = sha256Hex(bytes);
  if (u.digest !== null && digest !== u.digest) {
    throw new VersionFailure(
      `digest mismatch: the index says sha256:${u.digest}, the download is sha256:${digest}; not imported`,
      false,
    );
  }
  const pkg = await ingestChart(bytes, { maxUploadBytes: deps.config.maxUploadBytes });
  if (pkg.metadata.name !== u.chart || pkg.metadata.version !== u.version) {
    throw new VersionFailure(
      `the package is ${pkg.metadata.name} ${pkg.metadata.version}, but the upstream lists it as ${u.chart} ${u.version}`,
      false,
    );
  }
  // Shown to every workspace member (events, the version's audit trail): a query string may
  // hold a presigned URL's signature or a token, so it shows as "?…", as in errors.
  const source = (repo.kind === 'oci' ? `${repo.url}:${u.source}` : u.source).replace(/[?#].*$/s, (rest) =>
    rest.startsWith('?') ? '?…' : '',
  );
  await createDraft(deps.db, deps.blobs, {
    workspaceId: repo.workspaceId,
    pkg,
    prov: null,
    force: false,
    uploaderId: null,
    actor: who(repo),
    event: { action: 'import', message: `imported from repository ${repo.name} (${source})` },
    withinTx: async (q, result) => {
      await saveEntry(q, repo.id, { ...u, digest: u.digest ?? digest }, 'imported', '', result.versionId);
    },
  });
  await recordRepoEvent(deps.db, repo.id, { kind: 'imported', chart: u.chart, version: u.version, message: source });
  if (repo.trusted) {
    try {
      await releaseTrusted(deps.db, {
        workspaceId: repo.workspaceId,
        app: u.chart,
        version: u.version,
        actor: who(repo),
        message: `released by trusted repository ${repo.name}`,
      });
      await recordRepoEvent(deps.db, repo.id, {
        kind: 'released',
        chart: u.chart,
        version: u.version,
        message: 'released to the store (trusted repository)',
      });
    } catch (err) {
      // The import stands as a draft; the workspace can release it by hand.
      await recordRepoEvent(deps.db, repo.id, {
        kind: 'failed',
        chart: u.chart,
        version: u.version,
        message: `imported as a draft, but not released: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }
}
