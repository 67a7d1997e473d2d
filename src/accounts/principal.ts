// Who is calling: resolved once per request from HTTP Basic (password or token as
// password) or a Bearer token, then consulted by every route.
import { hash as hashOnce } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { prepared, type Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import type { Actor } from '../lifecycle/state-machine.js';
import {
  DEFAULT_SCRYPT_COST,
  dummyPasswordHash,
  hashPassword,
  needsRehash,
  verifyPassword,
  type ScryptCost,
} from './passwords.js';
import { workspaceRoleAtLeast, type Permission, type WorkspaceRole } from './permissions.js';
import { looksLikeToken, userForToken } from './tokens.js';
import { blockedUntilOf, signInBlockedUntil } from './rate-limit.js';

export interface Principal {
  userId: number;
  username: string;
  role: string;
  permissions: ReadonlySet<Permission>;
  /** When the credential used (a token) stops working; null for passwords and tokens without expiry. */
  expiresAt: Date | null;
  /** What the caller signed in with. Only a password may manage tokens or set passwords
   * (see requirePasswordSignIn), so a token, however short-lived, cannot outlive itself. */
  via: 'password' | 'token' | 'session';
}

export interface Credentials {
  username: string | null;
  secret: string;
  scheme: 'basic' | 'bearer';
}

/** Parses the Authorization header; null when absent, AppError when malformed. */
export function parseAuthorization(header: string | undefined): Credentials | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new AppError('unauthorized', 'the Basic credentials are malformed');
    return { scheme: 'basic', username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  if (scheme === 'bearer') {
    if (!value) throw new AppError('unauthorized', 'the Bearer token is empty');
    return { scheme: 'bearer', username: null, secret: value };
  }
  throw new AppError('unauthorized', `the ${scheme} authorization scheme is not supported; use Basic or Bearer`);
}

export interface UserAuthRow {
  id: number;
  username: string;
  password_hash: string;
  disabled: boolean;
  platform_role: string;
  permissions: string[];
}

// The user row and, in the same query, when the attempt's sign-in limits lift ($2 holds
// its keys, see rate-limit.ts): a sign-in pays no round trip for its limits. Always one
// row; the user's columns are null when no user matches.
const userWithLimits = (match: string): string =>
  `SELECT l.blocked_until, u.id, u.username, u.password_hash, u.disabled, u.platform_role, r.permissions
   FROM ${blockedUntilOf('$2')} l
   LEFT JOIN (users u JOIN roles r ON r.name = u.platform_role) ON ${match}`;
// Run on every authenticated request: prepared once per connection on Postgres.
const USER_BY_NAME = prepared(userWithLimits('u.username = $1'));
const USER_BY_ID = prepared(userWithLimits('u.id = $1'));

// Helm sends Basic credentials on every request; scrypt costs a few hundred
// milliseconds on purpose, so a successful check is remembered for a short while
// (least recently used entries go first when full). The key holds the stored hash,
// so a changed password misses the cache at once; the user row (disabled flag, role)
// is read again whenever the credential tables change (Database.cachedCredentials).
const verified = new LRUCache<string, true>({ max: 10_000, ttl: 5 * 60 * 1000 });
// One-shot hash: computed on every authenticated request (a Hash object costs more than
// the digest of these few bytes).
const verifiedKey = (storedHash: string, secret: string): string =>
  hashOnce('sha256', `${storedHash}\0${secret}`, 'hex');

async function passwordMatches(secret: string, storedHash: string): Promise<boolean> {
  const key = verifiedKey(storedHash, secret);
  if (verified.get(key)) return true;
  if (!(await verifyPassword(secret, storedHash))) return false;
  verified.set(key, true);
  return true;
}

/** Replaces a hash made at a lower cost than today's, now that the password is known
 * to be right. Only if the hash is still the one checked: a password changed meanwhile wins. */
async function rehashIfWeak(db: Queryable, user: UserAuthRow, secret: string, cost: ScryptCost): Promise<void> {
  if (!needsRehash(user.password_hash, cost)) return;
  // Helm sends several requests at once with the same credentials: one rehash serves them all.
  let running = rehashing.get(user.id);
  if (!running) {
    running = (async () => {
      const hash = await hashPassword(secret, cost);
      await db.query('UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3', [
        user.id,
        hash,
        user.password_hash,
      ]);
      verified.set(verifiedKey(hash, secret), true);
    })().finally(() => rehashing.delete(user.id));
    rehashing.set(user.id, running);
  }
  await running;
}
const rehashing = new Map<number, Promise<void>>();

export function toPrincipal(user: UserAuthRow, via: Principal['via'], expiresAt: Date | null = null): Principal {
  return {
    userId: user.id,
    username: user.username,
    role: user.platform_role,
    permissions: new Set(user.permissions as Permission[]),
    expiresAt,
    via,
  };
}

/** What the database holds for one sign-in attempt: read once (and memoised until the
 * credential tables change, see src/plugins/auth.ts), then judged by checkCredentials. */
export interface StoredCredentials {
  /** The user the credentials name (by username, or as a token's owner); null when none. */
  user: UserAuthRow | null;
  /** Set when the secret is a live token, of `user`. */
  token: { expiresAt: Date | null } | null;
  /** When the latest of the attempt's sign-in limits lifts; null when none holds. */
  blockedUntil: Date | null;
}

async function userRow(
  db: Queryable,
  sql: string,
  match: string | number | null,
  limitKeys: string[],
): Promise<{ user: UserAuthRow | null; blockedUntil: Date | null }> {
  const [row] = await db.query<Partial<UserAuthRow> & { blocked_until: Date | null }>(sql, [match, limitKeys]);
  const blockedUntil = row?.blocked_until ?? null;
  return { user: row?.id == null ? null : (row as UserAuthRow), blockedUntil };
}

/**
 * Reads what the credentials name, with when the sign-in limits of `limitKeys`
 * (SignInLimiter.keys) lift, in the same query as the user. Checks no secret, so the
 * caller can refuse a limited attempt before paying for scrypt.
 */
export async function findCredentials(
  db: Queryable,
  creds: Credentials,
  limitKeys: string[],
): Promise<StoredCredentials> {
  if (creds.scheme === 'bearer' || looksLikeToken(creds.secret)) {
    const token = await userForToken(db, creds.secret);
    if (token !== null) {
      const found = await userRow(db, USER_BY_ID, token.userId, limitKeys);
      return { ...found, token: { expiresAt: token.expiresAt } };
    }
    if (creds.scheme === 'bearer') {
      return { user: null, token: null, blockedUntil: await signInBlockedUntil(db, limitKeys) };
    }
  }
  return { ...(await userRow(db, USER_BY_NAME, creds.username, limitKeys)), token: null };
}

/**
 * Judges credentials against what findCredentials read; null when they do not match an
 * enabled user. A token works as a Bearer token and as the password of HTTP Basic (with
 * its owner's username), which is how `helm repo add --password <token>` uses it.
 */
export async function checkCredentials(
  db: Queryable,
  creds: Credentials,
  stored: StoredCredentials,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): Promise<Principal | null> {
  const user = stored.user;
  if (stored.token) {
    if (!user || user.disabled) return null;
    if (creds.username !== null && creds.username !== user.username) return null;
    return toPrincipal(user, 'token', stored.token.expiresAt);
  }
  if (creds.scheme === 'bearer') return null;
  if (!user) {
    await verifyPassword(creds.secret, await dummyPasswordHash(cost)); // same time as a real refusal
    return null;
  }
  if (!(await passwordMatches(creds.secret, user.password_hash))) {
    // A hash older than today's cost is quicker to refuse; pay the difference, so that a
    // refusal takes as long as for an unknown username and tells nothing about the account.
    if (needsRehash(user.password_hash, cost)) await verifyPassword(creds.secret, await dummyPasswordHash(cost));
    return null;
  }
  if (user.disabled) return null;
  await rehashIfWeak(db, user, creds.secret, cost);
  return toPrincipal(user, 'password');
}

export function hasPermission(p: Principal | null, perm: Permission): boolean {
  return p !== null && p.permissions.has(perm);
}

/** The caller's standing in a workspace given their membership (if any): their
 * member role, or what a platform permission grants (workspaces.manage acts as
 * workspace-admin everywhere; app-templates.view reads everything), or null. */
export function effectiveWorkspaceRole(p: Principal | null, memberRole: WorkspaceRole | null): WorkspaceRole | null {
  if (p === null) return null;
  if (p.permissions.has('workspaces.manage')) return 'workspace-admin';
  if (memberRole) return memberRole;
  return p.permissions.has('app-templates.view') ? 'workspace-viewer' : null;
}

export { workspaceRoleAtLeast };

/** What the caller can act as on a workspace's versions (see the state machine's table). */
export function actorsFor(principal: Principal | null, role: WorkspaceRole | null): Set<Actor> {
  const actors = new Set<Actor>();
  if (workspaceRoleAtLeast(role, 'workspace-regular')) actors.add('isv');
  if (principal?.permissions.has('app-templates.manage')) actors.add('reviewer');
  return actors;
}
