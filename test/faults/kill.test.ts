// requires: postgres, s3
// kill -9 during 50 concurrent uploads (REST, ChartMuseum multipart and OCI pushes), on
// both set-ups, then a restart on the same data: every acknowledged chart is there with
// its digest and bytes, every other one is whole or absent, and after the start-up sweep
// (grace 0) no blob is unreferenced, no referenced blob is missing, no upload session
// and nothing in the blob store's temporary directory is left.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { adminAuth } from '../helpers/app.js';
import { engines, stores, type Engine, type Store } from '../helpers/env.js';
import { serverEnv, startServer } from '../helpers/server-process.js';
import { makeChart } from '../helpers/tarball.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { openBlobStore } from '../../src/blobs/index.js';
import { blobReferenced } from '../../src/blobs/references.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const UPLOADS = 50;
const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_CHART = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

interface Upload {
  name: string;
  version: string;
  bytes: Buffer;
  kind: 'rest' | 'multipart' | 'oci';
}

/** One upload as its client sends it; resolves true on a 2xx for the whole upload. */
async function send(base: string, u: Upload): Promise<boolean> {
  const post = (url: string, body: BodyInit, type: string, method = 'POST') =>
    fetch(`${base}${url}`, { method, headers: { authorization: adminAuth, 'content-type': type }, body });
  if (u.kind === 'rest') {
    return (await post('/api/workspaces/demo/charts', new Uint8Array(u.bytes), 'application/gzip')).ok;
  }
  if (u.kind === 'multipart') {
    const form = new FormData();
    form.append('chart', new Blob([new Uint8Array(u.bytes)]), `${u.name}-${u.version}.tgz`);
    const res = await fetch(`${base}/api/workspaces/demo/charts`, {
      method: 'POST',
      headers: { authorization: adminAuth },
      body: form,
    });
    return res.ok;
  }
  // OCI, as Helm pushes: each blob whole, then the manifest by tag.
  const repo = `/v2/workspaces/demo/${u.name}`;
  const config = Buffer.from(JSON.stringify({ name: u.name, version: u.version, apiVersion: 'v2' }));
  for (const blob of [config, u.bytes]) {
    const res = await post(
      `${repo}/blobs/uploads/?digest=sha256:${sha(blob)}`,
      new Uint8Array(blob),
      'application/octet-stream',
    );
    if (res.status !== 201) return false;
  }
  const manifest = {
    schemaVersion: 2,
    config: { mediaType: HELM_CONFIG, digest: `sha256:${sha(config)}`, size: config.length },
    layers: [{ mediaType: HELM_CHART, digest: `sha256:${sha(u.bytes)}`, size: u.bytes.length }],
  };
  const res = await post(
    `${repo}/manifests/${u.version}`,
    new Uint8Array(Buffer.from(JSON.stringify(manifest))),
    'application/vnd.oci.image.manifest.v1+json',
    'PUT',
  );
  return res.status === 201;
}

const setups: Array<[Engine, Store]> = [['pglite', 'disk']];
if (engines().includes('postgres') && stores().includes('s3')) setups.push(['postgres', 's3']);

for (const [engine, store] of setups) {
  t.test(`kill -9 during ${UPLOADS} concurrent uploads (${engine} + ${store})`, async (t) => {
    const env = await serverEnv(t, engine, store);
    const first = await startServer(t, env);
    const ws = await fetch(`${first.url}/api/v1/workspaces`, {
      method: 'POST',
      headers: { authorization: adminAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'demo' }),
    });
    t.equal(ws.status, 201);

    // Incompressible payloads, so that bodies take a while to send and check.
    const uploads: Upload[] = Array.from({ length: UPLOADS }, (_, i) => {
      const name = `crash${i % 10}`;
      const version = `1.0.${i}`;
      const bytes = makeChart({ name, version, extra: [{ path: `${name}/blob.bin`, body: randomBytes(256 * 1024) }] });
      return { name, version, bytes, kind: (['rest', 'multipart', 'oci'] as const)[i % 3]! };
    });
    const acknowledged = new Set<Upload>();
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      first.proc.kill('SIGKILL');
    };
    const results = uploads.map((u) =>
      send(first.url, u).then(
        (ok) => {
          if (ok && !killed) acknowledged.add(u);
          if (acknowledged.size >= 10) kill();
        },
        () => undefined, // cut off by the kill
      ),
    );
    const fallback = setTimeout(kill, 3_000);
    await Promise.all(results);
    clearTimeout(fallback);
    kill();
    await first.exited;
    t.ok(acknowledged.size >= 1, `${acknowledged.size} uploads acknowledged before the kill`);
    t.ok(acknowledged.size < UPLOADS, 'the kill came in the middle of the uploads');

    // Restart on the same data; the start-up sweep (at once) takes every unreferenced blob (grace 0).
    const second = await startServer(t, {
      ...env,
      CHARTROOM_BLOB_GRACE_SECONDS: '0',
      CHARTROOM_BLOB_SWEEP_DELAY_SECONDS: '0',
    });
    const index = (await (
      await fetch(`${second.url}/workspaces/demo/index.yaml`, { headers: { authorization: adminAuth } })
    ).json()) as { entries: Record<string, Array<{ version: string; digest: string }>> };
    const listed = new Map<string, string>();
    for (const list of Object.values(index.entries)) {
      for (const e of list) listed.set(e.version, e.digest);
    }
    let whole = 0;
    for (const u of uploads) {
      const pkg = await fetch(`${second.url}/workspaces/demo/charts/${u.name}-${u.version}.tgz`, {
        headers: { authorization: adminAuth },
      });
      const body = Buffer.from(await pkg.arrayBuffer());
      if (acknowledged.has(u)) {
        t.equal(listed.get(u.version), sha(u.bytes), `${u.kind} ${u.version}: acknowledged, listed with its digest`);
        t.ok(pkg.ok && body.equals(u.bytes), `${u.kind} ${u.version}: served byte for byte`);
      } else if (listed.has(u.version)) {
        whole++;
        t.equal(listed.get(u.version), sha(u.bytes), `${u.kind} ${u.version}: unacknowledged but whole`);
        t.ok(pkg.ok && body.equals(u.bytes), `${u.kind} ${u.version}: and its package is served`);
      } else {
        t.equal(pkg.status, 404, `${u.kind} ${u.version}: absent`);
      }
    }
    t.comment(`${acknowledged.size} acknowledged, ${whole} more whole, ${UPLOADS - acknowledged.size - whole} absent`);
    second.proc.kill('SIGTERM'); // a graceful stop waits for the start-up sweep
    t.equal(await second.exited, 0);

    const config = loadConfig(env);
    const db = await openDatabase({
      url: config.databaseUrl,
      pgliteDir: config.databaseUrl ? null : path.join(config.dataDir, 'pg'),
    });
    t.teardown(() => db.close());
    const blobs = await openBlobStore(config);
    const unreferenced: string[] = [];
    for await (const b of blobs.list()) if (!(await blobReferenced(db, b.digest))) unreferenced.push(b.digest);
    t.same(unreferenced, [], 'no blob is left unreferenced');
    const rows = await db.query<{ digest: string }>('SELECT digest FROM app_versions');
    for (const r of rows) t.ok(await blobs.has(r.digest), `version blob ${r.digest.slice(0, 12)} exists`);
    const sessions = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM oci_uploads');
    t.equal(sessions[0]?.n, 0, 'no upload session is left');
    if (store === 'disk') {
      t.same(await fs.readdir(path.join(config.dataDir, 'blobs', 'tmp')), [], 'nothing in the temporary directory');
    }
    await blobs.close();
  });
}
