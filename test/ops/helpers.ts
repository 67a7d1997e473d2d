// What the operations suites share: filling a Chartroom (in-process or a process) with
// one of every kind of blob reference (packages uploaded over REST and multipart, a
// provenance file, an app icon, a category icon, a chart pushed over OCI: manifest,
// config blob, blob links; versions released to the store), and running dist/src/cli.js.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/env.js';
import { adminAuth, multipart } from '../helpers/app.js';
import { png } from '../helpers/images.js';
import { chartYamlFor, makeChart } from '../helpers/tarball.js';

export const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const cliScript = path.join(repoRoot, 'dist/src/cli.js');

/** Runs `node dist/src/cli.js <args>` with only `env` (and PATH, HOME) set. */
export function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!fs.existsSync(cliScript)) throw new Error(`${cliScript} is missing: run "npm run build" first`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliScript, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** One HTTP call as admin; `app.inject` or `fetch` behind it. */
export type Call = (
  method: string,
  url: string,
  body?: Buffer | object,
  headers?: Record<string, string>,
) => Promise<{ status: number; text: string }>;

export function fetchCall(base: string): Call {
  return async (method, url, body, headers = {}) => {
    const raw = Buffer.isBuffer(body);
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: adminAuth,
        ...(body !== undefined && !raw ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : raw ? new Uint8Array(body) : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };
}

export interface FilledChart {
  name: string;
  version: string;
  bytes: Buffer;
  /** Released to the store (otherwise a draft in the workspace). */
  inStore: boolean;
}

export interface Filled {
  workspace: string;
  charts: FilledChart[];
  prov: Buffer;
  appIcon: Buffer;
  categoryIcon: Buffer;
  /** The OCI config blob of the pushed chart. */
  ociConfig: Buffer;
}

/** A package with some incompressible-looking but reproducible bulk, so blobs are not tiny. */
function chart(name: string, version: string): Buffer {
  const bulk = Buffer.alloc(48 * 1024);
  for (let i = 0; i < bulk.length; i += 32) createHash('sha256').update(`${name}${version}${i}`).digest().copy(bulk, i);
  return makeChart({ name, version, extra: [{ path: `${name}/files/bulk.bin`, body: bulk }] });
}

function provFor(name: string, version: string, pkg: Buffer): Buffer {
  return Buffer.from(
    `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${chartYamlFor(name, version)}\n...\nfiles:\n  ${name}-${version}.tgz: sha256:${sha(pkg)}\n` +
      `-----BEGIN PGP SIGNATURE-----\n\n${Buffer.from('signature').toString('base64')}\n=AAAA\n-----END PGP SIGNATURE-----\n`,
  );
}

async function ok(what: string, res: Promise<{ status: number; text: string }>): Promise<string> {
  const r = await res;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
  return r.text;
}

export async function fill(call: Call, workspace = 'demo'): Promise<Filled> {
  await ok('workspace', call('POST', '/api/v1/workspaces', { name: workspace }));
  const api = `/api/v1/workspaces/${workspace}/apps`;
  const web1 = chart('web', '1.0.0');
  const web2 = chart('web', '1.1.0');
  const db = chart('db', '2.0.0');
  const pushed = chart('pushed', '3.0.0');
  const gzip = { 'content-type': 'application/gzip' };

  // REST with the raw package; multipart with a provenance file.
  await ok('web 1.0.0', call('POST', `/api/workspaces/${workspace}/charts`, web1, gzip));
  await ok('db 2.0.0', call('POST', `/api/workspaces/${workspace}/charts`, db, gzip));
  const prov = provFor('web', '1.1.0', web2);
  const mp = multipart({
    chart: { filename: 'web-1.1.0.tgz', data: web2 },
    prov: { filename: 'web-1.1.0.tgz.prov', data: prov },
  });
  await ok('web 1.1.0 + prov', call('POST', `/api/workspaces/${workspace}/charts`, mp.payload, mp.headers));

  // OCI, as Helm pushes: config and layer blobs, then the manifest by tag.
  const repo = `/v2/workspaces/${workspace}/pushed`;
  const ociConfig = Buffer.from(JSON.stringify({ name: 'pushed', version: '3.0.0', apiVersion: 'v2' }));
  for (const blob of [ociConfig, pushed]) {
    await ok(
      'OCI blob',
      call('POST', `${repo}/blobs/uploads/?digest=sha256:${sha(blob)}`, blob, {
        'content-type': 'application/octet-stream',
      }),
    );
  }
  const manifest = {
    schemaVersion: 2,
    config: {
      mediaType: 'application/vnd.cncf.helm.config.v1+json',
      digest: `sha256:${sha(ociConfig)}`,
      size: ociConfig.length,
    },
    layers: [
      {
        mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
        digest: `sha256:${sha(pushed)}`,
        size: pushed.length,
      },
    ],
  };
  await ok(
    'OCI manifest',
    call('PUT', `${repo}/manifests/3.0.0`, Buffer.from(JSON.stringify(manifest)), {
      'content-type': 'application/vnd.oci.image.manifest.v1+json',
    }),
  );

  // Icons: one on an app, one on a new category.
  const appIcon = png(64, 64);
  await ok('app icon', call('PUT', `${api}/web/icon`, appIcon, { 'content-type': 'image/png' }));
  const category = JSON.parse(
    await ok('category', call('POST', '/api/v1/categories', { name: 'Database', description: 'Databases' })),
  ) as { id: number };
  const categoryIcon = png(32, 32);
  await ok(
    'category icon',
    call('PUT', `/api/v1/categories/${category.id}/icon`, categoryIcon, { 'content-type': 'image/png' }),
  );

  // Two versions through review to the store.
  for (const [name, version, cat] of [
    ['web', '1.0.0', 'Database'],
    ['pushed', '3.0.0', 'uncategorized'],
  ] as const) {
    await ok(`${name} category`, call('PATCH', `${api}/${name}`, { category: cat }));
    for (const action of ['submit', 'pass', 'release']) {
      await ok(`${action} ${name} ${version}`, call('POST', `${api}/${name}/versions/${version}/actions`, { action }));
    }
  }

  return {
    workspace,
    charts: [
      { name: 'web', version: '1.0.0', bytes: web1, inStore: true },
      { name: 'web', version: '1.1.0', bytes: web2, inStore: false },
      { name: 'db', version: '2.0.0', bytes: db, inStore: false },
      { name: 'pushed', version: '3.0.0', bytes: pushed, inStore: true },
    ],
    prov,
    appIcon,
    categoryIcon,
    ociConfig,
  };
}
