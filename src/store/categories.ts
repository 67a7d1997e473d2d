// Categories as the store shows them: each with how many apps the store shows in it,
// and deleted only while it holds no app at all. The table and its rows are
// src/categories'; the counts need apps and their versions, which build on categories,
// so they are composed here.
import type { Database, Queryable } from '../db/database.js';
import type { BlobStore } from '../blobs/index.js';
import { AppError } from '../errors.js';
import { txReleasing } from '../blobs/references.js';
import {
  deleteCategoryRow,
  getCategoryRecord,
  insertCategory,
  listCategoryRecords,
  lockCategory,
  setCategoryIconRecord,
  updateCategoryRecord,
  type CategoryRecord,
} from '../categories/categories.js';
import { APP_FROM, countAppsInCategory } from '../apps/apps.js';
import { STORE_APP } from './store.js';

export interface Category extends CategoryRecord {
  /** Apps the store shows in this category. */
  storeApps: number;
}

/** The categories with their store apps: one query for every count. */
async function withStoreApps(q: Queryable, categories: CategoryRecord[]): Promise<Category[]> {
  if (categories.length === 0) return [];
  const rows = await q.query<{ category_id: number; n: number }>(
    `SELECT a.category_id, count(*)::int AS n FROM ${APP_FROM}
      WHERE a.category_id = ANY ($1::int[]) AND ${STORE_APP} GROUP BY a.category_id`,
    [categories.map((c) => c.id)],
  );
  const counts = new Map(rows.map((r) => [r.category_id, r.n]));
  return categories.map((c) => ({ ...c, storeApps: counts.get(c.id) ?? 0 }));
}

export async function listCategories(q: Queryable): Promise<Category[]> {
  return withStoreApps(q, await listCategoryRecords(q));
}

/** By id (number or digits) or by name. */
export async function getCategory(q: Queryable, ref: string | number): Promise<Category> {
  return (await withStoreApps(q, [await getCategoryRecord(q, ref)]))[0] as Category;
}

export async function createCategory(q: Queryable, input: { name: string; description?: string }): Promise<Category> {
  return getCategory(q, await insertCategory(q, input));
}

export async function updateCategory(
  db: Database,
  ref: string,
  patch: { name?: string; description?: string },
): Promise<Category> {
  return getCategory(db, await updateCategoryRecord(db, ref, patch));
}

export async function setCategoryIcon(
  db: Database,
  blobs: BlobStore,
  ref: string,
  bytes: Buffer,
  contentType: string,
): Promise<Category> {
  return getCategory(db, await setCategoryIconRecord(db, blobs, ref, bytes, contentType));
}

export async function deleteCategory(db: Database, blobs: BlobStore, ref: string): Promise<void> {
  await txReleasing(db, blobs, async (q, release) => {
    const c = await lockCategory(q, ref);
    if (c.builtin) {
      throw new AppError('category-builtin', `the built-in category ${JSON.stringify(c.name)} cannot be deleted`);
    }
    const n = await countAppsInCategory(q, c.id);
    if (n > 0) {
      throw new AppError('category-in-use', `category ${JSON.stringify(c.name)} holds ${n} app(s); move them first`);
    }
    await deleteCategoryRow(q, c.id);
    release(c.iconDigest);
  });
}
