// The review queue for app-templates.view holders: submitted versions waiting for a
// decision (unprocessed) and versions already passed or rejected (processed).
import type { FastifyInstance } from 'fastify';
import { listReviews } from '../versions/app-versions.js';
import { appJson, versionJson } from './presenters.js';
import { actorsFor } from '../accounts/principal.js';
import { effectiveWorkspaceRole } from '../accounts/principal.js';
import { decodeOffset, encodeCursor } from './paging.js';
import { access, caller } from '../http/access.js';

interface Query {
  status?: 'unprocessed' | 'processed';
  q?: string;
  limit?: number;
  cursor?: string;
}

export default async function reviewRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: Query }>(
    '/api/v1/reviews',
    {
      config: { access: access.permission('app-templates.view') },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['unprocessed', 'processed'], default: 'unprocessed' },
            q: { type: 'string', maxLength: 200 },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            cursor: { type: 'string', maxLength: 512 },
          },
        },
      },
    },
    async (request) => {
      const p = caller(request);
      const processed = request.query.status === 'processed';
      const limit = request.query.limit ?? 20;
      const offset = decodeOffset(request.query.cursor);
      const page = await listReviews(app.db, { processed, q: request.query.q, limit, offset, userId: p.userId });
      const items = page.items.map((i) => ({
        app: appJson(i.app, i.workspace),
        version: versionJson(i.version, i.app.name, i.workspace, actorsFor(p, effectiveWorkspaceRole(p, i.memberRole))),
        readme: i.readme,
        events: i.events,
      }));
      return { items, nextCursor: page.more ? encodeCursor(String(offset + limit)) : null };
    },
  );
}
