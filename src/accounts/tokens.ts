// Personal access tokens: "crt_" + 43 base64url characters (256 random bits).
// Stored as the sha256 of the whole token; the first 12 characters are kept to
// help people tell their tokens apart.
import { createHash, randomBytes } from 'node:crypto';
import { prepared, type Queryable } from '../db/database.js';
import { AppError } from '../errors.js';

export const TOKEN_PREFIX = 'crt_';

export function looksLikeToken(secret: string): boolean {
  return secret.startsWith(TOKEN_PREFIX) && secret.length === TOKEN_PREFIX.length + 43;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface TokenInfo {
  id: number;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

interface TokenRow {
  id: number;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
}

const toInfo = (r: TokenRow): TokenInfo => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at ? r.last_used_at.toISOString() : null,
  expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
});

export async function createToken(
  q: Queryable,
  userId: number,
  name: string,
  expiresAt: Date | null,
): Promise<TokenInfo & { token: string }> {
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new AppError('validation-failed', 'expiresAt must be in the future');
  }
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const rows = await q.query<TokenRow>(
    `INSERT INTO access_tokens (user_id, name, prefix, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)
     RETURNING id, name, prefix, created_at, last_used_at, expires_at`,
    [userId, name, token.slice(0, 12), hashToken(token), expiresAt],
  );
  return { ...toInfo(rows[0] as TokenRow), token };
}

export async function listTokens(q: Queryable, userId: number): Promise<TokenInfo[]> {
  const rows = await q.query<TokenRow>(
    'SELECT id, name, prefix, created_at, last_used_at, expires_at FROM access_tokens WHERE user_id = $1 ORDER BY id',
    [userId],
  );
  return rows.map(toInfo);
}

export async function revokeToken(q: Queryable, userId: number, id: number): Promise<void> {
  const rows = await q.query('DELETE FROM access_tokens WHERE id = $1 AND user_id = $2 RETURNING id', [id, userId]);
  if (rows.length === 0) throw new AppError('not-found', `token ${id} not found`);
}

// Run on every request made with a token: prepared once per connection on Postgres.
const TOKEN_BY_HASH = prepared(
  'SELECT id, user_id, last_used_at, expires_at FROM access_tokens WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at > now())',
);

/** The user a live token belongs to (and when the token expires), or null; records when it was last used. */
export async function userForToken(
  q: Queryable,
  token: string,
): Promise<{ userId: number; expiresAt: Date | null } | null> {
  if (!looksLikeToken(token)) return null;
  const rows = await q.query<{ id: number; user_id: number; last_used_at: Date | null; expires_at: Date | null }>(
    TOKEN_BY_HASH,
    [hashToken(token)],
  );
  const row = rows[0];
  if (!row) return null;
  // At most one write a minute per token, so busy Helm clients do not write on every request.
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
    await q.query('UPDATE access_tokens SET last_used_at = now() WHERE id = $1', [row.id]);
  }
  return { userId: row.user_id, expiresAt: row.expires_at };
}
