// Platform roles: the two built-in ones and custom roles made from the catalogue.
import type { Database, Queryable } from '../db/database.js';
import { AppError } from '../errors.js';
import { PERMISSIONS, requireHeld, type Permission } from './permissions.js';
import { DNS_LABEL_RE } from '../names.js';
import { keepAnAdmin } from './users.js';

export const ROLE_NAME_RE = DNS_LABEL_RE;

export interface Role {
  name: string;
  description: string;
  permissions: Permission[];
  builtin: boolean;
  users: number;
}

interface RoleRow {
  name: string;
  description: string;
  permissions: string[];
  builtin: boolean;
  users: number;
}

const SELECT = `SELECT r.name, r.description, r.permissions, r.builtin,
  (SELECT count(*)::int FROM users u WHERE u.platform_role = r.name) AS users FROM roles r`;

const toRole = (r: RoleRow): Role => ({
  name: r.name,
  description: r.description,
  permissions: [...r.permissions].sort() as Permission[],
  builtin: r.builtin,
  users: r.users,
});

function checkPermissions(perms: string[]): Permission[] {
  for (const p of perms) {
    // Own keys only: `in` would take "constructor" or "toString" for permissions.
    if (!Object.hasOwn(PERMISSIONS, p)) {
      throw new AppError('validation-failed', `unknown permission ${JSON.stringify(p)}; see GET /api/v1/permissions`);
    }
  }
  return [...new Set(perms)] as Permission[];
}

export async function listRoles(q: Queryable): Promise<Role[]> {
  return (await q.query<RoleRow>(`${SELECT} ORDER BY r.builtin DESC, r.name`)).map(toRole);
}

export async function getRole(q: Queryable, name: string): Promise<Role> {
  const row = (await q.query<RoleRow>(`${SELECT} WHERE r.name = $1`, [name]))[0];
  if (!row) throw new AppError('not-found', `role ${JSON.stringify(name)} not found`);
  return toRole(row);
}

/** Nobody makes a role hold a permission they lack; `actor` is what the caller holds. */
export async function createRole(
  q: Queryable,
  input: { name: string; permissions: string[]; description?: string },
  actor: ReadonlySet<Permission>,
): Promise<Role> {
  if (!ROLE_NAME_RE.test(input.name)) {
    throw new AppError(
      'validation-failed',
      `role name ${JSON.stringify(input.name)} must be a DNS label: lower-case letters, digits and "-"`,
    );
  }
  const perms = checkPermissions(input.permissions);
  requireHeld(actor, perms, `creating role ${JSON.stringify(input.name)}`);
  const rows = await q.query<{ name: string }>(
    'INSERT INTO roles (name, description, permissions) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING name',
    [input.name, input.description ?? '', perms],
  );
  if (!rows[0]) throw new AppError('role-exists', `role ${JSON.stringify(input.name)} already exists`);
  return getRole(q, input.name);
}

/** A role holding a permission the caller lacks is out of their reach: they may
 * neither change nor delete it (that would take the permission from its holders). */
function checkReaches(actor: ReadonlySet<Permission>, role: Role, action: string): void {
  requireHeld(actor, role.permissions, `${action} role ${JSON.stringify(role.name)}`);
}

export async function updateRole(
  db: Database,
  name: string,
  patch: { permissions?: string[]; description?: string },
  actor: ReadonlySet<Permission>,
): Promise<Role> {
  const perms = patch.permissions ? checkPermissions(patch.permissions) : null;
  return db.tx(async (q) => {
    await q.query('SELECT name FROM roles WHERE name = $1 FOR UPDATE', [name]);
    const role = await getRole(q, name);
    if (role.builtin) throw new AppError('role-builtin', `the built-in role ${JSON.stringify(name)} cannot be changed`);
    checkReaches(actor, role, 'changing');
    if (perms) requireHeld(actor, perms, `giving role ${JSON.stringify(name)} these permissions`);
    if (perms && !perms.includes('users.manage') && role.permissions.includes('users.manage')) {
      await keepAnAdmin(q, { role: name });
    }
    await q.query(
      'UPDATE roles SET permissions = COALESCE($2, permissions), description = COALESCE($3, description) WHERE name = $1',
      [name, perms, patch.description ?? null],
    );
    return getRole(q, name);
  });
}

export async function deleteRole(db: Database, name: string, actor: ReadonlySet<Permission>): Promise<void> {
  await db.tx(async (q) => {
    await q.query('SELECT name FROM roles WHERE name = $1 FOR UPDATE', [name]); // holds off new holders
    const role = await getRole(q, name);
    if (role.builtin) throw new AppError('role-builtin', `the built-in role ${JSON.stringify(name)} cannot be deleted`);
    checkReaches(actor, role, 'deleting');
    if (role.users > 0) {
      throw new AppError(
        'role-in-use',
        `role ${JSON.stringify(name)} is held by ${role.users} user(s); give them another role first`,
      );
    }
    await q.query('DELETE FROM roles WHERE name = $1', [name]);
  });
}
