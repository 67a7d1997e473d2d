import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ingestChart } from '../../src/charts/ingest.js';
import { AppError } from '../../src/errors.js';
import { badCharts, bigChart } from '../helpers/bad-charts.js';
import { makeChart } from '../helpers/tarball.js';
import { corpusDir } from '../helpers/env.js';

t.test('a valid chart yields its metadata, values, schema and README', async (t) => {
  const schema =
    '{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"replicaCount":{"type":"integer"}}}';
  const bytes = makeChart({ name: 'web', version: '1.2.3-rc.1+build.5', schema, readme: '# Web\n' });
  const pkg = await ingestChart(Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]));
  t.equal(pkg.metadata.name, 'web');
  t.equal(pkg.metadata.version, '1.2.3-rc.1+build.5');
  t.equal(pkg.metadata.appVersion, '1.0');
  t.equal(pkg.size, bytes.length);
  t.match(pkg.digest, /^[0-9a-f]{64}$/);
  t.equal(pkg.readme, '# Web\n');
  t.equal(pkg.valuesSchema, schema);
  t.match(pkg.valuesYaml, /replicaCount: 1/);
  t.same(Object.keys(pkg.metadata).sort(), ['apiVersion', 'appVersion', 'description', 'name', 'type', 'version']);
});

t.test('unknown Chart.yaml fields are dropped from the metadata (Helm reads indexes strictly)', async (t) => {
  const yaml =
    'apiVersion: v2\nname: x\nversion: 1.0.0\nfrobnicate: true\nmaintainers:\n  - name: a\n    twitter: "@a"\ndependencies:\n  - name: d\n    version: 1.x\n    unknownKey: 1\n';
  const pkg = await ingestChart(makeChart({ chartYaml: yaml }));
  t.notOk('frobnicate' in pkg.metadata);
  t.same(pkg.metadata.maintainers, [{ name: 'a' }]);
  t.same(pkg.metadata.dependencies, [{ name: 'd', version: '1.x' }]);
});

t.test('every rejection rule answers with a message naming the problem', async (t) => {
  for (const bad of badCharts) {
    const err = await ingestChart(bad.bytes()).then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(err instanceof AppError, `${bad.name}: rejected with an AppError`);
    if (!(err instanceof AppError)) continue;
    t.equal(err.code, bad.code ?? 'chart-invalid', `${bad.name}: code`);
    t.match(err.detail, bad.message, `${bad.name}: message`);
  }
});

t.test('the upload limit is enforced while streaming, with upload-too-large', async (t) => {
  const bytes = bigChart(64 * 1024);
  let pulled = 0;
  async function* slowly() {
    for (let i = 0; i < bytes.length; i += 4096) {
      pulled += 4096;
      yield bytes.subarray(i, i + 4096);
    }
  }
  const err = await ingestChart(slowly(), { maxUploadBytes: 16 * 1024 }).catch((e: unknown) => e);
  t.ok(err instanceof AppError);
  t.equal((err as AppError).code, 'upload-too-large');
  t.match((err as AppError).detail, /larger than the limit of 16384 bytes/);
  t.ok(pulled <= 16 * 1024 + 4096, 'stopped reading soon after the limit');
});

t.test('every corpus chart is accepted with its manifest digest', async (t) => {
  const dir = corpusDir();
  const manifest = fs
    .readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'));
  const charts = manifest.filter((r) => r[0]?.startsWith('charts/'));
  t.equal(charts.length, 17, 'the corpus lists 17 charts');
  for (const [file, , , , size, sha] of charts) {
    const pkg = await ingestChart(fs.createReadStream(path.join(dir, file as string)));
    t.equal(pkg.digest, sha, `${file} digest`);
    t.equal(pkg.size, Number(size), `${file} size`);
    t.equal(`charts/${pkg.metadata.name}-${pkg.metadata.version}.tgz`, file, `${file} name and version`);
  }
});
