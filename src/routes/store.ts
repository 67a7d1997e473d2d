// The store: a Helm repository of every active version of apps that are not
// suspended (storeRepoRoutes under /store: index.yaml, charts/<file>), and its browsing
// API (storeApiRoutes under /api/v1/store/apps); src/app.ts gives the prefixes.
// Anyone may read it, or only signed-in users when CHARTROOM_STORE_PUBLIC=false.
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { AppError } from '../errors.js';
import { toIndexEntry } from '../index/render.js';
import { findStoreVersionByFile, getStoreApp, listStoreApps, type StoreVersion } from '../store/store.js';
import { listCategories } from '../store/categories.js';
import { repoBaseUrl, sendIcon, sendIndex, sendPackage } from '../http/send.js';
import { storeIndex } from '../http/repo-indexes.js';
import { appJson } from './presenters.js';
import { withSafeLinks } from '../apps/app-info.js';
import { decodeOffset, encodeCursor } from './paging.js';
import { access } from '../http/access.js';
import * as contract from '../http/contract.generated.js';

function storeVersionJson(v: StoreVersion, baseUrl: string | null) {
  // The index entry's fields, minus links a browser should not follow (the index itself keeps them).
  const entry = withSafeLinks(toIndexEntry(v, baseUrl));
  return { ...entry, releasedAt: v.releasedAt?.toISOString() ?? null, updateLog: v.updateLog };
}

export const storeRepoRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  const cache = app.config.storePublic ? 'public, no-cache' : 'private, no-cache';

  app.get(
    '/index.yaml',
    { schema: contract.getStoreIndex, config: { access: access.store } },
    async (request, reply) => {
      return sendIndex(request, reply, await storeIndex(app), cache);
    },
  );

  app.get(
    '/charts/:file',
    { schema: contract.getStoreChartFile, config: { access: access.store } },
    async (request, reply) => {
      const file = request.params.file;
      const hit = await app.db.cached(`store-package:${file}`, () => findStoreVersionByFile(app.db, file));
      const digest = hit ? (hit.prov ? hit.version.provDigest : hit.version.digest) : null;
      if (!hit || !digest) throw new AppError('not-found', `${request.params.file} is not in the store`);
      return sendPackage(request, reply, digest, {
        prov: hit.prov,
        cacheControl: app.config.storePublic ? 'public, max-age=300' : 'private, max-age=300',
      });
    },
  );
};

export const storeApiRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  app.get('', { schema: contract.listStoreApps, config: { access: access.store } }, async (request) => {
    const limit = request.query.limit;
    const offset = decodeOffset(request.query.cursor);
    const listing = await listStoreApps(app.db, {
      category: request.query.category,
      q: request.query.q,
      sort: request.query.sort,
      limit,
      offset,
    });
    const baseUrl = repoBaseUrl(app, '/store');
    return {
      items: listing.items.map((i) => ({
        ...appJson(i.app, i.workspace),
        icon: i.app.iconDigest ? `/api/v1/store/apps/${i.app.name}/icon` : null,
        latestVersion: storeVersionJson(i.latest, baseUrl),
        versionCount: i.versions,
        lastReleasedAt: i.lastReleasedAt?.toISOString() ?? null,
      })),
      total: listing.total,
      nextCursor: offset + limit < listing.total ? encodeCursor(String(offset + limit)) : null,
      categories: (await listCategories(app.db)).map((c) => ({ id: c.id, name: c.name, storeApps: c.storeApps })),
    };
  });

  app.get('/:name', { schema: contract.getStoreApp, config: { access: access.store } }, async (request) => {
    const s = await getStoreApp(app.db, request.params.name);
    const baseUrl = repoBaseUrl(app, '/store');
    return {
      ...appJson(s.app, s.workspace),
      icon: s.app.iconDigest ? `/api/v1/store/apps/${s.app.name}/icon` : null,
      versions: s.versions.map((v) => storeVersionJson(v, baseUrl)),
      readme: s.readme,
      values: s.values,
    };
  });

  app.get(
    '/:name/icon',
    { schema: contract.getStoreAppIcon, config: { access: access.store } },
    async (request, reply) => {
      const s = await getStoreApp(app.db, request.params.name);
      return sendIcon(
        request,
        reply,
        { digest: s.app.iconDigest, type: s.app.iconType },
        `app ${JSON.stringify(s.app.name)} has no icon`,
      );
    },
  );
};
