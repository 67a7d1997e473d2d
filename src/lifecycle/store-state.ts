// The store's revision: moved in every transaction that changes what the store
// shows, so every replica knows with one read whether its cached store index is current.
import type { Queryable } from '../db/database.js';

export async function bumpStoreRevision(q: Queryable): Promise<void> {
  await q.query('UPDATE store_state SET revision = revision + 1 WHERE id = 1');
}

export async function storeRevision(q: Queryable): Promise<number> {
  const rows = await q.query<{ revision: number }>('SELECT revision FROM store_state WHERE id = 1');
  return rows[0]?.revision ?? 0;
}
