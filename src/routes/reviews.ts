// The review queue for app-templates.view holders, at /api/v1/reviews (the prefix
// src/app.ts gives): submitted versions waiting for a decision (unprocessed) and versions
// already passed or rejected (processed).
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { listReviews } from '../versions/app-versions.js';
import { appJson, versionJson } from './presenters.js';
import { actorsFor } from '../accounts/principal.js';
import { effectiveWorkspaceRole } from '../accounts/principal.js';
import { decodeOffset, encodeCursor } from './paging.js';
import { access, caller } from '../http/access.js';
import * as contract from '../http/contract.generated.js';

const reviewRoutes: FastifyPluginAsyncJsonSchemaToTs = async (app) => {
  app.get(
    '',
    { schema: contract.listReviews, config: { access: access.permission('app-templates.view') } },
    async (request) => {
      const p = caller(request);
      const processed = request.query.status === 'processed';
      const limit = request.query.limit;
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
};

export default reviewRoutes;
