// Helm indexes, kept incrementally. In the database, index_fragments holds one row per
// repository (a workspace, or the store) and chart name: the repository revision at
// which that name last changed (`seq`) and its entries rendered as YAML and JSON. A write
// only marks the names it touched (touchIndex, in its own transaction, after bumping the
// repository's revision, which serialises writers of one repository). A reader that
// finds its cached revision behind fetches the rows newer than it, renders those still
// unrendered (and writes them back, so other replicas and restarts need not), and
// rebuilds only the pages holding them (paged-index.ts). A cold start reads rendered
// rows; it renders nothing that was rendered before.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Database, Queryable } from '../db/database.js';
import { renderFragment, type IndexFormat } from './fragments.js';
import { deflateAll, gzipOf, PagedIndex, undeflatedBytes, type FragmentChange, type Piece } from './paged-index.js';
import { groupEntries, type IndexVersion } from './render.js';

/** Which repository: a workspace by id, or the store. */
export type RepoRef = { workspaceId: number } | { store: true };

export interface RepoRevision {
  revision: number;
  /** When the revision last moved: the index's `generated`. */
  revisedAt: Date;
}

/** How to render a repository's stale names (the aggregates own the version queries). */
export interface RenderSource {
  /** Absolute base URL of the repository's chart URLs, or null for relative ones. */
  baseUrl: string | null;
  /** The repository's versions of the named charts. */
  versions: (q: Queryable, names: string[]) => Promise<IndexVersion[]>;
}

/** Fragment rows read (and rendered) at a time, unless the options say otherwise. */
const ROW_BATCH = 1000;

function repoKey(repo: RepoRef): string {
  return 'workspaceId' in repo ? `workspace:${repo.workspaceId}` : 'store';
}

/** SQL condition and parameter selecting a repository's rows, with the next placeholder number. */
function repoCondition(repo: RepoRef): { where: string; params: unknown[] } {
  return 'workspaceId' in repo
    ? { where: 'workspace_id = $1', params: [repo.workspaceId] }
    : { where: 'workspace_id IS NULL', params: [] };
}

/**
 * Marks chart names of a repository as changed at `revision` (the repository's revision
 * just bumped in the same transaction). Their entries are rendered by the next reader.
 */
export async function touchIndex(q: Queryable, repo: RepoRef, revision: number, names: string[]): Promise<void> {
  const unique = [...new Set(names)];
  if (unique.length === 0) return;
  if ('workspaceId' in repo) {
    await q.query(
      `INSERT INTO index_fragments (workspace_id, name, seq)
       SELECT $1, n, $2 FROM unnest($3::text[]) AS n
       ON CONFLICT (workspace_id, name) WHERE workspace_id IS NOT NULL DO UPDATE SET seq = EXCLUDED.seq`,
      [repo.workspaceId, revision, unique],
    );
  } else {
    await q.query(
      `INSERT INTO index_fragments (workspace_id, name, seq)
       SELECT NULL, n, $1 FROM unnest($2::text[]) AS n
       ON CONFLICT (name) WHERE workspace_id IS NULL DO UPDATE SET seq = EXCLUDED.seq`,
      [revision, unique],
    );
  }
}

interface FragmentRow {
  name: string;
  seq: number;
  rendered_seq: number | null;
  base_url: string | null;
  text: string | null;
}

/** A snapshot with at most this much new to compress (a write) compresses it on both threads at once. */
const SMALL_CHANGE_BYTES = 1024 * 1024;

/** What a request sends: the identity pieces, and the gzip form once it is ready. */
export class IndexSnapshot {
  private gz: Buffer | null = null;
  readonly pieces: Buffer[];
  readonly length: number;
  private readonly compressing: Promise<void>;

  constructor(
    readonly etag: string,
    readonly format: IndexFormat,
    private readonly parts: Piece[],
  ) {
    this.pieces = parts.map((p) => p.body);
    this.length = this.pieces.reduce((n, p) => n + p.length, 0);
    // Pages not yet compressed are compressed on the thread pool as soon as the snapshot
    // exists, off the event loop: after a write that is a page or two, ready before Helm
    // asks; after a start it is every page, one at a time, so the other core keeps serving.
    const concurrency = undeflatedBytes(parts) <= SMALL_CHANGE_BYTES ? 2 : 1;
    this.compressing = deflateAll(parts, concurrency).catch(() => undefined);
  }

  /**
   * The same bytes as one gzip stream (a tenth of the size), joined once per revision from
   * pages compressed once each. A request that comes before compression ends waits for
   * it: a big identity answer costs both sides more than the wait.
   */
  async gzipped(): Promise<Buffer> {
    if (this.gz) return this.gz;
    await this.compressing;
    return (this.gz ??= Buffer.concat(gzipOf(this.parts)));
  }

  /** Resolves once every page is compressed (for tests and benchmarks). */
  async settled(): Promise<void> {
    await this.compressing;
  }
}

interface RepoState {
  revision: number;
  paged: PagedIndex;
  snapshot: IndexSnapshot;
}

export interface IndexServiceOptions {
  format: IndexFormat;
  /** Bytes of rendered indexes held across repositories; the least recently served go first. */
  maxBytes?: number;
  /** Fragment rows read at a time (tests use small batches). */
  rowBatch?: number;
}

export class IndexService {
  private readonly repos: LRUCache<string, RepoState>;
  /** The refresh running for a repository, if any. */
  private readonly inFlight = new Map<string, Promise<IndexSnapshot>>();
  /** Fragments rendered by this replica, per repository (observable by tests and metrics). */
  readonly rendered = new Map<string, number>();
  /** Told of every refresh: which kind of repository, how long it took, how many names it re-rendered (metrics). */
  observe: ((repository: 'workspace' | 'store', seconds: number, renderedNames: number) => void) | null = null;

  constructor(
    private readonly db: Database,
    private readonly opts: IndexServiceOptions,
  ) {
    this.repos = new LRUCache({
      maxSize: opts.maxBytes ?? 256 * 1024 * 1024,
      sizeCalculation: (s) => Math.max(1, s.paged.bytes),
    });
  }

  get format(): IndexFormat {
    return this.opts.format;
  }

  /** The repository's index at (at least) the given revision. */
  async get(repo: RepoRef, at: RepoRevision, source: RenderSource): Promise<IndexSnapshot> {
    const key = repoKey(repo);
    for (;;) {
      // A held revision at or past the one asked for will do: the caller only needs to
      // see every write it knows of (read-your-writes).
      const state = this.repos.get(key);
      if (state && state.revision >= at.revision) return state.snapshot;
      // One refresh per repository at a time: two would apply rows fetched at different
      // moments in an order that could let older text win.
      const pending = this.inFlight.get(key);
      if (!pending) break;
      await pending.catch(() => undefined);
    }
    const p = this.refresh(repo, key, at, source).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  /** Drops what this replica holds for a repository (e.g. a deleted workspace). */
  forget(repo: RepoRef): void {
    this.repos.delete(repoKey(repo));
  }

  private async refresh(repo: RepoRef, key: string, at: RepoRevision, source: RenderSource): Promise<IndexSnapshot> {
    const started = process.hrtime.bigint();
    const renderedBefore = this.rendered.get(key) ?? 0;
    const previous = this.repos.get(key);
    const column = this.opts.format === 'json' ? 'json' : 'yaml';
    const base = source.baseUrl;
    const { where, params } = repoCondition(repo);
    const paged = previous?.paged ?? new PagedIndex(this.opts.format);
    // In batches by name, so a cold read of a large repository never holds every row's
    // text as strings beside the pages built from them.
    const batch = this.opts.rowBatch ?? ROW_BATCH;
    let after: string | null = null;
    for (;;) {
      const n = params.length;
      const rows: FragmentRow[] = await this.db.query<FragmentRow>(
        `SELECT name, seq, rendered_seq, base_url, ${column} AS text FROM index_fragments
         WHERE ${where} AND seq > $${n + 1}${after === null ? '' : ` AND name > $${n + 2}`}
         ORDER BY name LIMIT ${batch}`,
        after === null ? [...params, previous?.revision ?? -1] : [...params, previous?.revision ?? -1, after],
      );
      const changes: FragmentChange[] = [];
      const stale: FragmentRow[] = [];
      for (const row of rows) {
        if (row.rendered_seq !== row.seq || row.base_url !== (base ?? '')) stale.push(row);
        else changes.push({ name: row.name, body: row.text === null ? null : Buffer.from(row.text) });
      }
      if (stale.length > 0) changes.push(...(await this.render(repo, key, stale, source)));
      paged.apply(changes);
      if (rows.length < batch) break;
      after = rows[rows.length - 1]!.name;
    }

    const snapshot = new IndexSnapshot(
      etagFor(key, at, this.opts.format, base),
      this.opts.format,
      paged.parts(at.revisedAt),
    );
    this.repos.set(key, { revision: at.revision, paged, snapshot });
    this.observe?.(
      'store' in repo ? 'store' : 'workspace',
      Number(process.hrtime.bigint() - started) / 1e9,
      (this.rendered.get(key) ?? 0) - renderedBefore,
    );
    return snapshot;
  }

  /** Renders stale names from their versions and stores the text for everyone else. */
  private async render(
    repo: RepoRef,
    key: string,
    stale: FragmentRow[],
    source: RenderSource,
  ): Promise<FragmentChange[]> {
    const base = source.baseUrl;
    const names = stale.map((r) => r.name);
    const grouped = groupEntries(await source.versions(this.db, names), base);
    const yamlTexts: Array<string | null> = [];
    const jsonTexts: Array<string | null> = [];
    const changes: FragmentChange[] = [];
    for (const name of names) {
      const entries = grouped[name];
      const yaml = entries ? renderFragment('yaml', name, entries) : null;
      const json = entries ? renderFragment('json', name, entries) : null;
      yamlTexts.push(yaml);
      jsonTexts.push(json);
      const mine = this.opts.format === 'json' ? json : yaml;
      changes.push({ name, body: mine === null ? null : Buffer.from(mine) });
    }
    this.rendered.set(key, (this.rendered.get(key) ?? 0) + names.length);
    // Only rows not touched again since they were read: a newer touch wins, and its
    // reader renders it again.
    const { where, params } = repoCondition(repo);
    const n = params.length;
    await this.db.query(
      `UPDATE index_fragments f SET rendered_seq = f.seq, base_url = $${n + 1}, yaml = r.yaml, json = r.json
       FROM unnest($${n + 2}::text[], $${n + 3}::int[], $${n + 4}::text[], $${n + 5}::text[]) AS r(name, seq, yaml, json)
       WHERE f.${where} AND f.name = r.name AND f.seq = r.seq`,
      [...params, base ?? '', names, stale.map((r) => r.seq), yamlTexts, jsonTexts],
    );
    return changes;
  }
}

/** Derived from what the bytes depend on, not from the bytes: no hashing of megabytes. */
function etagFor(key: string, at: RepoRevision, format: IndexFormat, base: string | null): string {
  const id = `${key}\u0000${at.revision}\u0000${at.revisedAt.toISOString()}\u0000${format}\u0000${base ?? ''}`;
  return `"${createHash('sha256').update(id).digest('hex').slice(0, 32)}"`;
}
