// When imported repositories sync, and which replica does it: due times, a lease per
// running sync (one compare-and-set statement, so of several replicas exactly one wins),
// and the backoff after failures.
import type { Queryable } from '../db/database.js';
import { BACKOFF_STEP_SECONDS, getRepoById, MAX_BACKOFF_SECONDS, type ImportRepo } from './repos.js';

/** Makes the repository due now (a manual sync); the next replica to look takes it. */
export async function makeDue(q: Queryable, repoId: number): Promise<void> {
  await q.query('UPDATE import_repos SET next_sync_at = now() WHERE id = $1', [repoId]);
}

/**
 * Takes the lease of a repository due for a sync, when no live lease holds it: the one
 * statement is the compare-and-set, so of several replicas exactly one wins.
 */
export async function claimDue(
  q: Queryable,
  owner: string,
  leaseSeconds: number,
  repoId?: number,
): Promise<ImportRepo | null> {
  const rows = await q.query<{ id: number }>(
    `UPDATE import_repos SET lease_owner = $1, lease_until = now() + make_interval(secs => $2), status = 'syncing'
      WHERE id = (
        SELECT id FROM import_repos
         WHERE ($3::int IS NULL OR id = $3) AND next_sync_at <= now() AND (lease_until IS NULL OR lease_until < now())
         ORDER BY next_sync_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        AND (lease_until IS NULL OR lease_until < now())
      RETURNING id`,
    [owner, leaseSeconds, repoId ?? null],
  );
  return rows[0] ? getRepoById(q, rows[0].id) : null;
}

/** Keeps a running sync's lease alive; false when it was lost (another replica took over). */
export async function renewLease(q: Queryable, repoId: number, owner: string, leaseSeconds: number): Promise<boolean> {
  const rows = await q.query(
    `UPDATE import_repos SET lease_until = now() + make_interval(secs => $3) WHERE id = $1 AND lease_owner = $2 RETURNING id`,
    [repoId, owner, leaseSeconds],
  );
  return rows.length > 0;
}

export interface SyncOutcome {
  ok: boolean;
  error?: string;
  etag?: string | null;
  lastModified?: string | null;
}

/** Ends a sync: status, validators, the next due time (interval, or backoff after failures), lease released. */
export async function finishSync(q: Queryable, repo: ImportRepo, owner: string, outcome: SyncOutcome): Promise<void> {
  if (outcome.ok) {
    await q.query(
      `UPDATE import_repos SET status = 'successful', last_sync_at = now(), last_success_at = now(), last_error = NULL,
              failures = 0,
              -- Validators of the URL this sync read; a URL changed meanwhile keeps what the change left.
              etag = CASE WHEN url = $5 THEN $3 ELSE etag END,
              last_modified = CASE WHEN url = $5 THEN $4 ELSE last_modified END,
              next_sync_at = now() + make_interval(secs => sync_interval), lease_owner = NULL, lease_until = NULL
        WHERE id = $1 AND lease_owner = $2`,
      [repo.id, owner, outcome.etag ?? null, outcome.lastModified ?? null, repo.url],
    );
  } else {
    await q.query(
      `UPDATE import_repos SET status = 'failed', last_sync_at = now(), last_error = $3, failures = failures + 1,
              next_sync_at = now() + make_interval(secs => least($4 * (failures + 1), $5, sync_interval)),
              lease_owner = NULL, lease_until = NULL
        WHERE id = $1 AND lease_owner = $2`,
      [repo.id, owner, outcome.error ?? 'unknown error', BACKOFF_STEP_SECONDS, MAX_BACKOFF_SECONDS],
    );
  }
}

/** A sync stopped by a shutdown: the lease is given back and the repository is due at once, for whichever replica looks next. */
export async function interruptSync(q: Queryable, repo: ImportRepo, owner: string): Promise<void> {
  await q.query(
    `UPDATE import_repos SET status = 'pending', last_error = 'the last sync was interrupted by a shutdown; the next one resumes it',
            next_sync_at = now(), lease_owner = NULL, lease_until = NULL
      WHERE id = $1 AND lease_owner = $2`,
    [repo.id, owner],
  );
}

/** Repositories whose last sync failed, across replicas (a metric). */
export async function countFailing(q: Queryable): Promise<number> {
  const rows = await q.query<{ n: number }>("SELECT count(*)::int AS n FROM import_repos WHERE status = 'failed'");
  return rows[0]?.n ?? 0;
}
