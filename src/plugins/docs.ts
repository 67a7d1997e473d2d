// The API contract at /openapi.json and interactive docs at /docs, from
// openapi/openapi.yaml as it is written (the request schemas routes use are generated from it too).
import fp from 'fastify-plugin';
import fs from 'node:fs/promises';
import yaml from 'js-yaml';
import swaggerUi from '@fastify/swagger-ui';
import { projectPath } from '../paths.js';
import { access } from '../http/access.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The contract: parsed, or as the YAML text it is written in. */
    swagger(opts?: { yaml?: boolean }): Record<string, unknown> | string;
  }
}

/**
 * What @fastify/swagger-ui asks of the plugin it depends on (by that plugin's name): a
 * `swagger()` that returns the document, or its YAML text. The file is read at start and
 * parsed on the first request that needs it: parsing 4,000 lines of YAML is a tenth of a
 * second of every start otherwise, for a page few starts are asked for.
 */
const contract = fp(
  async (app) => {
    const text = await fs.readFile(projectPath('openapi', 'openapi.yaml'), 'utf8');
    let document: Record<string, unknown> | null = null;
    app.decorate('swagger', (opts?: { yaml?: boolean }) => {
      if (opts?.yaml) return text;
      document ??= yaml.load(text) as Record<string, unknown>;
      return document;
    });
  },
  { name: '@fastify/swagger' },
);

export default fp(
  async (app) => {
    await app.register(async (docs) => {
      // Everything the docs UI serves is public, like the contract itself.
      docs.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), access: access.public };
      });
      // The file is checked against the OpenAPI 3.1 schema by test/openapi.test.ts.
      await docs.register(contract);
      await docs.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
      docs.get('/openapi.json', async () => docs.swagger());
    });
  },
  { name: 'chartroom-docs' },
);
