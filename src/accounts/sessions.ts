// Web console sessions (SPEC section 13). Signing in with a password gives a random
// secret, sent back as an HttpOnly cookie; the table keeps only its SHA-256. Each request
// reads the session with its user, so signing out, disabling or deleting the user ends
// it at once on every replica. A session ends after its maximum age, or sooner when
// unused for the idle time.
import { createHash, randomBytes } from 'node:crypto';
import { prepared, type Queryable } from '../db/database.js';
import type { SessionLimits } from '../config.js';
import { toPrincipal, type Principal, type UserAuthRow } from './principal.js';

export const SESSION_COOKIE = 'chartroom_session';

/** 32 random bytes, base64url: what a cookie of ours can hold, checked before any query. */
const SECRET_RE = /^[A-Za-z0-9_-]{43}$/;
/** A session's last use is written at most this often. */
const TOUCH_EVERY_MS = 60_000;

const hashOf = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** What identifies a session in the table (the digest of its secret); null for a value
 * no session of ours can have, so no query is made for it. */
export function sessionId(secret: string): string | null {
  return SECRET_RE.test(secret) ? hashOf(secret) : null;
}

export interface NewSession {
  secret: string;
  expiresAt: Date;
}

export async function createSession(db: Queryable, userId: number, limits: SessionLimits): Promise<NewSession> {
  const secret = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + limits.maxAgeMs);
  // Ended sessions are pruned as new ones begin, so the table holds live ones only.
  await db.query(
    `DELETE FROM sessions WHERE expires_at <= now() OR last_seen_at <= now() - $1 * interval '1 millisecond'`,
    [limits.idleMs],
  );
  await db.query('INSERT INTO sessions (id_hash, user_id, expires_at) VALUES ($1, $2, $3)', [
    hashOf(secret),
    userId,
    expiresAt,
  ]);
  return { secret, expiresAt };
}

interface SessionRow extends UserAuthRow {
  expires_at: Date;
  last_seen_at: Date;
}

// Run on every console request: prepared once per connection on Postgres.
const SESSION_WITH_USER = prepared(
  `SELECT s.expires_at, s.last_seen_at, u.id, u.username, u.password_hash, u.disabled, u.platform_role, r.permissions
   FROM sessions s JOIN users u ON u.id = s.user_id JOIN roles r ON r.name = u.platform_role
   WHERE s.id_hash = $1`,
);

/** The session's stored row with its user, by the digest of its secret (sessionId). */
export async function findSession(db: Queryable, id: string): Promise<SessionRow | null> {
  const [row] = await db.query<SessionRow>(SESSION_WITH_USER, [id]);
  return row ?? null;
}

/**
 * The caller a session stands for, or null when it has ended (expired, idle too long,
 * user disabled). Renews its last use when that is older than a minute.
 */
export async function sessionPrincipal(
  db: Queryable,
  id: string,
  row: SessionRow | null,
  limits: SessionLimits,
): Promise<Principal | null> {
  if (!row || row.disabled) return null;
  const now = Date.now();
  if (row.expires_at.getTime() <= now || row.last_seen_at.getTime() + limits.idleMs <= now) return null;
  if (now - row.last_seen_at.getTime() >= TOUCH_EVERY_MS) {
    await db.query('UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1', [id]);
  }
  return toPrincipal(row, 'session');
}

export async function endSession(db: Queryable, secret: string): Promise<void> {
  if (SECRET_RE.test(secret)) await db.query('DELETE FROM sessions WHERE id_hash = $1', [hashOf(secret)]);
}

/** Ends every session of a user, but `keep` (the one making a change). */
export async function endUserSessions(db: Queryable, userId: number, keep: string | null = null): Promise<void> {
  await db.query('DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2', [userId, keep ? hashOf(keep) : '']);
}

/** The session secret in a Cookie header, if any. */
export function sessionCookie(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return null;
}
