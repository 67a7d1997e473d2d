// The two kinds of Helm repository index, as the routes serve them and as the warm-up
// after a start loads them (src/plugins/index-warmup.ts).
import type { FastifyInstance } from 'fastify';
import type { IndexSnapshot } from '../index/snapshot.js';
import { storeRevision } from '../lifecycle/store-state.js';
import { listStoreVersions } from '../store/store.js';
import { listWorkspaceVersions } from '../versions/versions.js';
import type { Workspace } from '../workspaces/workspaces.js';
import { repoBaseUrl } from './send.js';

/** A workspace's index at (at least) the revision `workspace` was read at. */
export function workspaceIndex(app: FastifyInstance, workspace: Workspace): Promise<IndexSnapshot> {
  return app.indexes.get({ workspaceId: workspace.id }, workspace, {
    baseUrl: repoBaseUrl(app, `/workspaces/${workspace.name}`),
    versions: (q, names) => listWorkspaceVersions(q, workspace.id, names),
  });
}

/** The store's index at its current revision. */
export async function storeIndex(app: FastifyInstance): Promise<IndexSnapshot> {
  const revision = await app.db.cached('store-revision', () => storeRevision(app.db));
  return app.indexes.get({ store: true }, revision, {
    baseUrl: repoBaseUrl(app, '/store'),
    versions: (q, names) => listStoreVersions(q, names),
  });
}
