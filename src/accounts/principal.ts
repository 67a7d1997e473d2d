// Who is calling: resolved once per request from HTTP Basic (password or token as
// password) or a Bearer token, then consulted by every route.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Queryable } from '../db/database.js';
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

export interface Principal {
  userId: number;
  username: string;
  role: string;
  permissions: ReadonlySet<Permission>;
  /** When the credential used (a token) stops working; null for passwords and tokens without expiry. */
  expiresAt: Date | null;
  /** What the caller signed in with. Only a password may manage tokens or set passwords
   * (see requirePasswordSignIn), so a token, however short-lived, cannot outlive itself. */
  via: 'password' | 'token';
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

interface UserAuthRow {
  id: number;
  username: string;
  password_hash: string;
  disabled: boolean;
  platform_role: string;
  permissions: string[];
}

const USER_AUTH_SELECT = `SELECT u.id, u.username, u.password_hash, u.disabled, u.platform_role, r.permissions
  FROM users u JOIN roles r ON r.name = u.platform_role`;

// Helm sends Basic credentials on every request; scrypt costs a few hundred
// milliseconds on purpose, so a successful check is remembered for a short while
// (least recently used entries go first when full). The key holds the stored hash,
// so a changed password misses the cache at once; the user row (disabled flag, role)
// is still read on every request.
const verified = new LRUCache<string, true>({ max: 10_000, ttl: 5 * 60 * 1000 });
const verifiedKey = (storedHash: string, secret: string): string =>
  createHash('sha256').update(storedHash).update('\0').update(secret).digest('hex');

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

function toPrincipal(user: UserAuthRow, via: Principal['via'], expiresAt: Date | null = null): Principal {
  return {
    userId: user.id,
    username: user.username,
    role: user.platform_role,
    permissions: new Set(user.permissions as Permission[]),
    expiresAt,
    via,
  };
}

/**
 * Checks credentials against the database; null when they do not match an enabled
 * user. A token works as a Bearer token and as the password of HTTP Basic (with its
 * owner's username), which is how `helm repo add --password <token>` uses it.
 */
export async function authenticate(
  db: Queryable,
  creds: Credentials,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): Promise<Principal | null> {
  if (creds.scheme === 'bearer' || looksLikeToken(creds.secret)) {
    const token = await userForToken(db, creds.secret);
    if (token !== null) {
      const rows = await db.query<UserAuthRow>(`${USER_AUTH_SELECT} WHERE u.id = $1`, [token.userId]);
      const user = rows[0];
      if (!user || user.disabled) return null;
      if (creds.username !== null && creds.username !== user.username) return null;
      return toPrincipal(user, 'token', token.expiresAt);
    }
    if (creds.scheme === 'bearer') return null;
  }
  const rows = await db.query<UserAuthRow>(`${USER_AUTH_SELECT} WHERE u.username = $1`, [creds.username]);
  const user = rows[0];
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
