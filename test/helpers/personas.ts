// The people of the authorization tests, created through the API as the admin:
// a platform-regular non-member, the three workspace roles in `demo`, a reviewer
// holding the custom role app-review (app-templates.view + .manage), and admin.
import type { FastifyInstance } from 'fastify';
import { adminAuth, basic, ADMIN_PASSWORD } from './app.js';

export const PERSONAS = ['anonymous', 'regular', 'viewer', 'wsregular', 'wsadmin', 'reviewer', 'admin'] as const;
export type Persona = (typeof PERSONAS)[number];

export const MEMBER_ROLE: Partial<Record<Persona, string>> = {
  viewer: 'workspace-viewer',
  wsregular: 'workspace-regular',
  wsadmin: 'workspace-admin',
};

export class People {
  readonly passwords = new Map<Persona, string>([['admin', ADMIN_PASSWORD]]);
  constructor(private readonly app: FastifyInstance) {}

  headers(p: Persona): Record<string, string> {
    if (p === 'anonymous') return {};
    const user = p === 'admin' ? 'admin' : p;
    return { authorization: basic(user, this.passwords.get(p) ?? '') };
  }

  async as(p: Persona, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) {
    return this.app.inject({
      method: method as 'GET',
      url,
      headers: { ...this.headers(p), ...headers },
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
  }

  async admin(method: string, url: string, payload?: unknown) {
    const res = await this.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: adminAuth },
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url} as admin: ${res.statusCode} ${res.body}`);
    return res;
  }

  /** Creates the role app-review, every persona's user, and workspace `demo` with its members. */
  async setUp(ws = 'demo'): Promise<void> {
    await this.admin('POST', '/api/v1/roles', {
      name: 'app-review',
      permissions: ['app-templates.view', 'app-templates.manage'],
      description: 'App Template viewing and management',
    });
    for (const p of PERSONAS) {
      if (p === 'anonymous' || p === 'admin') continue;
      const password = `${p}-password-123`;
      await this.admin('POST', '/api/v1/users', {
        username: p,
        password,
        role: p === 'reviewer' ? 'app-review' : 'platform-regular',
      });
      this.passwords.set(p, password);
    }
    await this.admin('POST', '/api/v1/workspaces', { name: ws });
    await this.addMembers(ws);
  }

  async addMembers(ws: string): Promise<void> {
    for (const [p, role] of Object.entries(MEMBER_ROLE)) {
      await this.admin('PUT', `/api/v1/workspaces/${ws}/members/${p}`, { role });
    }
  }
}
