// OCI upload sessions and pushed-but-unused blobs expire: after the grace period the
// session is gone, and the blob only the push kept is swept like any orphan.
import t from 'tap';
import { createHash } from 'node:crypto';
import { sweepOrphanBlobs } from '../../src/blobs/references.js';
import { expireUploads } from '../../src/oci/uploads.js';
import { adminAuth, createWorkspace, testApp } from '../helpers/app.js';
import { makeChart } from '../helpers/tarball.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('abandoned uploads and unused pushed blobs expire', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  const repo = `/v2/workspaces/${ws}/chart`;
  const auth = { authorization: adminAuth, 'content-type': 'application/octet-stream' };
  const started = await app.inject({ method: 'POST', url: `${repo}/blobs/uploads/`, headers: auth });
  t.equal(started.statusCode, 202);
  const session = String(started.headers.location);
  const chunk = await app.inject({ method: 'PATCH', url: session, headers: auth, payload: Buffer.from('half a blob') });
  t.equal(chunk.statusCode, 202);
  const blob = Buffer.from('a whole blob nobody used');
  const pushed = await app.inject({
    method: 'POST',
    url: `${repo}/blobs/uploads/?digest=sha256:${sha(blob)}`,
    headers: auth,
    payload: blob,
  });
  t.equal(pushed.statusCode, 201);
  const read = () => app.inject({ url: `${repo}/blobs/sha256:${sha(blob)}`, headers: { authorization: adminAuth } });
  t.equal((await read()).statusCode, 200, 'a pushed blob is readable in its repository');

  t.same(await expireUploads(app.db, new Date(Date.now() - 3600_000)), { uploads: 0, links: 0 }, 'young ones stay');
  const later = new Date(Date.now() + 2 * 3600_000);
  t.same(await expireUploads(app.db, later), { uploads: 1, links: 1 }, 'idle ones go');
  t.equal((await app.inject({ url: session, headers: { authorization: adminAuth } })).statusCode, 404, 'the session');
  const gone = await read();
  t.equal(gone.statusCode, 404, 'the blob is no longer in the repository');
  t.equal(gone.json().errors[0].code, 'BLOB_UNKNOWN');
  t.equal(await app.blobs.has(sha(blob)), true, 'its bytes wait for the blob sweep');
  const swept = await sweepOrphanBlobs(app.db, app.blobs, 3600, later);
  t.equal(swept.blobs, 1, 'which removes them');
  t.equal(await app.blobs.has(sha(blob)), false);
});

t.test('a manifest keeps the blobs it names after the push links expire', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  const repo = `/v2/workspaces/${ws}/chart`;
  const auth = { authorization: adminAuth, 'content-type': 'application/octet-stream' };
  const upload = await app.inject({
    method: 'POST',
    url: `/api/workspaces/${ws}/charts`,
    headers: { authorization: adminAuth, 'content-type': 'application/gzip' },
    payload: makeChart({ name: 'chart', version: '1.0.0' }),
  });
  t.equal(upload.statusCode, 201);
  const manifest = await app.inject({ url: `${repo}/manifests/1.0.0`, headers: { authorization: adminAuth } });
  t.equal(manifest.statusCode, 200, 'a version uploaded by REST has a manifest');
  const config = (manifest.json() as { config: { digest: string } }).config.digest;
  const later = new Date(Date.now() + 2 * 3600_000);
  await expireUploads(app.db, later);
  await sweepOrphanBlobs(app.db, app.blobs, 3600, later);
  const still = await app.inject({ url: `${repo}/blobs/${config}`, headers: auth });
  t.equal(still.statusCode, 200, 'the config blob of a stored manifest is never swept');
  const again = await app.inject({ url: `${repo}/manifests/1.0.0`, headers: { authorization: adminAuth } });
  t.equal(
    again.headers['docker-content-digest'],
    manifest.headers['docker-content-digest'],
    'and the digest is stable',
  );
});
