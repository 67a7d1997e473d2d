// Audit events: every upload, edit, transition and suspension, kept as long as the
// app exists, listed newest first.
import type { Queryable } from '../db/database.js';

export interface AuditEvent {
  id: number;
  version: string | null;
  actor: string;
  action: string;
  from: string | null;
  to: string | null;
  message: string;
  at: string;
}

export interface NewEvent {
  appId: number;
  version?: string | null;
  actor: string;
  action: string;
  from?: string | null;
  to?: string | null;
  message?: string;
}

export async function recordEvent(q: Queryable, e: NewEvent): Promise<void> {
  await q.query(
    'INSERT INTO audit_events (app_id, version, actor, action, from_state, to_state, message) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [e.appId, e.version ?? null, e.actor, e.action, e.from ?? null, e.to ?? null, e.message ?? ''],
  );
}

interface EventRow {
  id: number;
  version: string | null;
  actor: string;
  action: string;
  from_state: string | null;
  to_state: string | null;
  message: string;
  created_at: Date;
}

const EVENT_COLUMNS = 'id, version, actor, action, from_state, to_state, message, created_at';

const toEvent = (r: EventRow): AuditEvent => ({
  id: r.id,
  version: r.version,
  actor: r.actor,
  action: r.action,
  from: r.from_state,
  to: r.to_state,
  message: r.message,
  at: r.created_at.toISOString(),
});

/** Newest first; `beforeId` continues from the last event of the previous page. */
export async function listEvents(
  q: Queryable,
  appId: number,
  version?: string,
  limit = 100,
  beforeId: number | null = null,
): Promise<{ items: AuditEvent[]; nextBefore: number | null }> {
  const rows = await q.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM audit_events
      WHERE app_id = $1 AND ($2::text IS NULL OR version = $2) AND ($3::int IS NULL OR id < $3) ORDER BY id DESC LIMIT $4`,
    [appId, version ?? null, beforeId, limit + 1],
  );
  const items = rows.slice(0, limit).map(toEvent);
  return { items, nextBefore: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}

/**
 * The newest `limit` events of each of several versions, newest first, in one query
 * (a page of the review queue shows every item's trail). Lists in the order asked.
 */
export async function listEventsOfVersions(
  q: Queryable,
  versions: ReadonlyArray<{ appId: number; version: string }>,
  limit = 100,
): Promise<AuditEvent[][]> {
  if (versions.length === 0) return [];
  const rows = await q.query<EventRow & { app_id: number }>(
    `SELECT app_id, ${EVENT_COLUMNS} FROM (
       SELECT e.*, row_number() OVER (PARTITION BY e.app_id, e.version ORDER BY e.id DESC) AS nth
         FROM audit_events e
        WHERE (e.app_id, e.version) IN (SELECT * FROM unnest($1::int[], $2::text[]))
     ) ranked WHERE nth <= $3 ORDER BY id DESC`,
    [versions.map((v) => v.appId), versions.map((v) => v.version), limit],
  );
  const byVersion = new Map<string, AuditEvent[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.app_id, r.version]);
    const list = byVersion.get(key);
    if (list) list.push(toEvent(r));
    else byVersion.set(key, [toEvent(r)]);
  }
  return versions.map((v) => byVersion.get(JSON.stringify([v.appId, v.version])) ?? []);
}
