#!/usr/bin/env node
// Benchmark of the OCI registry (/v2): Chartroom (embedded PGlite + local disk) beside
// Debian's docker-registry (distribution 2.8.2, filesystem storage, no auth) on this
// machine. It prints figures; it asserts nothing.
//
//   npm run bench:oci     (= npm run build && node scripts/bench-oci.mjs)
//
// Both servers get the same charts: every chart of ../shared/corpus/charts plus small
// synthetic charts made in memory, each pushed as Helm pushes it (config blob = the
// Chart.yaml metadata as JSON, one chart layer, a manifest put by tag). Measured per
// server, one server at a time, from a client in this process on loopback:
//   - push throughput at each concurrency of BENCH_OCI_CONCURRENCY, every level into
//     its own workspace (so every push is a first push): per chart HEAD blob, POST an
//     upload, PUT it monolithically, for config and layer, then PUT the manifest by tag
//   - pull throughput at concurrency 8: GET the manifest by tag (with the Accept header
//     Helm sends), then GET its chart layer, for random charts
//   - GET tags/list of one repository at concurrency 8
//   - the real helm 3 binary: `helm push` then `helm pull oci://…` of each corpus chart,
//     one at a time, wall-clock per command (skipped with a warning when helm is absent)
// Chartroom gets Basic auth (admin) on every request; docker-registry gets the same header
// and ignores it.
//
// Knobs (environment): BENCH_OCI_CHARTS (200 synthetic charts, 10 versions per name),
// BENCH_OCI_CONCURRENCY (push concurrencies, "1,4"), BENCH_REQUESTS (2000 pulls and tag
// lists), BENCH_CONCURRENCY (8 for pulls), BENCH_WARMUP (200), CHARTROOM_CORPUS,
// CHARTROOM_DOCKER_REGISTRY (binary; default /usr/bin/docker-registry), CHARTROOM_HELM3
// (default ~/.cache/chartroom/peers/helm3/bin/helm), BENCH_NODE_ARGS (node flags for the
// Chartroom server, e.g. "--cpu-prof --cpu-prof-dir=DIR"), BENCH_DATABASE_URL
// (postgres://… of an empty database: Chartroom on Postgres as one more column; the
// Postgres server's own CPU is then not in the CPU rows).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import { benchKit, cpuSecondsOf, f, freePort, memoryOf, textTable } from './bench-lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverScript = path.join(root, 'dist/src/server.js');
const registryBin = process.env.CHARTROOM_DOCKER_REGISTRY || '/usr/bin/docker-registry';
const helmBin = process.env.CHARTROOM_HELM3 || path.join(os.homedir(), '.cache/chartroom/peers/helm3/bin/helm');
const corpusCharts = path.join(process.env.CHARTROOM_CORPUS ?? path.resolve(root, '../shared/corpus'), 'charts');

const intEnv = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1) fail(`${name} must be a positive whole number, got "${v}"`);
  return Number(v);
};
const SYNTH_CHARTS = intEnv('BENCH_OCI_CHARTS', 200);
const REQUESTS = intEnv('BENCH_REQUESTS', 2000);
const CONCURRENCY = intEnv('BENCH_CONCURRENCY', 8);
const WARMUP = intEnv('BENCH_WARMUP', 200);
const PUSH_CONCURRENCY = (process.env.BENCH_OCI_CONCURRENCY || '1,4').split(',').map((s) => {
  if (!/^\d+$/.test(s.trim()) || Number(s) < 1) fail(`BENCH_OCI_CONCURRENCY must list positive numbers, got "${s}"`);
  return Number(s);
});
const VERSIONS_PER_NAME = 10;
const ADMIN_PASSWORD = 'bench-admin-password';
const DATABASE_URL = process.env.BENCH_DATABASE_URL || null;

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_CHART = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
// The manifest types Helm's OCI client (oras-go) accepts when it fetches a manifest.
const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  OCI_MANIFEST,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.artifact.manifest.v1+json',
].join(', ');

function fail(message) {
  process.stderr.write(`bench-oci: ${message}\n`);
  process.exit(1);
}

const warn = (message) => process.stderr.write(`bench-oci: WARNING: ${message}\n`);

// ---------------------------------------------------------------- preconditions

if (!fs.existsSync(serverScript)) {
  fail(`${path.relative(process.cwd(), serverScript) || serverScript} is missing: run "npm run build" first`);
}
try {
  fs.accessSync(registryBin, fs.constants.X_OK);
} catch {
  fail(
    `docker-registry not found or not executable at ${registryBin}: install Debian's docker-registry (or set CHARTROOM_DOCKER_REGISTRY)`,
  );
}
if (!fs.existsSync(corpusCharts)) fail(`corpus not found at ${corpusCharts} (set CHARTROOM_CORPUS)`);
let helmPresent = true;
try {
  fs.accessSync(helmBin, fs.constants.X_OK);
} catch {
  helmPresent = false;
}

// ---------------------------------------------------------------- charts

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const cString = (buf, start, length) => {
  const s = buf.toString('utf8', start, start + length);
  const nul = s.indexOf('\0');
  return nul === -1 ? s : s.slice(0, nul);
};

/** Chart.yaml of a package: the first regular file `<dir>/Chart.yaml` of its tar. */
function chartYamlOf(file, tgzBytes) {
  const tar = zlib.gunzipSync(tgzBytes);
  for (let off = 0; off + 512 <= tar.length;) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const ustar = h.toString('latin1', 257, 263) === 'ustar\0';
    const prefix = ustar ? cString(h, 345, 155) : '';
    const name = prefix ? `${prefix}/${cString(h, 0, 100)}` : cString(h, 0, 100);
    const size = parseInt(cString(h, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156]);
    if ((type === '0' || type === '\0') && /^[^/]+\/Chart\.yaml$/.test(name)) {
      return tar.toString('utf8', off + 512, off + 512 + size);
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${file}: no Chart.yaml`);
}

/** Everything one push needs, computed once so the client's hashing is not timed. */
function prepare(file, body) {
  const meta = yaml.load(chartYamlOf(file, body));
  const config = Buffer.from(JSON.stringify(meta));
  const configDigest = `sha256:${sha256(config)}`;
  const layerDigest = `sha256:${sha256(body)}`;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: HELM_CONFIG, digest: configDigest, size: config.length },
      layers: [{ mediaType: HELM_CHART, digest: layerDigest, size: body.length }],
      annotations: {
        'org.opencontainers.image.title': meta.name,
        'org.opencontainers.image.version': String(meta.version),
      },
    }),
  );
  return {
    file,
    name: meta.name,
    version: String(meta.version),
    tag: String(meta.version).replace(/\+/g, '_'),
    body,
    layerDigest,
    config,
    configDigest,
    manifest,
    manifestDigest: `sha256:${sha256(manifest)}`,
  };
}

const corpus = fs
  .readdirSync(corpusCharts)
  .filter((f) => f.endsWith('.tgz'))
  .sort()
  .map((file) => prepare(file, fs.readFileSync(path.join(corpusCharts, file))));
if (corpus.length === 0) fail(`no .tgz in ${corpusCharts}`);

// The tests' own archive builder (compiled to dist/ by `npm run build`), so there is
// one tar writer in the project.
const { tgz: tgzEntries } = await import(pathToFileURL(path.join(root, 'dist/test/helpers/tarball.js')).href);

function syntheticChart(name, version) {
  const chartYaml = [
    'apiVersion: v2',
    `name: ${name}`,
    `version: ${version}`,
    'appVersion: "1.0.0"',
    `description: Synthetic chart ${name} for the Chartroom OCI benchmark`,
    'type: application',
    'keywords:',
    '  - bench',
    '',
  ].join('\n');
  const values = `replicaCount: 1\nimage:\n  repository: example/${name}\n  tag: "${version}"\n`;
  const body = tgzEntries([
    { path: `${name}/Chart.yaml`, body: chartYaml },
    { path: `${name}/values.yaml`, body: values },
  ]);
  return prepare(`${name}-${version}.tgz`, body);
}

const synthetic = Array.from({ length: SYNTH_CHARTS }, (_, i) =>
  syntheticChart(
    `bench-oci-${String(Math.floor(i / VERSIONS_PER_NAME)).padStart(3, '0')}`,
    `1.${i % VERSIONS_PER_NAME}.0`,
  ),
);
const charts = [...corpus, ...synthetic];
const chartBytes = charts.reduce((n, c) => n + c.body.length + c.config.length + c.manifest.length, 0);
const TAGS_REPO = synthetic.length > 0 ? synthetic[0].name : corpus[0].name;

// ---------------------------------------------------------------- client and processes

const { request, startProcess, waitReady, tempDir, cleanup } = benchKit({
  label: 'bench-oci',
  maxSockets: Math.max(CONCURRENCY, ...PUSH_CONCURRENCY) * 2,
});

/** A request that must answer `expect`; anything else throws with the server's words. */
async function must(expect, what, url, options) {
  const res = await request(url, options);
  if (res.status !== expect) {
    throw new Error(`${what}: ${res.status} (expected ${expect}) ${res.body.toString('utf8').slice(0, 300)}`);
  }
  return res;
}

const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

// ---------------------------------------------------------------- servers

const adminAuth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

async function startChartroom(databaseUrl) {
  const dataDir = tempDir('chartroom-bench-oci-');
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
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitReady(p, `${base}/readyz`);
  return {
    name: databaseUrl ? 'Chartroom (Postgres)' : 'Chartroom',
    chartroom: true,
    proc: p,
    base,
    headers: { authorization: adminAuth },
    // A repository is workspaces/<ws>/<chart>: each phase pushes into a workspace of its own.
    async makeWorkspace(ws) {
      await must(201, `creating workspace ${ws}`, `${base}/api/v1/workspaces`, {
        method: 'POST',
        headers: { authorization: adminAuth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: ws }),
      });
    },
  };
}

async function startRegistry() {
  const dir = tempDir('docker-registry-bench-');
  const port = await freePort();
  const configFile = path.join(dir, 'config.yml');
  fs.writeFileSync(
    configFile,
    [
      'version: 0.1',
      // The quietest level it accepts; it still logs the 404 of each HEAD before an upload.
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  cache:',
      '    blobdescriptor: inmemory',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
      '',
    ].join('\n'),
  );
  const p = startProcess('docker-registry', registryBin, ['serve', configFile], {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
  });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(p, `${base}/v2/`);
  return {
    name: 'docker-registry',
    chartroom: false,
    proc: p,
    base,
    headers: { authorization: adminAuth }, // ignored: no auth configured
    async makeWorkspace() {
      // any repository path is valid without creating anything
    },
  };
}

// ---------------------------------------------------------------- measurements

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const repoUrl = (server, ws, chart) => `${server.base}/v2/workspaces/${ws}/${chart.name}`;

/** Uploads one blob as Helm's client does: HEAD, then POST a session and PUT it whole. */
async function pushBlob(server, repo, digest, bytes) {
  const head = await request(`${repo}/blobs/${digest}`, { method: 'HEAD', headers: server.headers });
  if (head.status === 200) return;
  if (head.status !== 404) throw new Error(`HEAD blob ${digest}: ${head.status}`);
  const start = await must(202, 'POST blobs/uploads/', `${repo}/blobs/uploads/`, {
    method: 'POST',
    headers: { ...server.headers, 'content-length': '0' },
  });
  const location = new URL(start.headers.location, server.base);
  location.searchParams.set('digest', digest);
  await must(201, `PUT blob ${digest}`, location.href, {
    method: 'PUT',
    headers: {
      ...server.headers,
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length),
    },
    body: bytes,
  });
}

async function pushChart(server, ws, chart) {
  const repo = repoUrl(server, ws, chart);
  await pushBlob(server, repo, chart.configDigest, chart.config);
  await pushBlob(server, repo, chart.layerDigest, chart.body);
  const res = await must(201, `PUT manifest ${chart.name}:${chart.tag}`, `${repo}/manifests/${chart.tag}`, {
    method: 'PUT',
    headers: {
      ...server.headers,
      'content-type': OCI_MANIFEST,
      'content-length': String(chart.manifest.length),
    },
    body: chart.manifest,
  });
  if (res.headers['docker-content-digest'] !== chart.manifestDigest) {
    throw new Error(`PUT manifest ${chart.name}:${chart.tag}: digest ${res.headers['docker-content-digest']}`);
  }
}

/** Runs op(i) for i < count by `concurrency` workers; latencies in ms, bytes as op reports. */
async function runOps(count, concurrency, op) {
  const latencies = [];
  let next = 0;
  let errors = 0;
  let bytes = 0;
  let firstError = null;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      try {
        const n = (await op(i)) ?? 0; // awaited first: `bytes += await …` would lose concurrent updates
        bytes += n;
        latencies.push(msSince(t0));
      } catch (err) {
        errors++;
        firstError ??= err.message;
      }
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = msSince(t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    count,
    errors,
    firstError,
    perSecond: (count - errors) / seconds,
    mbPerSecond: bytes / 1e6 / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** The same pseudo-random chart sequence for every server (mulberry32). */
function randomPicks(count, seed) {
  let a = seed >>> 0;
  return Array.from({ length: count }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * charts.length;
  }).map(Math.floor);
}

/** A pull as a client does it: the manifest by tag, then the chart layer it names. */
async function pullChart(server, ws, chart) {
  const repo = repoUrl(server, ws, chart);
  const m = await must(200, `GET manifest ${chart.name}:${chart.tag}`, `${repo}/manifests/${chart.tag}`, {
    headers: { ...server.headers, accept: MANIFEST_ACCEPT },
  });
  const layer = JSON.parse(m.body.toString('utf8')).layers.find((l) => l.mediaType === HELM_CHART);
  const blob = await must(200, `GET blob ${layer.digest}`, `${repo}/blobs/${layer.digest}`, {
    headers: server.headers,
  });
  return { manifest: m, blob };
}

/** Pulls every chart once and checks what comes back (also the warm-up of the pull rows). */
async function verifyPulls(server, ws) {
  let manifestsVerbatim = 0;
  for (const chart of charts) {
    const { manifest, blob } = await pullChart(server, ws, chart);
    if (!blob.body.equals(chart.body)) throw new Error(`${server.name}: ${chart.file} did not come back byte for byte`);
    if (manifest.body.equals(chart.manifest)) manifestsVerbatim++;
  }
  return manifestsVerbatim;
}

/** CPU seconds and RSS of the server over one phase. */
async function phase(server, record, key, fn) {
  const pid = server.proc.proc.pid;
  const cpu0 = cpuSecondsOf(pid);
  const result = await fn();
  record.phases[key] = { cpu: cpuSecondsOf(pid) - cpu0, ...memoryOf(pid) };
  return result;
}

// ---------------------------------------------------------------- helm

function runHelm(env, args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    execFile(helmBin, args, { env, cwd: env.HOME, timeout: 120_000 }, (err, stdout, stderr) => {
      const ms = msSince(t0);
      if (err) reject(new Error(`helm ${args.join(' ')} failed: ${stdout}${stderr}`));
      else resolve(ms);
    });
  });
}

function helmEnv() {
  const home = tempDir('bench-oci-helm-');
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_DATA_HOME: path.join(home, 'data'),
    HELM_REGISTRY_CONFIG: path.join(home, 'registry.json'),
    NO_PROXY: '*',
  };
}

const median = (xs) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** helm push, then helm pull, of every corpus chart, one command at a time. */
async function helmRound(server) {
  const env = helmEnv();
  const host = server.base.replace(/^http:\/\//, '');
  if (server.chartroom) {
    await runHelm(env, [
      'registry',
      'login',
      host,
      '--username',
      'admin',
      '--password',
      ADMIN_PASSWORD,
      '--plain-http',
    ]);
  }
  const ws = 'bench-helm';
  await server.makeWorkspace(ws);
  const push = [];
  for (const c of corpus) {
    push.push(
      await runHelm(env, ['push', path.join(corpusCharts, c.file), `oci://${host}/workspaces/${ws}`, '--plain-http']),
    );
  }
  const pull = [];
  const out = path.join(env.HOME, 'pulled');
  fs.mkdirSync(out);
  for (const c of corpus) {
    pull.push(
      await runHelm(env, [
        'pull',
        `oci://${host}/workspaces/${ws}/${c.name}`,
        '--version',
        c.version,
        '--plain-http',
        '-d',
        out,
      ]),
    );
    const got = fs.readFileSync(path.join(out, `${c.name}-${c.version}.tgz`));
    if (!got.equals(c.body)) throw new Error(`${server.name}: helm pull of ${c.file} is not byte for byte`);
  }
  return { push: median(push), pushTotal: push.reduce((a, b) => a + b, 0), pull: median(pull) };
}

// ---------------------------------------------------------------- one server

async function benchServer(server, withHelm) {
  const r = { name: server.name, phases: {}, push: {}, startMemory: memoryOf(server.proc.proc.pid) };
  // The first level pushes into workspace `bench`, which the pull rows then read.
  const pullWs = 'bench';
  for (const [i, c] of PUSH_CONCURRENCY.entries()) {
    const ws = i === 0 ? pullWs : `bench-${i + 1}`;
    await server.makeWorkspace(ws);
    r.push[c] = await phase(server, r, `push c=${c}`, () =>
      runOps(charts.length, c, async (i) => {
        await pushChart(server, ws, charts[i]);
        return charts[i].body.length + charts[i].config.length + charts[i].manifest.length;
      }),
    );
    if (r.push[c].errors > 0) {
      warn(`${server.name}: ${r.push[c].errors} pushes failed at concurrency ${c}: ${r.push[c].firstError}`);
    }
  }
  if (r.push[PUSH_CONCURRENCY[0]].errors > 0) {
    throw new Error(`${server.name}: pushes failed; the pull rows need them all`);
  }

  r.manifestsVerbatim = await verifyPulls(server, pullWs);
  const picks = randomPicks(REQUESTS + WARMUP, 0xc4a7);
  const pullOp = async (i) => (await pullChart(server, pullWs, charts[picks[i]])).blob.body.length;
  await runOps(WARMUP, CONCURRENCY, (i) => pullOp(REQUESTS + i));
  r.pull = await phase(server, r, 'pull', () => runOps(REQUESTS, CONCURRENCY, pullOp));

  const tagsUrl = `${server.base}/v2/workspaces/${pullWs}/${TAGS_REPO}/tags/list`;
  const tags = JSON.parse((await must(200, 'GET tags/list', tagsUrl, { headers: server.headers })).body.toString());
  r.tagCount = tags.tags.length;
  const tagsOp = async () => {
    await must(200, 'GET tags/list', tagsUrl, { headers: server.headers });
  };
  await runOps(WARMUP, CONCURRENCY, tagsOp);
  r.tags = await phase(server, r, 'tags/list', () => runOps(REQUESTS, CONCURRENCY, tagsOp));

  if (withHelm) r.helm = await phase(server, r, 'helm', () => helmRound(server));
  r.memory = memoryOf(server.proc.proc.pid);
  return r;
}

// ---------------------------------------------------------------- report

function report(results, versions, helm) {
  const reference = results[results.length - 1]; // docker-registry
  const ours = results.slice(0, -1);
  const row = (label, get, digits = 1) => {
    const values = results.map(get);
    const ratios = ours.map((_, i) => {
      const x = values[i] / values[values.length - 1];
      return Number.isFinite(x) ? `${x.toFixed(2)}x` : '-';
    });
    return [label, ...values.map((v) => f(v, digits)), ...ratios];
  };
  const text = (label, get) => [label, ...results.map(get), ...ours.map(() => '')];
  const rows = [[' ', ...results.map((r) => r.name), ...ours.map((r) => `${r.name} / ${reference.name}`)]];
  for (const c of PUSH_CONCURRENCY) {
    rows.push(row(`push, concurrency ${c}: charts/s`, (r) => r.push[c].perSecond));
    rows.push(row('  MB/s', (r) => r.push[c].mbPerSecond, 2));
    rows.push(row('  p50 ms per push', (r) => r.push[c].p50, 2));
    rows.push(row('  p99 ms per push', (r) => r.push[c].p99, 2));
    if (results.some((r) => r.push[c].errors > 0)) rows.push(text('  failed pushes', (r) => String(r.push[c].errors)));
  }
  rows.push(row(`pull (manifest + layer), concurrency ${CONCURRENCY}: pulls/s`, (r) => r.pull.perSecond));
  rows.push(row('  MB/s (layers)', (r) => r.pull.mbPerSecond, 2));
  rows.push(row('  p50 ms per pull', (r) => r.pull.p50, 2));
  rows.push(row('  p99 ms per pull', (r) => r.pull.p99, 2));
  rows.push(text('  manifest served byte for byte as pushed', (r) => `${r.manifestsVerbatim} of ${charts.length}`));
  rows.push(
    row(`GET tags/list (${results[0].tagCount} tags), concurrency ${CONCURRENCY}: req/s`, (r) => r.tags.perSecond, 0),
  );
  rows.push(row('  p50 ms', (r) => r.tags.p50, 2));
  rows.push(row('  p99 ms', (r) => r.tags.p99, 2));
  if (helm !== null) {
    rows.push(row(`helm push, median ms (${corpus.length} corpus charts, one at a time)`, (r) => r.helm.push, 0));
    rows.push(row('  total s', (r) => r.helm.pushTotal / 1000, 2));
    rows.push(row('helm pull oci://, median ms', (r) => r.helm.pull, 0));
  }
  rows.push(row('server RSS MiB when ready', (r) => r.startMemory.rss, 0));
  for (const key of Object.keys(results[0].phases)) {
    rows.push(row(`server CPU s, ${key}`, (r) => r.phases[key]?.cpu, 2));
    rows.push(row('  RSS MiB after it', (r) => r.phases[key]?.rss, 0));
  }
  rows.push(row('server peak RSS MiB', (r) => r.memory.peak, 0));

  const cpus = os.cpus();
  const command = process.argv.map((a) => path.relative(process.cwd(), a) || a).join(' ');
  const knobs = Object.entries(process.env)
    .filter(([k]) => /^BENCH_|^CHARTROOM_(CORPUS|DOCKER_REGISTRY|HELM3)$/.test(k))
    .map(([k, v]) => `${k}=${k === 'BENCH_DATABASE_URL' ? '<set>' : v}`);
  console.log('Chartroom vs docker-registry: OCI push and pull');
  console.log(`command: ${[...knobs, command.replace(/^\S*node /, 'node ')].join(' ')}`);
  console.log(
    `machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${f(os.totalmem() / 2 ** 30, 1)} GiB, ${os.platform()} ${os.release()}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log(`node ${process.version}; ${versions.join('; ')}`);
  console.log(
    `charts: ${corpus.length} corpus + ${synthetic.length} synthetic (${VERSIONS_PER_NAME} versions per name), ${f(chartBytes / 1e6, 2)} MB of blobs and manifests per push round; ` +
      `pulls: ${REQUESTS} random charts after ${charts.length} checked pulls and ${WARMUP} warm-up pulls`,
  );
  console.log(
    helm === null
      ? 'helm: skipped (binary absent)'
      : `helm: ${helmBin}, ${helm.version}; \`helm version\` alone takes ${f(helm.startMs, 0)} ms (median of 5)`,
  );
  console.log('');
  console.log(textTable(rows));
}

// ---------------------------------------------------------------- main

function versionOf(bin, args) {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 30_000 }, (err, stdout, stderr) =>
      resolve(err ? `${path.basename(bin)} (version unknown)` : `${stdout}${stderr}`.trim()),
    );
  });
}

async function main() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const versions = [
    `Chartroom ${pkg.version} (PGlite + local disk${DATABASE_URL ? '; and Postgres + local disk' : ''})`,
    await versionOf(registryBin, ['--version']),
  ];
  let helm = null;
  if (helmPresent) {
    // What a helm command costs before it does anything: process start and config.
    const env = helmEnv();
    const times = [];
    for (let i = 0; i < 5; i++) times.push(await runHelm(env, ['version', '--short']));
    helm = { startMs: median(times), version: await versionOf(helmBin, ['version', '--short']) };
  } else {
    warn(`helm not found at ${helmBin} (set CHARTROOM_HELM3): the helm push/pull rows are skipped`);
  }
  const starts = [() => startChartroom(null)];
  if (DATABASE_URL) starts.push(() => startChartroom(DATABASE_URL));
  starts.push(startRegistry);
  const results = [];
  // One server at a time, so they never compete for the CPUs.
  for (const start of starts) {
    const server = await start();
    process.stderr.write(`bench-oci: measuring ${server.name}...\n`);
    results.push(await benchServer(server, helm !== null));
    await server.proc.stop();
  }
  report(results, versions, helm);
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`bench-oci: ${sig}, stopping servers\n`);
    await cleanup();
    process.exit(130);
  });
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench-oci: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
