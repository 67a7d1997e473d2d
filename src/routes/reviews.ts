// The review queue for app-templates.view holders: submitted versions waiting for a
// decision (unprocessed) and versions already passed or rejected (processed).
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { requireUser } from '../plugins/auth.js';
import { DETAIL_SELECT, toDetail } from '../apps/version-detail.js';
import { APP_SELECT, toApp } from '../apps/apps.js';
import { listEvents } from '../lifecycle/audit.js';
import { actorsFor, appJson, versionJson } from './presenters.js';
import { workspaceRole } from '../auth/principal.js';
import { decodeOffset, encodeCursor } from './paging.js';

interface Query {
  status?: 'unprocessed' | 'processed';
  q?: string;
  limit?: number;
  cursor?: string;
}

export default async function reviewRoutes(server: FastifyInstance): Promise<void> {
  server.get<{ Querystring: Query }>(
    '/api/v1/reviews',
    {
      schema: {
        querystring: {
          type: 'object', additionalProperties: false,
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
      const p = requireUser(request);
      if (!p.permissions.has('app-templates.view')) throw new AppError('forbidden', 'the review queue needs the app-templates.view permission');
      const processed = request.query.status === 'processed';
      const limit = request.query.limit ?? 20;
      const offset = decodeOffset(request.query.cursor);
      const params: unknown[] = [];
      let filter = processed
        ? "v.reviewed_at IS NOT NULL AND v.state <> 'submitted'"
        : "v.state = 'submitted'";
      if (request.query.q) {
        params.push(`%${request.query.q.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
        filter += ` AND (lower(a.name) LIKE $1 OR lower(a.description) LIKE $1 OR lower(w.name) LIKE $1 OR lower(v.version) LIKE $1)`;
      }
      const order = processed ? 'v.reviewed_at DESC, v.id DESC' : 'v.submitted_at DESC, v.id DESC';
      const rows = await server.db.query<Parameters<typeof toDetail>[0] & { workspace: string; readme: string | null }>(
        `${DETAIL_SELECT.replace('FROM app_versions v', ', v.readme, w.name AS workspace FROM app_versions v JOIN apps a ON a.id = v.app_id JOIN workspaces w ON w.id = a.workspace_id')}
          WHERE ${filter} ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, limit + 1, offset],
      );
      const items = [];
      for (const r of rows.slice(0, limit)) {
        const v = toDetail(r);
        const appRow = (await server.db.query<Parameters<typeof toApp>[0]>(`${APP_SELECT} WHERE a.id = $1`, [v.appId]))[0];
        if (!appRow) continue;
        const a = toApp(appRow);
        const actors = actorsFor(p, await workspaceRole(server.db, p, a.workspaceId));
        items.push({
          app: appJson(a, r.workspace),
          version: versionJson(v, a.name, r.workspace, actors),
          readme: r.readme,
          events: (await listEvents(server.db, a.id, v.version)).items,
        });
      }
      return { items, nextCursor: rows.length > limit ? encodeCursor(String(offset + limit)) : null };
    },
  );
}
