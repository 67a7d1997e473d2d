// The store: a Helm repository of every active version of apps that are not
// suspended (GET /store/index.yaml, /store/charts/<file>), and its browsing API.
// Anyone may read it, or only signed-in users when CHARTROOM_STORE_PUBLIC=false.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { renderIndex, toIndexEntry } from '../index/render.js';
import { storeRevision } from '../lifecycle/store-state.js';
import {
  findStoreVersionByFile,
  getStoreApp,
  listStoreApps,
  listStoreVersions,
  type StoreVersion,
} from '../store/store.js';
import { listCategories } from '../categories/categories.js';
import { repoBaseUrl, sendIcon, sendIndex, sendPackage } from '../http/send.js';
import { appJson } from './presenters.js';
import { withSafeLinks } from '../apps/app-info.js';
import { decodeOffset, encodeCursor } from './paging.js';
import { access } from '../http/access.js';

function storeVersionJson(v: StoreVersion, baseUrl: string | null) {
  // The index entry's fields, minus links a browser should not follow (the index itself keeps them).
  const entry = withSafeLinks(toIndexEntry(v, baseUrl));
  return { ...entry, releasedAt: v.releasedAt?.toISOString() ?? null, updateLog: v.updateLog };
}

interface ListQuery {
  category?: string;
  q?: string;
  sort?: 'newest' | 'name';
  limit?: number;
  cursor?: string;
}

export default async function storeRoutes(app: FastifyInstance): Promise<void> {
  const cache = app.config.storePublic ? 'public, no-cache' : 'private, no-cache';

  app.get('/store/index.yaml', { config: { access: access.store } }, async (request, reply) => {
    const revision = await app.db.cached('store-revision', () => storeRevision(app.db));
    const index = await app.indexCache.get('store', String(revision), async () =>
      renderIndex(await listStoreVersions(app.db), { baseUrl: repoBaseUrl(app, '/store') }),
    );
    return sendIndex(request, reply, index, cache);
  });

  app.get<{ Params: { file: string } }>(
    '/store/charts/:file',
    { config: { access: access.store } },
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

  app.get<{ Querystring: ListQuery }>(
    '/api/v1/store/apps',
    {
      config: { access: access.store },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            category: { type: 'string', maxLength: 64 },
            q: { type: 'string', maxLength: 200 },
            sort: { type: 'string', enum: ['newest', 'name'], default: 'newest' },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            cursor: { type: 'string', maxLength: 512 },
          },
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 20;
      const offset = decodeOffset(request.query.cursor);
      const listing = await listStoreApps(app.db, {
        category: request.query.category,
        q: request.query.q,
        sort: request.query.sort ?? 'newest',
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
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/store/apps/:name',
    { config: { access: access.store } },
    async (request) => {
      const s = await getStoreApp(app.db, request.params.name);
      const baseUrl = repoBaseUrl(app, '/store');
      return {
        ...appJson(s.app, s.workspace),
        icon: s.app.iconDigest ? `/api/v1/store/apps/${s.app.name}/icon` : null,
        versions: s.versions.map((v) => storeVersionJson(v, baseUrl)),
        readme: s.readme,
        values: s.values,
      };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/store/apps/:name/icon',
    { config: { access: access.store } },
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
}
