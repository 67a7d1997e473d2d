// Categories of the store: a unique name, a description and an icon. The built-in
// `uncategorized` always exists; a category that holds apps cannot be deleted.
import type { Database, Queryable } from '../db/database.js';
import type { BlobStore } from '../blobs/index.js';
import { AppError } from '../errors.js';
import { bumpStoreRevision } from '../lifecycle/store-state.js';
import { deleteIfUnreferenced, swapBlob } from '../blobs/references.js';

export interface Category {
  id: number;
  name: string;
  description: string;
  builtin: boolean;
  hasIcon: boolean;
  iconDigest: string | null;
  iconType: string | null;
  /** Apps the store shows in this category. */
  storeApps: number;
}

interface CategoryRow {
  id: number;
  name: string;
  description: string;
  builtin: boolean;
  icon_digest: string | null;
  icon_type: string | null;
  store_apps: number;
}

// Store-visible: not suspended, at least one active version.
export const STORE_APP_CONDITION = `NOT a.suspended AND EXISTS (SELECT 1 FROM app_versions v WHERE v.app_id = a.id AND v.state = 'active')`;

const SELECT = `SELECT c.id, c.name, c.description, c.builtin, c.icon_digest, c.icon_type,
  (SELECT count(*)::int FROM apps a WHERE a.category_id = c.id AND ${STORE_APP_CONDITION}) AS store_apps
  FROM categories c`;

const toCategory = (r: CategoryRow): Category => ({
  id: r.id,
  name: r.name,
  description: r.description,
  builtin: r.builtin,
  hasIcon: r.icon_digest !== null,
  iconDigest: r.icon_digest,
  iconType: r.icon_type,
  storeApps: r.store_apps,
});

export async function listCategories(q: Queryable): Promise<Category[]> {
  return (await q.query<CategoryRow>(`${SELECT} ORDER BY c.builtin DESC, c.name`)).map(toCategory);
}

/** By id (number or digits) or by name. */
export async function findCategory(q: Queryable, ref: string | number): Promise<Category | null> {
  const byId = typeof ref === 'number' || /^\d{1,9}$/.test(ref);
  const rows = await q.query<CategoryRow>(`${SELECT} WHERE ${byId ? 'c.id = $1::int' : 'c.name = $1'}`, [String(ref)]);
  return rows[0] ? toCategory(rows[0]) : null;
}

export async function getCategory(q: Queryable, ref: string | number): Promise<Category> {
  const c = await findCategory(q, ref);
  if (!c) throw new AppError('not-found', `category ${JSON.stringify(String(ref))} not found`);
  return c;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 64) {
    throw new AppError('validation-failed', 'a category name needs 1 to 64 characters');
  }
  if (/^\d+$/.test(trimmed)) {
    throw new AppError('validation-failed', 'a category name cannot be only digits (they would read as an id)');
  }
  return trimmed;
}

export async function createCategory(q: Queryable, input: { name: string; description?: string }): Promise<Category> {
  const name = checkName(input.name);
  const rows = await q.query<{ id: number }>(
    'INSERT INTO categories (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id',
    [name, input.description ?? ''],
  );
  if (!rows[0]) throw new AppError('category-exists', `category ${JSON.stringify(name)} already exists`);
  return getCategory(q, rows[0].id);
}

export async function updateCategory(
  db: Database,
  ref: string,
  patch: { name?: string; description?: string },
): Promise<Category> {
  return db.tx(async (q) => {
    const c = await getCategory(q, ref);
    const name = patch.name !== undefined ? checkName(patch.name) : null;
    if (c.builtin && name !== null && name !== c.name) {
      throw new AppError('category-builtin', `the built-in category ${JSON.stringify(c.name)} cannot be renamed`);
    }
    if (name !== null && name !== c.name && (await findCategory(q, name))) {
      throw new AppError('category-exists', `category ${JSON.stringify(name)} already exists`);
    }
    await q.query(
      'UPDATE categories SET name = COALESCE($2, name), description = COALESCE($3, description), updated_at = now() WHERE id = $1',
      [c.id, name, patch.description ?? null],
    );
    await bumpStoreRevision(q);
    return getCategory(q, c.id);
  });
}

export async function deleteCategory(db: Database, blobs: BlobStore, ref: string): Promise<void> {
  await db.tx(async (q) => {
    const c = await getCategory(q, ref);
    await q.query('SELECT id FROM categories WHERE id = $1 FOR UPDATE', [c.id]);
    if (c.builtin) {
      throw new AppError('category-builtin', `the built-in category ${JSON.stringify(c.name)} cannot be deleted`);
    }
    const apps = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM apps WHERE category_id = $1', [c.id]);
    const n = apps[0]?.n ?? 0;
    if (n > 0) {
      throw new AppError('category-in-use', `category ${JSON.stringify(c.name)} holds ${n} app(s); move them first`);
    }
    await q.query('DELETE FROM categories WHERE id = $1', [c.id]);
    if (c.iconDigest) await deleteIfUnreferenced(q, blobs, c.iconDigest);
  });
}

export async function setCategoryIcon(
  db: Database,
  blobs: BlobStore,
  ref: string,
  bytes: Buffer,
  contentType: string,
): Promise<Category> {
  const c = await getCategory(db, ref);
  await swapBlob(db, blobs, bytes, c.iconDigest, async (q, digest) => {
    await q.query('UPDATE categories SET icon_digest = $2, icon_type = $3, updated_at = now() WHERE id = $1', [
      c.id,
      digest,
      contentType,
    ]);
  });
  return getCategory(db, c.id);
}
