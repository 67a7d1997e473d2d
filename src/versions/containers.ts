// Apps and workspaces hold versions. The operations on them whose rules depend on
// those versions are composed here, over each aggregate's own functions: versions
// build on apps and workspaces, so those modules cannot ask about versions themselves.
// - an app can be deleted only once it holds no versions;
// - a workspace only once none of its apps holds one (the empty apps go with it);
// - editing an app that has an active version moves the store revision.
import type { Database } from '../db/database.js';
import type { BlobStore } from '../blobs/index.js';
import { AppError } from '../errors.js';
import { bumpStoreRevision } from '../lifecycle/store-state.js';
import { txReleasing } from '../blobs/references.js';
import { findCategory } from '../categories/categories.js';
import {
  deleteAppRow,
  deleteAppsOfWorkspace,
  getApp,
  lockApp,
  writeAppInfo,
  type AppPatch,
  type AppRecord,
} from '../apps/apps.js';
import { bumpWorkspaceRevision, deleteWorkspaceRow, lockWorkspace } from '../workspaces/workspaces.js';
import { countAppsWithVersions, countVersions, hasActiveVersion } from './app-versions.js';

export async function updateAppInfo(
  db: Database,
  workspaceId: number,
  name: string,
  patch: AppPatch,
  actor: string,
): Promise<AppRecord> {
  return db.tx(async (q) => {
    const app = await getApp(q, workspaceId, name);
    let category = null;
    if (patch.category !== undefined) {
      category = await findCategory(q, patch.category);
      if (!category) {
        throw new AppError('validation-failed', `category ${JSON.stringify(patch.category)} does not exist`);
      }
    }
    const changed = await writeAppInfo(q, app, patch, category, actor);
    if (changed && (await hasActiveVersion(q, app.id))) await bumpStoreRevision(q);
    return getApp(q, workspaceId, name);
  });
}

export async function deleteApp(db: Database, blobs: BlobStore, workspaceId: number, name: string): Promise<void> {
  await txReleasing(db, blobs, async (q, release) => {
    const app = await lockApp(q, workspaceId, name);
    const n = await countVersions(q, app.id);
    if (n > 0) {
      throw new AppError('app-not-empty', `app ${JSON.stringify(name)} still has ${n} version(s); delete them first`);
    }
    await deleteAppRow(q, app);
    await bumpWorkspaceRevision(q, workspaceId);
    release(app.iconDigest);
  });
}

/** Deletes a workspace that holds no versions (its memberships go with it). */
export async function deleteWorkspace(db: Database, id: number, name: string): Promise<void> {
  await db.tx(async (q) => {
    await lockWorkspace(q, id);
    // Apps whose versions were all deleted hold nothing a user could lose.
    const n = await countAppsWithVersions(q, id);
    if (n > 0) {
      throw new AppError(
        'workspace-not-empty',
        `workspace ${JSON.stringify(name)} still holds ${n} app(s) with versions; delete them first`,
      );
    }
    await deleteAppsOfWorkspace(q, id);
    await deleteWorkspaceRow(q, id);
  });
}
