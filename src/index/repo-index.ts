// Helm indexes, kept incrementally. In the database, index_fragments holds one row per
// repository (a workspace, or the store) and chart name: the repository revision at
// which that name last changed (`seq`) and its entries rendered as YAML and JSON, each
// compressed once for joining (paged-index.ts) with its plain length and CRC. A write
// only marks the names it touched (touchIndex, in its own transaction, after bumping the
// repository's revision, which serialises writers of one repository). A reader that
// finds its cached revision behind fetches the rows newer than it, renders those still
// unrendered (and writes them back, mostly after answering: see storeRendered, so other
// replicas and restarts need not), and rebuilds only the pages holding them
// (paged-index.ts). A cold start reads rendered rows, about a tenth of the index's size;
// it renders and compresses nothing that was rendered before. Each revision is served
// as an IndexSnapshot (snapshot.ts); a little after a refresh the rebuilt pages are
// packed and the snapshot made again (schedulePack). A refresh that renders batch after
// batch (a cold or bulk render) packs the pages of each batch while it renders the next,
// so it answers with most pages packed instead of leaving them all to pack after.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Database, Queryable } from '../db/database.js';
import { renderFragment, type IndexFormat } from './fragments.js';
import { PagedIndex, type FragmentChange } from './paged-index.js';
import { compress, type Fragment } from './pieces.js';
import { groupEntries, type IndexVersion } from './render.js';
import type { PlainFiles } from './plain-files.js';
import { answersWriting, IndexSnapshot } from './snapshot.js';

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

/** Plain bytes of an index above which it is held compressed only, unless the options say otherwise. */
const DEFAULT_PLAIN_MAX = 32 * 1024 * 1024;

/**
 * Compressed bytes of rendered text that may wait to be written back when a refresh
 * answers (a few hundred chart names). A write's refresh stores a few KB and never waits;
 * a cold or bulk render stores one batch while it renders the next, and answers once
 * what is left fits here, so the Postgres work of storing it does not compete with the
 * answers right after (at 100,000 versions, 8 MB left there made the first answers
 * after a bulk render 40-60 ms slower).
 */
const STORE_QUEUE_BYTES = 1024 * 1024;

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
  gz: Buffer | null;
  size: number | null;
  crc: number | null;
}

interface RepoState {
  revision: number;
  revisedAt: Date;
  paged: PagedIndex;
  snapshot: IndexSnapshot;
}

/**
 * How long after a refresh its pages are packed: the writes of a burst are packed
 * together (a page takes about 1 ms at level 9), and answers are small again soon.
 */
const PACK_DELAY_MS = 250;

export interface IndexServiceOptions {
  format: IndexFormat;
  /** Bytes of rendered indexes held across repositories; the least recently served go first. */
  maxBytes?: number;
  /** An index larger than this (plain bytes) is held compressed only; identity answers inflate it. */
  plainMaxBytes?: number;
  /** Fragment rows read at a time (tests use small batches). */
  rowBatch?: number;
  /** Milliseconds from a refresh to packing its pages (tests use 0). */
  packDelayMs?: number;
  /** Compressed bytes of rendered text left to store when a refresh answers (STORE_QUEUE_BYTES). */
  storeQueueBytes?: number;
  /**
   * Where identity answers of indexes held compressed keep plain copies of pages in
   * files (plain-files.ts); without it they inflate every page each time.
   */
  plainFiles?: PlainFiles | null;
}

export class IndexService {
  private readonly repos: LRUCache<string, RepoState>;
  /** Plain copies of pages in files, for indexes held compressed (none: inflated for each answer). */
  readonly files: PlainFiles | null;
  /** The refresh running for a repository, if any. */
  private readonly inFlight = new Map<string, Promise<IndexSnapshot>>();
  /** The packing scheduled or running for a repository, if any. */
  private readonly packing = new Map<string, Promise<void>>();
  /** The last write-back of rendered text queued (they run one at a time, in order). */
  private storing: Promise<void> = Promise.resolve();
  private storesQueued = 0;
  /** Compressed bytes of rendered text queued for writing back. */
  private storeBytesQueued = 0;
  /** Write-backs that failed (their names are rendered again by the next reader). */
  storeFailures = 0;
  /** Told of every write-back that failed (metrics). */
  onStoreFailed: ((err: unknown) => void) | null = null;
  /** Fragments rendered by this replica, per repository (observable by tests and metrics). */
  readonly rendered = new Map<string, number>();
  /** Told of every refresh: which kind of repository, how long it took, how many names it re-rendered (metrics). */
  observe: ((repository: 'workspace' | 'store', seconds: number, renderedNames: number) => void) | null = null;

  constructor(
    private readonly db: Database,
    private readonly opts: IndexServiceOptions,
  ) {
    this.files = opts.plainFiles ?? null;
    this.repos = new LRUCache({
      maxSize: opts.maxBytes ?? 256 * 1024 * 1024,
      // An index let go takes its plain files with it (one replaced by a refresh keeps its pages).
      dispose: (state, _key, reason) => {
        if (reason !== 'set') state.paged.dispose();
      },
      // What is held: the compressed pages, and their plain copies when kept.
      sizeCalculation: (s) => Math.max(1, s.paged.compressedBytes + (s.paged.keepsPlain ? s.paged.bytes : 0)),
    });
  }

  private get storeQueueBytes(): number {
    return this.opts.storeQueueBytes ?? STORE_QUEUE_BYTES;
  }

  get format(): IndexFormat {
    return this.opts.format;
  }

  /** Bytes held now, and at most (the least recently served go beyond it). */
  get heldBytes(): number {
    return this.repos.calculatedSize;
  }

  get maxBytes(): number {
    return this.repos.maxSize;
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

  /** Whether this replica holds an index of the repository (at any revision). */
  holds(repo: RepoRef): boolean {
    return this.repos.has(repoKey(repo));
  }

  /** Resolves when no packing and no write-back is scheduled or running (tests). */
  async idle(): Promise<void> {
    while (this.packing.size > 0 || this.storesQueued > 0) {
      await Promise.all([...this.packing.values(), this.stored()]);
    }
  }

  /** Resolves when every write-back queued so far has ended (before the database closes). */
  async stored(): Promise<void> {
    while (this.storesQueued > 0) await this.storing;
  }

  /** Stops: waits for the write-backs queued, then removes the plain files. */
  async close(): Promise<void> {
    await this.stored();
    this.repos.clear();
    this.files?.close();
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
    const paged =
      previous?.paged ?? new PagedIndex(this.opts.format, this.opts.plainMaxBytes ?? DEFAULT_PLAIN_MAX, this.files);
    // In batches by name, so a cold read of a large repository never holds every row
    // at once beside the pages built from them.
    const batch = this.opts.rowBatch ?? ROW_BATCH;
    let after: string | null = null;
    for (;;) {
      const n = params.length;
      const rows: FragmentRow[] = await this.db.query<FragmentRow>(
        `SELECT name, seq, packed_seq AS rendered_seq, packed_base_url AS base_url, ${column}_gz AS gz, ${column}_size AS size, ${column}_crc AS crc
         FROM index_fragments
         WHERE ${where} AND seq > $${n + 1}${after === null ? '' : ` AND name > $${n + 2}`}
         ORDER BY name LIMIT ${batch}`,
        after === null ? [...params, previous?.revision ?? -1] : [...params, previous?.revision ?? -1, after],
      );
      const changes: FragmentChange[] = [];
      const stale: FragmentRow[] = [];
      for (const row of rows) {
        if (row.rendered_seq !== row.seq || row.base_url !== (base ?? '')) stale.push(row);
        else changes.push({ name: row.name, fragment: storedFragment(row) });
      }
      if (stale.length > 0) changes.push(...(await this.render(repo, key, stale, source)));
      paged.apply(changes);
      if (rows.length < batch) break;
      // More rows to read: the pages built so far are packed on the thread pool while the
      // main thread renders the next batch. Packed after the answer instead, the pages of
      // a 100k-version render (about 5 s of CPU) competed with the first answers after it
      // (lab: first after-write answers 275-327 ms, against 237-253 packed beside).
      if (stale.length > 0) this.schedulePack(key, paged, 0);
      after = rows[rows.length - 1]!.name;
    }
    while (this.storeBytesQueued > this.storeQueueBytes) await this.storing;

    const snapshot = new IndexSnapshot(
      etagFor(key, at, this.opts.format, base),
      this.opts.format,
      paged.parts(at.revisedAt),
      previous?.snapshot.runsForNext() ?? null,
      this.files,
    );
    this.repos.set(key, { revision: at.revision, revisedAt: at.revisedAt, paged, snapshot });
    paged.revive(); // in case it was let go (evicted) while this refresh ran
    if (paged.unpacked) this.schedulePack(key);
    this.observe?.(
      'store' in repo ? 'store' : 'workspace',
      Number(process.hrtime.bigint() - started) / 1e9,
      (this.rendered.get(key) ?? 0) - renderedBefore,
    );
    return snapshot;
  }

  /**
   * Packs a repository's new pages a little later, on the thread pool, then serves the
   * smaller gzip form under the same ETag: the bytes differ, what they decompress to does
   * not. A refresh running meanwhile makes its own snapshot from the packed pages.
   */
  private schedulePack(key: string, building?: PagedIndex, delayMs = this.opts.packDelayMs ?? PACK_DELAY_MS): void {
    if (this.packing.has(key)) return;
    let failed = false;
    const job = new Promise<void>((resolve) => setTimeout(resolve, delayMs).unref())
      .then(async () => {
        const paged = building ?? this.repos.peek(key)?.paged;
        if (!paged) return;
        const replaced = await paged.pack(undefined, { busy: () => answersWriting() > 0 });
        // The pages are shared by every snapshot of this repository; the one held now is
        // made again from them (a refresh running now makes its own).
        const state = this.repos.peek(key);
        if (replaced === 0 || state?.paged !== paged || this.inFlight.has(key)) return;
        state.snapshot = new IndexSnapshot(
          state.snapshot.etag,
          this.opts.format,
          paged.parts(state.revisedAt),
          state.snapshot.runsForNext(),
          this.files,
        );
        this.repos.set(key, state); // its size changed
      })
      .catch(() => {
        failed = true; // packing only makes answers smaller: the pages stay as they are
      })
      .finally(() => {
        this.packing.delete(key);
        // Pages that writes rebuilt meanwhile are packed in turn.
        if (!failed && this.repos.peek(key)?.paged.unpacked) this.schedulePack(key);
      });
    this.packing.set(key, job);
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
    const yaml: Array<Fragment | null> = [];
    const json: Array<Fragment | null> = [];
    const changes: FragmentChange[] = [];
    for (const name of names) {
      const entries = grouped[name];
      const y = entries ? { name, ...compress(Buffer.from(renderFragment('yaml', name, entries))) } : null;
      const j = entries ? { name, ...compress(Buffer.from(renderFragment('json', name, entries))) } : null;
      yaml.push(y);
      json.push(j);
      changes.push({ name, fragment: this.opts.format === 'json' ? j : y });
    }
    this.rendered.set(key, (this.rendered.get(key) ?? 0) + names.length);
    // Only rows not touched again since they were read: a newer touch wins, and its
    // reader renders it again. The text form releases before 009 kept is cleared (see the
    // migration). The compressed bytes travel as hex (one text array).
    const { where, params } = repoCondition(repo);
    const n = params.length;
    const hex = (list: Array<Fragment | null>) => list.map((f) => (f ? f.gz.toString('hex') : null));
    const sizes = (list: Array<Fragment | null>) => list.map((f) => (f ? f.size : null));
    // CRCs are unsigned 32-bit; the integer column holds them as signed.
    const crcs = (list: Array<Fragment | null>) => list.map((f) => (f ? f.crc | 0 : null));
    const sql = `UPDATE index_fragments f SET packed_seq = f.seq, packed_base_url = $${n + 1},
         rendered_seq = NULL, yaml = NULL, json = NULL,
         yaml_gz = decode(r.yaml_gz, 'hex'), yaml_size = r.yaml_size, yaml_crc = r.yaml_crc,
         json_gz = decode(r.json_gz, 'hex'), json_size = r.json_size, json_crc = r.json_crc
       FROM unnest($${n + 2}::text[], $${n + 3}::int[], $${n + 4}::text[], $${n + 5}::int[], $${n + 6}::int[],
                   $${n + 7}::text[], $${n + 8}::int[], $${n + 9}::int[])
         AS r(name, seq, yaml_gz, yaml_size, yaml_crc, json_gz, json_size, json_crc)
       WHERE f.${where} AND f.name = r.name AND f.seq = r.seq`;
    const bytes = [...yaml, ...json].reduce((sum, f) => sum + (f ? f.gz.length : 0), 0);
    await this.storeRendered(bytes, () =>
      this.db.query(sql, [
        ...params,
        base ?? '',
        names,
        stale.map((r) => r.seq),
        hex(yaml),
        sizes(yaml),
        crcs(yaml),
        hex(json),
        sizes(json),
        crcs(json),
      ]),
    );
    return changes;
  }

  /**
   * Queues a write-back of rendered text (`bytes` compressed), run after those queued
   * before it. The answer that rendered the text does not wait for it: a commit waits for
   * the WAL to reach the disk, and while Postgres checkpoints (e.g. after a bulk import)
   * that can take hundreds of milliseconds. Only when more than STORE_QUEUE_BYTES wait
   * (a cold render of a large repository) does the caller wait for the write-backs before
   * its own, so what waits in memory stays bounded (and refresh() waits for the queue to
   * be that short again before it answers). A write-back that fails loses
   * nothing: its rows stay marked unrendered, and the next reader, on any replica,
   * renders them again.
   */
  private async storeRendered(bytes: number, write: () => Promise<unknown>): Promise<void> {
    const before = this.storing;
    this.storesQueued++;
    this.storeBytesQueued += bytes;
    this.storing = before
      .then(write)
      .then(
        () => undefined,
        (err: unknown) => {
          this.storeFailures++;
          this.onStoreFailed?.(err);
        },
      )
      .finally(() => {
        this.storesQueued--;
        this.storeBytesQueued -= bytes;
      });
    if (this.storeBytesQueued > this.storeQueueBytes) await before;
  }
}

/** A rendered row's fragment, or null when the name has no versions. */
function storedFragment(row: FragmentRow): Fragment | null {
  if (row.gz === null || row.size === null || row.crc === null) return null;
  return { name: row.name, gz: row.gz, size: row.size, crc: row.crc >>> 0 };
}

/** Derived from what the bytes depend on, not from the bytes: no hashing of megabytes. */
function etagFor(key: string, at: RepoRevision, format: IndexFormat, base: string | null): string {
  const id = `${key}\u0000${at.revision}\u0000${at.revisedAt.toISOString()}\u0000${format}\u0000${base ?? ''}`;
  return `"${createHash('sha256').update(id).digest('hex').slice(0, 32)}"`;
}
