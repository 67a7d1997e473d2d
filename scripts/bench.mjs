#!/usr/bin/env node
// Benchmark: Chartroom (embedded PGlite + local disk) against ChartMuseum (local storage)
// on this machine. It prints figures; it asserts nothing.
//
//   bash scripts/peers.sh bench && npm run build && node scripts/bench.mjs
//
// Both servers get the same charts: every chart of ../shared/corpus/charts plus small
// synthetic charts made in memory. Measured per server, one server at a time, from a
// client in this process on loopback:
//   - upload throughput (sequential POSTs of the raw package)
//   - GET index.yaml at concurrency 8: gzip (as Helm asks), identity, and 304 revalidation
//     with If-None-Match when the server sends an ETag
//   - GET of one chart package at concurrency 8
//   - the first index GET after a write (upload one chart, then time one index GET)
//
// Knobs (environment): BENCH_REQUESTS (2000), BENCH_CONCURRENCY (8), BENCH_WARMUP (500), BENCH_SYNTH_NAMES
// (30), BENCH_SYNTH_VERSIONS (10 per name), BENCH_AFTER_WRITE (20), CHARTROOM_CHARTMUSEUM
// (binary; default ~/.cache/chartroom/peers/chartmuseum/bin/chartmuseum), CHARTROOM_CORPUS,
// BENCH_DATABASE_URL (postgres://… of an empty database: Chartroom on Postgres instead of
// the embedded PGlite; the Postgres server's own CPU is then not in the CPU rows).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import { benchKit, cpuSecondsOf, f, freePort, memoryOf, textTable } from './bench-lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverScript = path.join(root, 'dist/src/server.js');
const cmBin =
  process.env.CHARTROOM_CHARTMUSEUM || path.join(os.homedir(), '.cache/chartroom/peers/chartmuseum/bin/chartmuseum');
const corpusCharts = path.join(process.env.CHARTROOM_CORPUS ?? path.resolve(root, '../shared/corpus'), 'charts');

const intEnv = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1) fail(`${name} must be a positive whole number, got "${v}"`);
  return Number(v);
};
const REQUESTS = intEnv('BENCH_REQUESTS', 2000);
const CONCURRENCY = intEnv('BENCH_CONCURRENCY', 8);
const SYNTH_NAMES = intEnv('BENCH_SYNTH_NAMES', 30);
const SYNTH_VERSIONS = intEnv('BENCH_SYNTH_VERSIONS', 10);
const AFTER_WRITE = intEnv('BENCH_AFTER_WRITE', 20);
const WARMUP = intEnv('BENCH_WARMUP', 500); // discarded requests before each load phase, after one lone warm-up request
const DOWNLOAD_CHART = 'redis-17.11.6.tgz';
const ADMIN_PASSWORD = 'bench-admin-password';
const WORKSPACE = 'bench';
const DATABASE_URL = process.env.BENCH_DATABASE_URL || null;
const ENGINE = DATABASE_URL ? 'Postgres' : 'PGlite';

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

// ---------------------------------------------------------------- preconditions

if (!fs.existsSync(serverScript)) {
  fail(`${path.relative(process.cwd(), serverScript) || serverScript} is missing: run "npm run build" first`);
}
if (!fs.existsSync(cmBin)) {
  fail(`ChartMuseum binary not found at ${cmBin}: run "bash scripts/peers.sh bench" (or set CHARTROOM_CHARTMUSEUM)`);
}
try {
  fs.accessSync(cmBin, fs.constants.X_OK);
} catch {
  fail(`${cmBin} is not executable`);
}
if (!fs.existsSync(corpusCharts)) fail(`corpus not found at ${corpusCharts} (set CHARTROOM_CORPUS)`);
const corpus = fs
  .readdirSync(corpusCharts)
  .filter((f) => f.endsWith('.tgz'))
  .sort()
  .map((file) => ({ file, body: fs.readFileSync(path.join(corpusCharts, file)) }));
if (!corpus.some((c) => c.file === DOWNLOAD_CHART)) fail(`${DOWNLOAD_CHART} is missing from ${corpusCharts}`);

// ---------------------------------------------------------------- synthetic charts

// The tests' own archive builder (compiled to dist/ by `npm run build`), so there is
// one tar writer in the project.
const { tgz: tgzEntries } = await import(pathToFileURL(path.join(root, 'dist/test/helpers/tarball.js')).href);
const tgz = (files) => tgzEntries(files.map(([name, text]) => ({ path: name, body: text })));

function syntheticChart(name, version) {
  const chartYaml = [
    'apiVersion: v2',
    `name: ${name}`,
    `version: ${version}`,
    'appVersion: "1.0.0"',
    `description: Synthetic chart ${name} for the Chartroom benchmark`,
    'type: application',
    'home: https://example.com/charts',
    'keywords:',
    '  - bench',
    `  - ${name}`,
    'maintainers:',
    '  - name: Bench',
    '    email: bench@example.com',
    '',
  ].join('\n');
  const values = `replicaCount: 1\nimage:\n  repository: example/${name}\n  tag: "${version}"\nservice:\n  type: ClusterIP\n  port: 80\n`;
  return {
    file: `${name}-${version}.tgz`,
    body: tgz([
      [`${name}/Chart.yaml`, chartYaml],
      [`${name}/values.yaml`, values],
    ]),
  };
}

const synthetic = [];
for (let n = 0; n < SYNTH_NAMES; n++) {
  for (let v = 0; v < SYNTH_VERSIONS; v++) {
    synthetic.push(syntheticChart(`bench-app-${String(n).padStart(2, '0')}`, `1.${v}.0`));
  }
}
const lateCharts = Array.from({ length: AFTER_WRITE + 1 }, (_, i) => syntheticChart('bench-late', `0.1.${i}`));

// ---------------------------------------------------------------- client and processes

const { request, startProcess, waitReady, tempDir, cleanup } = benchKit({
  label: 'bench',
  maxSockets: CONCURRENCY * 2,
});

// ---------------------------------------------------------------- servers

async function startChartroom() {
  const dataDir = tempDir('chartroom-bench-');
  const port = await freePort();
  const p = startProcess(
    'chartroom',
    process.execPath,
    [...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), serverScript],
    {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      CHARTROOM_DATA_DIR: dataDir,
      CHARTROOM_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...(DATABASE_URL ? { DATABASE_URL } : {}),
    },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitReady(p, `${base}/readyz`);
  const auth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
  const res = await request(`${base}/api/v1/workspaces`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: WORKSPACE }),
  });
  if (res.status !== 201) throw new Error(`creating workspace: ${res.status} ${res.body}`);
  return {
    name: 'Chartroom',
    proc: p,
    headers: { authorization: auth },
    uploadUrl: `${base}/api/workspaces/${WORKSPACE}/charts`,
    indexUrl: `${base}/workspaces/${WORKSPACE}/index.yaml`,
    chartUrl: (file) => `${base}/workspaces/${WORKSPACE}/charts/${file}`,
  };
}

async function startChartMuseum() {
  const storage = tempDir('chartmuseum-bench-');
  const port = await freePort();
  const p = startProcess(
    'chartmuseum',
    cmBin,
    [
      '--port',
      String(port),
      '--listen-host',
      '127.0.0.1',
      '--storage',
      'local',
      '--storage-local-rootdir',
      storage,
      '--disable-metrics',
    ],
    { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitReady(p, `${base}/health`);
  return {
    name: 'ChartMuseum',
    proc: p,
    headers: {},
    uploadUrl: `${base}/api/charts`,
    indexUrl: `${base}/index.yaml`,
    chartUrl: (file) => `${base}/charts/${file}`,
  };
}

// ---------------------------------------------------------------- measurements

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const median = (xs) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

async function upload(server, chart) {
  const res = await request(server.uploadUrl, {
    method: 'POST',
    headers: { ...server.headers, 'content-type': 'application/gzip', 'content-length': String(chart.body.length) },
    body: chart.body,
  });
  if (res.status !== 201) {
    throw new Error(`${server.name}: uploading ${chart.file}: ${res.status} ${res.body.toString().slice(0, 300)}`);
  }
}

async function uploadAll(server, charts) {
  const start = process.hrtime.bigint();
  for (const c of charts) await upload(server, c);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const bytes = charts.reduce((n, c) => n + c.body.length, 0);
  return { count: charts.length, seconds, perSecond: charts.length / seconds, mbPerSecond: bytes / 1e6 / seconds };
}

/** `count` requests by `concurrency` workers; latencies in ms. */
async function load(url, headers, expectStatus, count = REQUESTS, concurrency = CONCURRENCY) {
  const latencies = [];
  let issued = 0;
  let errors = 0;
  let bytes = 0;
  let firstError = null;
  const worker = async () => {
    while (issued < count) {
      issued++;
      const t0 = process.hrtime.bigint();
      try {
        const res = await request(url, { headers });
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        bytes += res.body.length;
        if (res.status !== expectStatus) {
          errors++;
          firstError ??= `status ${res.status}`;
        }
      } catch (err) {
        errors++;
        firstError ??= err.message;
      }
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    requests: count,
    errors,
    firstError,
    rps: count / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    bytesPerResponse: bytes / count,
  };
}

async function measureLoad(server, url, headers, expectStatus) {
  const first = await request(url, { headers }); // lone warm-up (ChartMuseum builds its index lazily)
  if (first.status !== expectStatus) {
    throw new Error(`${server.name}: GET ${url}: ${first.status} (expected ${expectStatus})`);
  }
  await load(url, headers, expectStatus, WARMUP);
  const cpu0 = cpuSecondsOf(server.proc.proc.pid);
  const r = await load(url, headers, expectStatus);
  r.cpuMsPerRequest = ((cpuSecondsOf(server.proc.proc.pid) - cpu0) * 1000) / r.requests;
  return r;
}

/** Chart versions in an index, in either form a server sends (YAML, or JSON, which is YAML too). */
function indexVersions(indexText) {
  const entries = yaml.load(indexText)?.entries ?? {};
  return Object.entries(entries).flatMap(([name, list]) => (list ?? []).map((v) => `${name}@${v.version}`));
}

const countEntries = (indexText) => indexVersions(indexText).length;

async function benchServer(server) {
  const r = { name: server.name };
  const pid = server.proc.proc.pid;
  const cpuStart = cpuSecondsOf(pid);

  r.uploadCorpus = await uploadAll(server, corpus);
  r.uploadSynthetic = await uploadAll(server, synthetic);

  const gzip = { ...server.headers, 'accept-encoding': 'gzip' };
  const identity = { ...server.headers, 'accept-encoding': 'identity' };

  const plain = await request(server.indexUrl, { headers: identity });
  if (plain.status !== 200) throw new Error(`${server.name}: GET index.yaml: ${plain.status}`);
  r.indexEntries = countEntries(plain.body.toString('utf8'));
  r.indexBytes = plain.body.length;
  r.etag = plain.headers.etag ?? null;

  r.indexGzip = await measureLoad(server, server.indexUrl, gzip, 200);
  r.indexGzipEncoded = (await request(server.indexUrl, { headers: gzip })).headers['content-encoding'] === 'gzip';
  r.indexIdentity = await measureLoad(server, server.indexUrl, identity, 200);
  if (r.etag) r.index304 = await measureLoad(server, server.indexUrl, { ...gzip, 'if-none-match': r.etag }, 304);

  const dl = corpus.find((c) => c.file === DOWNLOAD_CHART);
  const got = await request(server.chartUrl(DOWNLOAD_CHART), { headers: server.headers });
  if (got.status !== 200 || !got.body.equals(dl.body)) {
    throw new Error(`${server.name}: ${DOWNLOAD_CHART} did not come back byte for byte (${got.status})`);
  }
  r.download = await measureLoad(server, server.chartUrl(DOWNLOAD_CHART), server.headers, 200);
  r.downloadBytes = dl.body.length;

  // first index after a write: upload one chart, then time one index GET (as Helm would fetch it)
  await upload(server, lateCharts[0]);
  await request(server.indexUrl, { headers: gzip });
  const afterWrite = [];
  const uploadTimes = [];
  let stale = 0;
  for (let i = 1; i <= AFTER_WRITE; i++) {
    const u0 = process.hrtime.bigint();
    await upload(server, lateCharts[i]);
    uploadTimes.push(Number(process.hrtime.bigint() - u0) / 1e6);
    const t0 = process.hrtime.bigint();
    const res = await request(server.indexUrl, { headers: identity });
    afterWrite.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status !== 200) throw new Error(`${server.name}: index after write: ${res.status}`);
    // A server that is not read-your-writes answers an index without the chart just uploaded.
    if (!indexVersions(res.body.toString('utf8')).includes(`bench-late@0.1.${i}`)) stale++;
  }
  const sortedAfter = [...afterWrite].sort((a, b) => a - b);
  r.afterWrite = {
    median: median(afterWrite),
    max: sortedAfter[sortedAfter.length - 1],
    uploadMedian: median(uploadTimes),
    stale,
  };
  r.finalEntries = countEntries((await request(server.indexUrl, { headers: identity })).body.toString('utf8'));

  r.cpuSeconds = cpuSecondsOf(pid) - cpuStart;
  r.memory = memoryOf(pid);
  return r;
}

// ---------------------------------------------------------------- report

function report(results, versions) {
  const [a, b] = results;
  const loadRows = (label, key, unitNote = '') => {
    const rows = [];
    const ra = a[key];
    const rb = b[key];
    const cell = (r, fn) => (r ? fn(r) : 'no ETag');
    rows.push([`${label} req/s${unitNote}`, cell(ra, (r) => f(r.rps, 0)), cell(rb, (r) => f(r.rps, 0))]);
    rows.push([
      '  p50 / p95 / p99 ms',
      cell(ra, (r) => `${f(r.p50, 2)} / ${f(r.p95, 2)} / ${f(r.p99, 2)}`),
      cell(rb, (r) => `${f(r.p50, 2)} / ${f(r.p95, 2)} / ${f(r.p99, 2)}`),
    ]);
    rows.push([
      '  server CPU ms per request',
      cell(ra, (r) => f(r.cpuMsPerRequest, 3)),
      cell(rb, (r) => f(r.cpuMsPerRequest, 3)),
    ]);
    rows.push([
      '  bytes per response',
      cell(ra, (r) => f(r.bytesPerResponse, 0)),
      cell(rb, (r) => f(r.bytesPerResponse, 0)),
    ]);
    const errs = (r) => (r ? `${r.errors}${r.firstError ? ` (${r.firstError})` : ''}` : '-');
    if ((ra && ra.errors) || (rb && rb.errors)) rows.push(['  errors', errs(ra), errs(rb)]);
    return rows;
  };
  const rows = [
    ['', a.name, b.name],
    [
      `upload corpus (${a.uploadCorpus.count} charts) charts/s`,
      f(a.uploadCorpus.perSecond),
      f(b.uploadCorpus.perSecond),
    ],
    ['  MB/s', f(a.uploadCorpus.mbPerSecond, 2), f(b.uploadCorpus.mbPerSecond, 2)],
    [
      `upload synthetic (${a.uploadSynthetic.count} charts) charts/s`,
      f(a.uploadSynthetic.perSecond),
      f(b.uploadSynthetic.perSecond),
    ],
    ['index entries / bytes (identity)', `${a.indexEntries} / ${a.indexBytes}`, `${b.indexEntries} / ${b.indexBytes}`],
    ['index ETag', a.etag ? 'yes' : 'no', b.etag ? 'yes' : 'no'],
    ['index gzip-encoded when asked', a.indexGzipEncoded ? 'yes' : 'no', b.indexGzipEncoded ? 'yes' : 'no'],
    ...loadRows('GET index.yaml, Accept-Encoding: gzip,', 'indexGzip'),
    ...loadRows('GET index.yaml, identity,', 'indexIdentity'),
    ...loadRows('GET index.yaml, If-None-Match (304),', 'index304'),
    ...loadRows(`GET ${DOWNLOAD_CHART} (${a.downloadBytes} B),`, 'download'),
    [
      `first index GET after a write, median ms (${AFTER_WRITE}x)`,
      f(a.afterWrite.median, 2),
      f(b.afterWrite.median, 2),
    ],
    ['  max ms', f(a.afterWrite.max, 2), f(b.afterWrite.max, 2)],
    ['  upload before it, median ms', f(a.afterWrite.uploadMedian, 2), f(b.afterWrite.uploadMedian, 2)],
    [
      `  index missing the chart just uploaded (of ${AFTER_WRITE})`,
      String(a.afterWrite.stale),
      String(b.afterWrite.stale),
    ],
    ['index entries at the end', a.finalEntries, b.finalEntries],
    ['server CPU seconds, whole run', f(a.cpuSeconds, 2), f(b.cpuSeconds, 2)],
    [
      'server RSS / peak RSS MiB at the end',
      `${f(a.memory.rss, 0)} / ${f(a.memory.peak, 0)}`,
      `${f(b.memory.rss, 0)} / ${f(b.memory.peak, 0)}`,
    ],
  ];
  const cpus = os.cpus();
  console.log('Chartroom vs ChartMuseum benchmark');
  console.log(
    `machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${f(os.totalmem() / 2 ** 30, 1)} GiB, ${os.platform()} ${os.release()}`,
  );
  console.log(`node ${process.version}; ${versions.chartroom}; ${versions.chartmuseum}`);
  console.log(
    `load: ${REQUESTS} requests per row at concurrency ${CONCURRENCY} over keep-alive loopback (client in the same machine), ` +
      `after 1 + ${WARMUP} warm-up requests; Chartroom with Basic auth on every request, ChartMuseum without auth`,
  );
  console.log(
    `charts: ${corpus.length} corpus + ${synthetic.length} synthetic (${SYNTH_NAMES} names x ${SYNTH_VERSIONS} versions), then ${lateCharts.length} more for the after-write rows`,
  );
  console.log('');
  console.log(textTable(rows));
}

// ---------------------------------------------------------------- main

async function main() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const cmVersion = await new Promise((resolve) => {
    const p = spawn(cmBin, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', () => resolve('ChartMuseum (version unknown)'));
    p.on('exit', () => resolve(out.trim() || 'ChartMuseum (version unknown)'));
  });
  const results = [];
  // One server at a time, so they never compete for the CPUs.
  for (const start of [startChartroom, startChartMuseum]) {
    const server = await start();
    process.stderr.write(`bench: measuring ${server.name}...\n`);
    results.push(await benchServer(server));
    await server.proc.stop();
  }
  report(results, { chartroom: `Chartroom ${pkg.version} (${ENGINE} + local disk)`, chartmuseum: cmVersion });
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`bench: ${sig}, stopping servers\n`);
    await cleanup();
    process.exit(130);
  });
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
