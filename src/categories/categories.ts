// The categories table: a unique name, a description and an icon. The built-in
// `uncategorized` always exists. How many apps the store shows in each, and the rule
// that a category holding apps cannot be deleted, need the apps and their versions:
// src/store/categories.ts composes those over the functions here.
import type { Database, Queryable } from '../db/database.js';
import type { BlobStore } from '../blobs/index.js';
import { AppError } from '../errors.js';
import { bumpStoreRevision } from '../lifecycle/store-state.js';
import { swapBlob } from '../blobs/references.js';

export interface CategoryRecord {
  id: number;
  name: string;
  description: string;
  builtin: boolean;
  hasIcon: boolean;
  iconDigest: string | null;
  iconType: string | null;
}

interface CategoryRow {
  id: number;
  name: string;
  description: string;
  builtin: boolean;
  icon_digest: string | null;
  icon_type: string | null;
}

const SELECT = 'SELECT c.id, c.name, c.description, c.builtin, c.icon_digest, c.icon_type FROM categories c';

const toCategory = (r: CategoryRow): CategoryRecord => ({
  id: r.id,
  name: r.name,
  description: r.description,
  builtin: r.builtin,
  hasIcon: r.icon_digest !== null,
  iconDigest: r.icon_digest,
  iconType: r.icon_type,
});

/** Joins the category (as `c`, null when none) whose id is the column `on`. */
export const joinCategory = (on: string): string => `LEFT JOIN categories c ON c.id = ${on}`;

/** A reference to a category is its id (up to nine digits) or its name. */
const isId = (ref: string | number): boolean => typeof ref === 'number' || /^\d{1,9}$/.test(ref);

/** The condition on `c` that picks the category `ref` names, whose text is the query parameter `param`. */
export const categoryIs = (ref: string | number, param: string): string =>
  isId(ref) ? `c.id = ${param}::int` : `c.name = ${param}`;

export async function listCategoryRecords(q: Queryable): Promise<CategoryRecord[]> {
  return (await q.query<CategoryRow>(`${SELECT} ORDER BY c.builtin DESC, c.name`)).map(toCategory);
}

/** By id (number or digits) or by name. */
export async function findCategory(q: Queryable, ref: string | number): Promise<CategoryRecord | null> {
  const rows = await q.query<CategoryRow>(`${SELECT} WHERE ${categoryIs(ref, '$1')}`, [String(ref)]);
  return rows[0] ? toCategory(rows[0]) : null;
}

export async function getCategoryRecord(q: Queryable, ref: string | number): Promise<CategoryRecord> {
  const c = await findCategory(q, ref);
  if (!c) throw new AppError('not-found', `category ${JSON.stringify(String(ref))} not found`);
  return c;
}

/** Inside a transaction: the category, its row locked against concurrent changes. */
export async function lockCategory(q: Queryable, ref: string): Promise<CategoryRecord> {
  const c = await getCategoryRecord(q, ref);
  await q.query('SELECT id FROM categories WHERE id = $1 FOR UPDATE', [c.id]);
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

/** Returns the new category's id. */
export async function insertCategory(q: Queryable, input: { name: string; description?: string }): Promise<number> {
  const name = checkName(input.name);
  const rows = await q.query<{ id: number }>(
    'INSERT INTO categories (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id',
    [name, input.description ?? ''],
  );
  if (!rows[0]) throw new AppError('category-exists', `category ${JSON.stringify(name)} already exists`);
  return rows[0].id;
}

/** Returns the category's id. */
export async function updateCategoryRecord(
  db: Database,
  ref: string,
  patch: { name?: string; description?: string },
): Promise<number> {
  return db.tx(async (q) => {
    const c = await getCategoryRecord(q, ref);
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
    return c.id;
  });
}

/** Inside a transaction, after the caller checked that nothing uses it: deletes the row. */
export async function deleteCategoryRow(q: Queryable, id: number): Promise<void> {
  await q.query('DELETE FROM categories WHERE id = $1', [id]);
}

/** Returns the category's id. */
export async function setCategoryIconRecord(
  db: Database,
  blobs: BlobStore,
  ref: string,
  bytes: Buffer,
  contentType: string,
): Promise<number> {
  const c = await getCategoryRecord(db, ref);
  await swapBlob(db, blobs, bytes, c.iconDigest, async (q, digest) => {
    await q.query('UPDATE categories SET icon_digest = $2, icon_type = $3, updated_at = now() WHERE id = $1', [
      c.id,
      digest,
      contentType,
    ]);
  });
  return c.id;
}
