// Users: accounts with a platform role. Usernames are DNS-label-like.
import { endUserSessions } from './sessions.js';
import type { Database, Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { DEFAULT_SCRYPT_COST, hashPassword, verifyPassword, type ScryptCost } from './passwords.js';
import { requireHeld, type Permission } from './permissions.js';
import { DNS_LABEL_RE } from '../names.js';

export const USERNAME_RE = DNS_LABEL_RE;
export const MIN_PASSWORD_LENGTH = 8;

export interface User {
  username: string;
  displayName: string;
  email: string;
  role: string;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

interface UserRow {
  id: number;
  username: string;
  display_name: string;
  email: string;
  platform_role: string;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, username, display_name, email, platform_role, disabled, created_at, updated_at';

/** Joins the user (as `u`, null when none) whose id is the column `on`. */
export const joinUser = (on: string): string => `LEFT JOIN users u ON u.id = ${on}`;

export const toUser = (r: UserRow): User => ({
  username: r.username,
  displayName: r.display_name,
  email: r.email,
  role: r.platform_role,
  disabled: r.disabled,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('validation-failed', `the password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  }
}

/** The permissions of an existing role; validation-failed when there is no such role. */
async function rolePermissions(q: Queryable, role: string): Promise<string[]> {
  const rows = await q.query<{ permissions: string[] }>('SELECT permissions FROM roles WHERE name = $1', [role]);
  if (!rows[0]) throw new AppError('validation-failed', `role ${JSON.stringify(role)} does not exist`);
  return rows[0].permissions;
}

/** Refuses giving `role` to anyone when it holds a permission the actor lacks. */
async function checkMayGiveRole(q: Queryable, actor: ReadonlySet<Permission>, role: string): Promise<void> {
  requireHeld(actor, await rolePermissions(q, role), `giving role ${JSON.stringify(role)}`);
}

/** Refuses acting on a user whose role holds a permission the actor lacks. */
async function checkReaches(
  q: Queryable,
  actor: ReadonlySet<Permission>,
  user: UserRow,
  action: string,
): Promise<void> {
  requireHeld(
    actor,
    await rolePermissions(q, user.platform_role),
    `${action} user ${JSON.stringify(user.username)} (role ${JSON.stringify(user.platform_role)})`,
  );
}

export async function findUserRow(q: Queryable, username: string): Promise<(UserRow & { id: number }) | null> {
  if (!USERNAME_RE.test(username)) return null;
  const rows = await q.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [username]);
  return rows[0] ?? null;
}

export async function getUser(q: Queryable, username: string): Promise<User> {
  const row = await findUserRow(q, username);
  if (!row) throw new AppError('not-found', `user ${JSON.stringify(username)} not found`);
  return toUser(row);
}

export async function listUsers(
  q: Queryable,
  limit: number,
  after: string | null,
): Promise<{ items: User[]; next: string | null }> {
  const rows = await q.query<UserRow>(
    `SELECT ${COLUMNS} FROM users WHERE ($1::text IS NULL OR username > $1) ORDER BY username LIMIT $2`,
    [after, limit + 1],
  );
  const more = rows.length > limit;
  const items = rows.slice(0, limit).map(toUser);
  return { items, next: more ? (items[items.length - 1]?.username ?? null) : null };
}

export interface NewUser {
  username: string;
  password: string;
  role: string;
  displayName?: string;
  email?: string;
}

/** Creates a user; `actor` is what the caller holds: the role given must not hold more. */
export async function createUser(
  q: Queryable,
  input: NewUser,
  actor: ReadonlySet<Permission>,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): Promise<User> {
  if (!USERNAME_RE.test(input.username)) {
    throw new AppError(
      'validation-failed',
      `username ${JSON.stringify(input.username)} must be a DNS label: lower-case letters, digits and "-", at most 63 characters`,
    );
  }
  checkPassword(input.password);
  await checkMayGiveRole(q, actor, input.role);
  const hash = await hashPassword(input.password, cost);
  const rows = await q.query<UserRow>(
    `INSERT INTO users (username, password_hash, platform_role, display_name, email) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
    [input.username, hash, input.role, input.displayName ?? '', input.email ?? ''],
  );
  if (!rows[0]) throw new AppError('user-exists', `user ${JSON.stringify(input.username)} already exists`);
  return toUser(rows[0]);
}

/**
 * Refuses a change that would leave no enabled user able to manage users, counting
 * everyone but the user (or the holders of the role) the change takes the power from.
 */
export async function keepAnAdmin(q: Queryable, except: { userId: number } | { role: string }): Promise<void> {
  const [column, value] = 'userId' in except ? ['u.id', except.userId] : ['r.name', except.role];
  const rows = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM users u JOIN roles r ON r.name = u.platform_role
      WHERE NOT u.disabled AND 'users.manage' = ANY (r.permissions) AND ${column} <> $1`,
    [value],
  );
  if ((rows[0]?.n ?? 0) === 0) {
    throw new AppError('conflict', 'this would leave no enabled user who can manage users');
  }
}

export interface UserPatch {
  role?: string;
  displayName?: string;
  email?: string;
  disabled?: boolean;
  password?: string;
}

/** Only someone holding everything the user's current role and the new role hold may change them. */
async function checkMayUpdate(
  q: Queryable,
  actor: ReadonlySet<Permission>,
  row: UserRow | undefined,
  username: string,
  patch: UserPatch,
): Promise<UserRow> {
  if (!row) throw new AppError('not-found', `user ${JSON.stringify(username)} not found`);
  await checkReaches(q, actor, row, 'changing');
  if (patch.role !== undefined) await checkMayGiveRole(q, actor, patch.role);
  return row;
}

export async function updateUser(
  db: Database,
  username: string,
  patch: UserPatch,
  actor: ReadonlySet<Permission>,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): Promise<User> {
  if (patch.password !== undefined) checkPassword(patch.password);
  let hash: string | null = null;
  if (patch.password !== undefined) {
    // Refuse before spending a hash on a change that is not allowed; checked again under the lock.
    const current = (await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [username]))[0];
    await checkMayUpdate(db, actor, current, username, patch);
    hash = await hashPassword(patch.password, cost);
  }
  return db.tx(async (q) => {
    const rows = await q.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1 FOR UPDATE`, [username]);
    const row = await checkMayUpdate(q, actor, rows[0], username, patch);
    const losesAdmin = patch.disabled === true || (patch.role !== undefined && patch.role !== row.platform_role);
    if (losesAdmin) {
      const stillAdmin =
        patch.disabled !== true && patch.role !== undefined
          ? (await q.query("SELECT 1 FROM roles WHERE name = $1 AND 'users.manage' = ANY (permissions)", [patch.role]))
              .length > 0
          : false;
      if (!stillAdmin) await keepAnAdmin(q, { userId: row.id });
    }
    const updated = await q.query<UserRow>(
      `UPDATE users SET platform_role = COALESCE($2, platform_role), display_name = COALESCE($3, display_name),
         email = COALESCE($4, email), disabled = COALESCE($5, disabled), password_hash = COALESCE($6, password_hash),
         updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [row.id, patch.role ?? null, patch.displayName ?? null, patch.email ?? null, patch.disabled ?? null, hash],
    );
    // Disabling ends the user's console sessions (they are refused at once anyway, and
    // must not come back on re-enabling); so does a password set by an administrator.
    if (patch.disabled === true || hash !== null) await endUserSessions(q, row.id);
    return toUser(updated[0] as UserRow);
  });
}

export async function deleteUser(db: Database, username: string, actor: ReadonlySet<Permission>): Promise<void> {
  await db.tx(async (q) => {
    const row = (await q.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1 FOR UPDATE`, [username]))[0];
    if (!row) throw new AppError('not-found', `user ${JSON.stringify(username)} not found`);
    await checkReaches(q, actor, row, 'deleting');
    await keepAnAdmin(q, { userId: row.id });
    await q.query('DELETE FROM users WHERE id = $1', [row.id]);
  });
}

export async function changeOwnPassword(
  db: Database,
  userId: number,
  current: string,
  next: string,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
  /** The console session making the change, kept; the user's other sessions end. */
  keepSession: string | null = null,
): Promise<void> {
  checkPassword(next);
  const rows = await db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [userId]);
  const stored = rows[0]?.password_hash;
  if (!stored || !(await verifyPassword(current, stored))) {
    throw new AppError('forbidden', 'the current password is not correct');
  }
  if (current === next) throw new AppError('validation-failed', 'the new password must differ from the current one');
  const hash = await hashPassword(next, cost);
  await db.tx(async (q) => {
    await q.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [userId, hash]);
    await endUserSessions(q, userId, keepSession);
  });
}
