// A workspace with an ISV (workspace-regular), a reviewer (app-review), a viewer and
// an outsider, plus helpers to drive versions through the lifecycle over HTTP.
import type { FastifyInstance } from 'fastify';
import { People } from './personas.js';
import { multipart } from './app.js';
import { makeChart } from './tarball.js';

export class StoreFixture {
  readonly people: People;
  constructor(
    readonly app: FastifyInstance,
    readonly ws = 'demo',
  ) {
    this.people = new People(app);
  }

  async setUp(): Promise<this> {
    await this.people.setUp(this.ws);
    return this;
  }

  url(app: string, rest = ''): string {
    return `/api/v1/workspaces/${this.ws}/apps/${app}${rest}`;
  }

  async upload(as: 'wsregular' | 'wsadmin' | 'admin', chart: Buffer, updateLog?: string) {
    const mp = multipart({ chart: { filename: 'chart.tgz', data: chart } }, updateLog ? { updateLog } : {});
    return this.people.as(as, 'POST', `/api/v1/workspaces/${this.ws}/apps`, mp.payload, mp.headers);
  }

  async act(as: Parameters<People['as']>[0], app: string, version: string, action: string, message?: string) {
    return this.people.as(
      as,
      'POST',
      this.url(app, `/versions/${version}/actions`),
      message === undefined ? { action } : { action, message },
    );
  }

  /** Uploads a chart (unless that version is there already) and takes it all the way to active. */
  async release(name: string, version: string, category: string | number = 'uncategorized'): Promise<void> {
    const up = await this.upload('wsregular', makeChart({ name, version }));
    if (up.statusCode !== 201 && up.json().code !== 'version-exists') {
      throw new Error(`upload ${name} ${version}: ${up.statusCode} ${up.body}`);
    }
    const patch = await this.people.as('wsregular', 'PATCH', this.url(name), { category });
    if (patch.statusCode !== 200) throw new Error(`category: ${patch.body}`);
    for (const [who, action] of [
      ['wsregular', 'submit'],
      ['reviewer', 'pass'],
      ['wsregular', 'release'],
    ] as const) {
      const res = await this.act(who, name, version, action);
      if (res.statusCode !== 200) throw new Error(`${action} ${name} ${version}: ${res.statusCode} ${res.body}`);
    }
  }
}
