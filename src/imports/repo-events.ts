// What happened to an imported repository (import_events): syncs, failures, versions
// gone or changed upstream. Written by the sync, read newest first by the API.
import type { Queryable } from '../db/database.js';

export type EventKind =
  | 'sync-started'
  | 'unchanged'
  | 'imported'
  | 'released'
  | 'failed'
  | 'skipped'
  | 'gone-upstream'
  | 'changed-upstream'
  | 'sync-finished'
  | 'sync-failed';

export interface RepoEvent {
  id: number;
  kind: EventKind;
  chart: string | null;
  version: string | null;
  message: string;
  at: string;
}

export async function recordRepoEvent(
  q: Queryable,
  repoId: number,
  e: { kind: EventKind; chart?: string | null; version?: string | null; message?: string },
): Promise<void> {
  await q.query('INSERT INTO import_events (repo_id, kind, chart, version, message) VALUES ($1, $2, $3, $4, $5)', [
    repoId,
    e.kind,
    e.chart ?? null,
    e.version ?? null,
    e.message ?? '',
  ]);
}

/** Newest first; `beforeId` continues from the last event of the previous page. */
export async function listRepoEvents(
  q: Queryable,
  repoId: number,
  limit: number,
  beforeId: number | null,
): Promise<{ items: RepoEvent[]; nextBefore: number | null }> {
  const rows = await q.query<{
    id: number;
    kind: EventKind;
    chart: string | null;
    version: string | null;
    message: string;
    created_at: Date;
  }>(
    `SELECT id, kind, chart, version, message, created_at FROM import_events
      WHERE repo_id = $1 AND ($2::int IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
    [repoId, beforeId, limit + 1],
  );
  const items = rows.slice(0, limit).map((r) => ({
    id: r.id,
    kind: r.kind,
    chart: r.chart,
    version: r.version,
    message: r.message,
    at: r.created_at.toISOString(),
  }));
  return { items, nextBefore: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}

/** Events each repository keeps: a sync every few minutes writes two or more, for ever. */
export const EVENTS_KEPT = 2_000;

/**
 * Deletes each repository's events beyond its newest `keep` (the sweeper runs it hourly);
 * returns how many went. What a version became stays in import_entries and in the app's
 * own audit events, which are kept for the life of the app.
 */
export async function pruneRepoEvents(q: Queryable, keep = EVENTS_KEPT): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM import_events WHERE id IN (
         SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY repo_id ORDER BY id DESC) AS rank FROM import_events) e
          WHERE rank > $1)
       RETURNING 1
     ) SELECT count(*)::int AS n FROM gone`,
    [keep],
  );
  return rows[0]?.n ?? 0;
}
