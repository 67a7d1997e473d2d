// The store's revision: moved in every transaction that changes what the store
// shows, so every replica knows with one read whether its cached store index is current.
import { prepared, type Queryable } from '../db/database.js';

export interface StoreRevision {
  revision: number;
  /** When the revision last moved: the store index's `generated` time. */
  revisedAt: Date;
}

/** Moves the store revision (and serialises store writers); returns the new revision. */
export async function bumpStoreRevision(q: Queryable): Promise<number> {
  const rows = await q.query<{ revision: number }>(
    'UPDATE store_state SET revision = revision + 1, revised_at = now() WHERE id = 1 RETURNING revision',
  );
  return rows[0]?.revision ?? 0;
}

// Run on every store index request: prepared once per connection on Postgres.
const STORE_REVISION = prepared('SELECT revision, revised_at FROM store_state WHERE id = 1');

export async function storeRevision(q: Queryable): Promise<StoreRevision> {
  const rows = await q.query<{ revision: number; revised_at: Date }>(STORE_REVISION);
  return { revision: rows[0]?.revision ?? 0, revisedAt: rows[0]?.revised_at ?? new Date(0) };
}
