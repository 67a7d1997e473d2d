#!/usr/bin/env node
// Scale benchmark (issue 9): Chartroom against ChartMuseum and nginx at Bitnami scale.
// It prints figures and ratios; it asserts nothing.
//
//   npm run bench:scale                              (= npm run build && node scripts/bench-scale.mjs)
//   BENCH_CHARTS=50 BENCH_VERSIONS=3 node scripts/bench-scale.mjs      (a quick try)
//   BENCH_BIG=100000 npm run bench:scale             (adds Chartroom alone at 100k versions)
//
// One run starts one server after another (never two at once, so they do not compete
// for the CPUs), all fed the same N charts x M versions of synthetic, Bitnami-shaped
// charts (generated once, deterministically, into a cache directory):
//   1. Chartroom on its embedded default (PGlite + local disk, fresh data directory);
//   2. Chartroom on Postgres + MinIO, when both can be had;
//   3. ChartMuseum v0.16.5 on local storage, when its binary was built (scripts/peers.sh bench);
//   4. nginx serving, as static files, the exact index bytes Chartroom served (and a JSON
//      rendering of the same entries, for the helm rows);
//   5. Chartroom alone at BENCH_BIG versions, when BENCH_BIG is set (skipped by default).
// For each it measures the rows of issue 9's table:
//   - first index GET after an upload: upload one chart, then time one GET of the index to
//     its last byte, BENCH_AFTER_WRITE times without Accept-Encoding (as Helm 3 and 4 ask:
//     their HTTP getter disables compression) and as many times with gzip (browsers, curl
//     --compressed, proxies). On Chartroom also the store index after a release (upload,
//     submit, pass, release), as Helm asks;
//   - cached index GET: wrk for BENCH_WRK_SECONDS at 8 connections, identity and gzip;
//     Chartroom's workspace index with Basic auth, its store index without;
//   - uploads into the populated repository at concurrency 4 (new versions of its charts);
//   - cold start to first index: stop, start, time until the index answers 200 (body read),
//     as Helm asks and with gzip;
//   - resident memory (VmRSS of the server process) after the run and after the restart;
//   - `helm repo update` with helm 3 and helm 4, and, through nginx, the same entries as JSON.
// The table prints each server's figures and the ratios Chartroom / ChartMuseum and
// Chartroom / nginx; the JSON file (BENCH_OUT) holds everything, including raw samples.
//
// Knobs (environment):
//   BENCH_CHARTS (1000), BENCH_VERSIONS (15)   the N x M set
//   BENCH_BIG (unset: skipped)                 versions for the Chartroom-alone run (e.g. 100000)
//   BENCH_BIG_ON (embedded)                    which Chartroom set-ups the big run uses: embedded,pg
//   BENCH_SERVERS (all)                        any of chartroom,chartroom-pg,chartmuseum,nginx
//   BENCH_POPULATE_CONCURRENCY (4)             uploads in flight while populating Chartroom
//   BENCH_STORE (1)                            0: do not release versions to the store
//   BENCH_STORE_BUDGET_S (1800)                stop releasing after this long (the store is then partial)
//   BENCH_AFTER_WRITE (20)                     uploads, each followed by one timed index GET
//   BENCH_UPLOADS (200), BENCH_UPLOAD_BUDGET_S (300)   the upload-throughput row (concurrency 4)
//   BENCH_WRK_SECONDS (10), BENCH_WRK_CONNECTIONS (8), BENCH_WRK_THREADS (1)
//   BENCH_HELM_RUNS (3)                        `helm repo update` runs per row (the median is shown)
//   BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres; "off" skips Postgres + MinIO)
//   BENCH_CACHE (~/.cache/chartroom/bench-scale), BENCH_OUT (bench-scale-results.json in a temp dir)
//   BENCH_SERVER_SCRIPT (dist/src/server.js)   the Chartroom build to run
//   BENCH_INDEX_FORMAT (json)                  CHARTROOM_INDEX_FORMAT for the Chartroom servers
//   BENCH_NODE_ARGS (none)                     extra node flags for the Chartroom servers (experiments)
//   BENCH_LOG_DIR (unset)                      a directory to append every started process's whole output to
//   CHARTROOM_HELM3, CHARTROOM_HELM4, CHARTROOM_MINIO, CHARTROOM_CHARTMUSEUM (else from scripts/peers.sh --env)
//
// Needs: `npm run build`, nginx and wrk (Debian: apt-get install -y nginx wrk), and for the
// optional rows the peers of scripts/peers.sh. Every process it starts is stopped when it
// exits, also on Ctrl-C or an error (not when it is killed with SIGKILL: nothing can then).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import yaml from 'js-yaml';
import pg from 'pg';
import { chartSet as chartSetIn, extraCharts } from './bench-charts.mjs';
import { freePort, textTable } from './bench-lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// BENCH_SERVER_SCRIPT runs another build (e.g. an older commit's) against the same set.
const serverScript = path.resolve(process.env.BENCH_SERVER_SCRIPT || path.join(root, 'dist/src/server.js'));
const runStarted = Date.now();
// The form Chartroom serves its indexes in (its helm rows land in the matching row).
const INDEX_FORMAT = process.env.BENCH_INDEX_FORMAT === 'yaml' ? 'yaml' : 'json';
// Extra node flags for the Chartroom servers (experiments, e.g. "--max-semi-space-size=4").
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

// ---------------------------------------------------------------- settings

function fail(message) {
  process.stderr.write(`bench-scale: ${message}\n`);
  process.exit(1);
}

function intEnv(name, dflt, min = 1) {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min) fail(`${name} must be a whole number >= ${min}, got "${v}"`);
  return Number(v);
}

function listEnv(name, allowed, dflt) {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const items = v.split(',').map((s) => s.trim());
  for (const item of items) if (!allowed.includes(item)) fail(`${name}: "${item}" is not one of ${allowed.join(', ')}`);
  return items;
}

const ALL_SERVERS = ['chartroom', 'chartroom-pg', 'chartmuseum', 'nginx'];
const S = {
  charts: intEnv('BENCH_CHARTS', 1000),
  versions: intEnv('BENCH_VERSIONS', 15),
  big: intEnv('BENCH_BIG', 0, 0),
  bigOn: listEnv('BENCH_BIG_ON', ['embedded', 'pg'], ['embedded']),
  servers: listEnv('BENCH_SERVERS', ALL_SERVERS, ALL_SERVERS),
  populateConcurrency: intEnv('BENCH_POPULATE_CONCURRENCY', 4),
  store: intEnv('BENCH_STORE', 1, 0) !== 0,
  storeBudgetMs: intEnv('BENCH_STORE_BUDGET_S', 1800) * 1000,
  afterWrite: intEnv('BENCH_AFTER_WRITE', 20),
  uploads: intEnv('BENCH_UPLOADS', 200),
  uploadConcurrency: 4,
  uploadBudgetMs: intEnv('BENCH_UPLOAD_BUDGET_S', 300) * 1000,
  wrkSeconds: intEnv('BENCH_WRK_SECONDS', 10),
  wrkConnections: intEnv('BENCH_WRK_CONNECTIONS', 8),
  wrkThreads: intEnv('BENCH_WRK_THREADS', 1),
  helmRuns: intEnv('BENCH_HELM_RUNS', 3),
  pgUrl: process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  cache: process.env.BENCH_CACHE || path.join(os.homedir(), '.cache/chartroom/bench-scale'),
};
const ADMIN_PASSWORD = 'bench-scale-admin-password';
const WORKSPACE = 'bench';
const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
const MINIO_USER = 'benchscale';
const MINIO_PASSWORD = 'bench-scale-minio-secret';

// ---------------------------------------------------------------- small helpers

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

function log(message) {
  const t = ((Date.now() - runStarted) / 1000).toFixed(0).padStart(5);
  process.stderr.write(`bench-scale [${t} s] ${message}\n`);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function latencySummary(samplesMs) {
  const s = [...samplesMs].sort((a, b) => a - b);
  const raw = samplesMs.map((x) => Math.round(x * 100) / 100); // in the order taken
  return {
    samples: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.at(-1),
    raw,
  };
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Peer binaries as `scripts/peers.sh --env` names them; variables already set win. */
function peerPaths() {
  const paths = {};
  try {
    const out = execFileSync('bash', [path.join(root, 'scripts/peers.sh'), '--env'], { encoding: 'utf8' });
    for (const line of out.split('\n')) {
      const m = /^export (\w+)=(.*)$/.exec(line.trim());
      if (m) paths[m[1]] = m[2];
    }
  } catch (err) {
    log(`scripts/peers.sh --env failed (${err.message}); only binaries named in the environment are used`);
  }
  for (const key of ['CHARTROOM_HELM3', 'CHARTROOM_HELM4', 'CHARTROOM_MINIO', 'CHARTROOM_CHARTMUSEUM']) {
    if (process.env[key]) paths[key] = process.env[key];
  }
  return paths;
}

/** Runs `items` through `fn` with `concurrency` in flight; stops taking new items after budgetMs. */
async function pool(items, concurrency, fn, { budgetMs = Infinity, label = null } = {}) {
  const t0 = now();
  let next = 0;
  let done = 0;
  let stopped = false;
  let lastReport = t0;
  const worker = async () => {
    while (next < items.length) {
      if (now() - t0 > budgetMs) {
        stopped = true;
        return;
      }
      const item = items[next++];
      await fn(item);
      done++;
      // progress every 15 s, so a long populate shows it is alive
      if (label && now() - lastReport > 15_000) {
        lastReport = now();
        log(`${label}: ${done}/${items.length} (${(done / ((now() - t0) / 1000)).toFixed(1)}/s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  const seconds = (now() - t0) / 1000;
  return { count: done, of: items.length, seconds, perSecond: done / seconds, stoppedByBudget: stopped };
}

// ---------------------------------------------------------------- cleanup of everything started

// Children still running. They are stopped (TERM, then KILL) by cleanup(); the 'exit'
// hook below kills any left over, whichever way this process ends.
const liveChildren = new Set();
// Other undo steps (temp dirs, the benchmark database), run last-in first-out.
const undoSteps = [];

function tempDir(prefix, parent = os.tmpdir()) {
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  undoSteps.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function cleanup() {
  await Promise.all([...liveChildren].map((p) => stopProcess(p, 5_000)));
  for (const undo of undoSteps.splice(0).reverse()) {
    try {
      await undo();
    } catch (err) {
      log(`cleanup: ${err.message}`);
    }
  }
  agent.destroy();
}

process.on('exit', () => {
  for (const p of liveChildren) p.child.kill('SIGKILL');
});

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping every server started`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- child processes

function startProcess(label, cmd, args, { env, input } = {}) {
  const child = spawn(cmd, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const p = { label, child, out: '', finished: false };
  const keep = (d) => {
    p.out += d.toString();
    if (p.out.length > 200_000) p.out = p.out.slice(-100_000); // servers that log every request
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  if (process.env.BENCH_LOG_DIR) {
    // Each process's whole output, for what the kept tail drops (e.g. BENCH_NODE_ARGS=--trace-gc).
    fs.mkdirSync(process.env.BENCH_LOG_DIR, { recursive: true });
    const file = path.join(process.env.BENCH_LOG_DIR, `${label.replace(/[^A-Za-z0-9]+/g, '-')}.log`);
    const log = fs.createWriteStream(file, { flags: 'a' });
    log.write(`--- ${new Date().toISOString()} started: ${cmd} ${args.join(' ')}\n`);
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
  }
  if (input !== undefined) child.stdin.end(input);
  liveChildren.add(p);
  p.exited = new Promise((resolve) => {
    const finish = (code) => {
      if (p.finished) return;
      p.finished = true;
      liveChildren.delete(p);
      resolve(code);
    };
    child.on('exit', (code, signal) => finish(code ?? signal));
    child.on('error', (err) => {
      p.out += `\n${label}: ${err.message}`;
      finish(-1);
    });
  });
  return p;
}

async function stopProcess(p, graceMs = 15_000) {
  if (p.finished) return;
  p.child.kill('SIGTERM');
  const stopped = await Promise.race([p.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!stopped) {
    log(`${p.label} did not stop within ${graceMs / 1000} s of SIGTERM; killing it`);
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

/** Runs a command to its end; resolves with its exit code, output and wall time. */
async function run(cmd, args, { env, input, timeoutMs = 600_000 } = {}) {
  const t0 = now();
  const p = startProcess(path.basename(cmd), cmd, args, { env, input });
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, out: p.out, seconds: (now() - t0) / 1000 };
}

function memoryMb(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return {
      rss: kb('VmRSS') / 1024,
      peak: kb('VmHWM') / 1024,
      anon: kb('RssAnon') / 1024,
      file: kb('RssFile') / 1024,
    };
  } catch {
    return null;
  }
}

/**
 * A Chartroom server's resident memory with what its /metrics says of the JS heap and
 * of memory outside it (Buffers), so the figure can be explained: RSS minus the heap
 * and external memory is native (the allocator, code, thread stacks).
 */
async function chartroomMemory(server) {
  const m = memoryMb(server.proc.child.pid);
  if (!m) return null;
  try {
    const res = await request(`${server.base}/metrics`);
    const text = res.body.toString();
    const gauge = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN);
    const mb = (bytes) => bytes / 1024 / 1024;
    return {
      ...m,
      heapUsed: mb(gauge('nodejs_heap_size_used_bytes')),
      heapTotal: mb(gauge('nodejs_heap_size_total_bytes')),
      external: mb(gauge('nodejs_external_memory_bytes')),
    };
  } catch {
    return m;
  }
}

// ---------------------------------------------------------------- HTTP client

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent, timeout: 600_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within 600 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The body's plain bytes, whatever the encoding the server chose. Searched as bytes, never
 * made a string: at 100k versions a string of the index is 214 MB, whose garbage this
 * process collected on both cores during the next timed GET.
 */
function plainBody(res) {
  return res.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(res.body) : res.body;
}

/** Whether `at` follows a newline and at least one space. */
function afterIndent(bytes, at) {
  let k = at - 1;
  while (k >= 0 && bytes[k] === 0x20) k--;
  return k >= 0 && k < at - 1 && bytes[k] === 0x0a;
}

/** How many times `needle` occurs in `bytes`; with `lineStart`, only after a newline and spaces. */
function countIn(bytes, needle, { lineStart = false } = {}) {
  let n = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + needle.length)) {
    if (!lineStart || afterIndent(bytes, at)) n++;
  }
  return n;
}

let curlDir = null;

/**
 * One GET timed by curl (its own request-to-last-byte time), the body written to a file
 * in memory (/dev/shm when there is one) and read back after timing. Node's HTTP client
 * spends 20-40 ms receiving a 16 MB body here and collects its garbage in bursts (answers
 * of 70-185 ms that curl, on the same server, never saw), so the timed index GETs, like
 * wrk's, use a native client. A refused connection is status 0.
 */
async function curlGet(url, headers = {}) {
  curlDir ??= tempDir('bench-scale-curl-', fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
  const file = path.join(curlDir, 'body');
  const args = ['-s', '-o', file, '-w', '%{http_code} %{time_total}', '--max-time', '600'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  const startedAt = now();
  const r = await run('curl', [...args, url]);
  const [code, total] = r.out.trim().split(' ');
  const status = Number(code) || 0;
  const body = status ? fs.readFileSync(file) : Buffer.alloc(0);
  fs.rmSync(file, { force: true });
  const res = { status, headers: {}, body, startedAt, ms: Number(total) * 1000 };
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) res.headers['content-encoding'] = 'gzip';
  return res;
}

function expectStatus(what, res, status) {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${res.body.toString().slice(0, 300)}`);
  return res;
}

const nodeGet = (url, headers) => request(url, { headers });

/** Polls `url` with `get` (Node's client, or curlGet where the answer is timed) until it answers 200; throws when `proc` dies first or the deadline passes. */
async function waitFor200(proc, url, headers = {}, timeoutMs = 300_000, get = nodeGet) {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (proc.finished) throw new Error(`${proc.label} exited before answering ${url}:\n${proc.out.slice(-3000)}`);
    try {
      const res = await get(url, headers);
      if (res.status === 200) return res;
    } catch {
      // not listening yet
    }
    if (now() > deadline) throw new Error(`${proc.label} did not answer 200 on ${url}:\n${proc.out.slice(-3000)}`);
    await sleep(25);
  }
}

// ---------------------------------------------------------------- synthetic charts (bench-charts.mjs)

const chartSet = (charts, versions) => chartSetIn(S.cache, charts, versions, log);

// ---------------------------------------------------------------- wrk

let wrkScript = null;

/** A wrk script whose done() prints one JSON line, so the figures need no screen scraping. */
function wrkLua() {
  if (wrkScript) return wrkScript;
  wrkScript = path.join(tempDir('bench-scale-wrk-'), 'report.lua');
  fs.writeFileSync(
    wrkScript,
    [
      'done = function(summary, latency, requests)',
      '  local e = summary.errors',
      '  io.write(string.format(\'\\nWRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d}\\n\',',
      '    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,',
      '    latency:percentile(50), latency:percentile(90), latency:percentile(99)))',
      'end',
      '',
    ].join('\n'),
  );
  return wrkScript;
}

/** GET `url` with wrk for BENCH_WRK_SECONDS at BENCH_WRK_CONNECTIONS; latencies in ms. */
async function wrk(url, headers = {}) {
  const warm = await request(url, { headers }); // the measured state is "cached": render it first
  if (warm.status !== 200) throw new Error(`GET ${url} before wrk: ${warm.status}`);
  const args = [
    `-t${S.wrkThreads}`,
    `-c${S.wrkConnections}`,
    `-d${S.wrkSeconds}s`,
    '--timeout',
    '30s',
    '-s',
    wrkLua(),
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    url,
  ];
  const r = await run('wrk', args, { timeoutMs: (S.wrkSeconds + 120) * 1000 });
  const line = /^WRKJSON (\{.*\})$/m.exec(r.out);
  if (r.code !== 0 || !line) throw new Error(`wrk failed (${r.code}):\n${r.out.slice(-2000)}`);
  const j = JSON.parse(line[1]);
  const seconds = j.duration_us / 1e6;
  return {
    rps: j.requests / seconds,
    p50: j.p50_us / 1000,
    p90: j.p90_us / 1000,
    p99: j.p99_us / 1000,
    requests: j.requests,
    errors: j.connect + j.read + j.write + j.status + j.timeout,
    bytesPerResponse: j.requests ? j.bytes / j.requests : 0,
    seconds,
  };
}

// ---------------------------------------------------------------- helm

/**
 * `helm repo update` of one repository, BENCH_HELM_RUNS times, in a helm home of its
 * own. Wall time of the whole command: download and parse of the index.
 */
async function helmRepoUpdate(helmBin, repo) {
  const home = tempDir('bench-scale-helm-');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_DATA_HOME: path.join(home, 'data'),
    HELM_REPOSITORY_CONFIG: path.join(home, 'config/repositories.yaml'),
    HELM_REPOSITORY_CACHE: path.join(home, 'cache/repository'),
  };
  const auth = repo.username ? ['--username', repo.username, '--password-stdin'] : [];
  const add = await run(helmBin, ['repo', 'add', 'bench', repo.url, ...auth], { env, input: repo.password });
  if (add.code !== 0) throw new Error(`helm repo add ${repo.url}: ${add.out.slice(-1000)}`);
  const runs = [];
  for (let k = 0; k < S.helmRuns; k++) {
    const up = await run(helmBin, ['repo', 'update', 'bench'], { env });
    if (up.code !== 0) throw new Error(`helm repo update ${repo.url}: ${up.out.slice(-1000)}`);
    runs.push(up.seconds);
  }
  fs.rmSync(home, { recursive: true, force: true });
  return {
    median: percentile(
      [...runs].sort((a, b) => a - b),
      50,
    ),
    runs,
  };
}

/** Every helm row for a server: { helm3: { yaml, json? }, helm4: {...} }. */
async function helmRows(peers, repos) {
  const out = {};
  for (const [key, bin] of [
    ['helm3', peers.CHARTROOM_HELM3],
    ['helm4', peers.CHARTROOM_HELM4],
  ]) {
    if (!bin || !isExecutable(bin)) continue;
    out[key] = {};
    for (const [form, repo] of Object.entries(repos)) out[key][form] = await helmRepoUpdate(bin, repo);
  }
  return out;
}

function helmVersion(bin) {
  try {
    return execFileSync(bin, ['version', '--short'], { encoding: 'utf8', env: { PATH: '', HOME: os.tmpdir() } }).trim();
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------- measures shared by servers

/** The identity bytes of an index, as a client without gzip gets them. */
async function indexBody(url, headers = {}) {
  return expectStatus(`GET ${url}`, await request(url, { headers }), 200).body;
}

function indexFacts(bytes) {
  // one `digest` per chart version, in YAML (Chartroom's YAML form, ChartMuseum) and in JSON
  const entries = isJson(bytes) ? countIn(bytes, '"digest":') : countIn(bytes, 'digest: ', { lineStart: true });
  return { entries, bytes: bytes.length };
}

function isJson(bytes) {
  return bytes.length > 0 && bytes[0] === 0x7b; // '{'
}

/**
 * Each write, then one GET of the index, timed from request to last byte: without
 * Accept-Encoding, as Helm asks (`helm repo add/update` send none), or with gzip.
 * `stale` counts answers that did not yet list what was just written.
 */
async function firstIndexAfterWrites(charts, write, indexUrl, headers, { gzip = false } = {}) {
  const samples = [];
  let stale = 0;
  for (const chart of charts) {
    await write(chart);
    const res = await curlGet(indexUrl, gzip ? { ...headers, 'accept-encoding': 'gzip' } : headers);
    samples.push(res.ms);
    expectStatus(`GET ${indexUrl}`, res, 200);
    if (!plainBody(res).includes(chart.file)) stale++;
  }
  return { ...latencySummary(samples), stale };
}

/**
 * Cached GETs of one index: BENCH_AFTER_WRITE of them one at a time, identity, timed by
 * this client as the after-write rows are (what a write adds is what they take beyond
 * these), then wrk at BENCH_WRK_CONNECTIONS, identity (what Helm asks for) and gzip.
 */
async function cachedIndexRows(url, headers) {
  const single = [];
  for (let k = 0; k < S.afterWrite; k++) single.push(expectStatus(`GET ${url}`, await curlGet(url, headers), 200).ms);
  return {
    single: latencySummary(single),
    identity: await wrk(url, headers),
    gzip: await wrk(url, { ...headers, 'accept-encoding': 'gzip' }),
  };
}

/**
 * Stops the server and times a new start until the index answers 200 (to its last byte),
 * once asking for the plain bytes (as Helm does) and once for gzip; the resident memory is
 * read after each first index.
 */
async function coldStart(server) {
  const out = {};
  for (const [key, headers] of [
    ['identity', server.headers],
    ['gzip', { ...server.headers, 'accept-encoding': 'gzip' }],
  ]) {
    await server.stop();
    const t0 = now();
    server.start();
    const res = await waitFor200(server.proc, server.indexUrl, headers, undefined, curlGet);
    const endAt = res.startedAt + res.ms;
    const memory = server.kind === 'chartroom' ? await chartroomMemory(server) : memoryMb(server.proc.child.pid);
    out[key] = { seconds: (endAt - t0) / 1000, memory };
  }
  return {
    seconds: out.identity.seconds,
    gzipSeconds: out.gzip.seconds,
    memory: out.identity.memory,
    gzipMemory: out.gzip.memory,
  };
}

// ---------------------------------------------------------------- Chartroom

/** Why Chartroom cannot run on Postgres + MinIO here, or null when it can. */
async function postgresAndMinioMissing(peers) {
  if (S.pgUrl === 'off') return 'BENCH_PG_URL=off';
  if (!peers.CHARTROOM_MINIO || !isExecutable(peers.CHARTROOM_MINIO)) {
    return `no MinIO binary at ${peers.CHARTROOM_MINIO ?? '(unset)'}: run "bash scripts/peers.sh minio"`;
  }
  const c = new pg.Client({ connectionString: S.pgUrl });
  try {
    await c.connect();
    await c.end();
    return null;
  } catch (err) {
    return `no Postgres at ${S.pgUrl} (${err.message})`;
  }
}

/** An empty database bench_scale_<pid>_<tag>, dropped when the script ends; its URL. */
async function createDatabase(tag) {
  const name = `bench_scale_${process.pid}_${tag}`;
  const admin = new pg.Client({ connectionString: S.pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  undoSteps.push(async () => {
    const c = new pg.Client({ connectionString: S.pgUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const url = new URL(S.pgUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A MinIO server on a free port and a fresh temp dir; stop it with stopProcess(). */
async function startMinio(bin) {
  const dataDir = tempDir('bench-scale-minio-');
  const port = await freePort();
  const consolePort = await freePort();
  const args = ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`];
  const proc = startProcess('MinIO', bin, [...args, '--quiet'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dataDir,
      MINIO_ROOT_USER: MINIO_USER,
      MINIO_ROOT_PASSWORD: MINIO_PASSWORD,
      MINIO_BROWSER: 'off',
    },
  });
  await waitFor200(proc, `http://127.0.0.1:${port}/minio/health/live`, {}, 60_000);
  return { proc, endpoint: `http://127.0.0.1:${port}` };
}

/**
 * Runs fn(env) with Chartroom's environment for an empty Postgres database and a MinIO
 * started for this run alone (stopped afterwards, so no two servers run at once).
 */
async function onPostgresAndMinio(peers, tag, fn) {
  const env = { DATABASE_URL: await createDatabase(tag) };
  const minio = await startMinio(peers.CHARTROOM_MINIO);
  try {
    const value = await fn({
      ...env,
      S3_ENDPOINT: minio.endpoint,
      S3_ACCESS_KEY: MINIO_USER,
      S3_SECRET_KEY: MINIO_PASSWORD,
      S3_BUCKET: 'chartroom-bench',
    });
    return { value, minioMemoryMb: memoryMb(minio.proc.child.pid) };
  } finally {
    await stopProcess(minio.proc);
  }
}

/** A Chartroom server on a fresh data directory; start() can be called again after stop(). */
async function chartroomServer(label, backendEnv = {}) {
  const dataDir = tempDir('bench-scale-chartroom-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    CHARTROOM_DATA_DIR: dataDir,
    CHARTROOM_ADMIN_PASSWORD: ADMIN_PASSWORD,
    CHARTROOM_INDEX_FORMAT: INDEX_FORMAT,
    ...backendEnv,
  };
  const headers = { authorization: BASIC };
  const json = { ...headers, 'content-type': 'application/json' };
  const appUrl = (name) => `${base}/api/v1/workspaces/${WORKSPACE}/apps/${encodeURIComponent(name)}`;
  const server = {
    label,
    kind: 'chartroom',
    proc: null,
    base,
    headers,
    indexUrl: `${base}/workspaces/${WORKSPACE}/index.yaml`,
    storeIndexUrl: `${base}/store/index.yaml`,
    helmRepo: { url: `${base}/workspaces/${WORKSPACE}`, username: 'admin', password: ADMIN_PASSWORD },
    start() {
      server.proc = startProcess(`Chartroom (${label})`, process.execPath, [...NODE_ARGS, serverScript], { env });
    },
    stop: () => stopProcess(server.proc),
    async upload(body, file) {
      const res = await request(`${base}/api/workspaces/${WORKSPACE}/charts`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/gzip', 'content-length': String(body.length) },
        body,
      });
      expectStatus(`uploading ${file}`, res, 201);
    },
    async setCategory(name) {
      const res = await request(appUrl(name), {
        method: 'PATCH',
        headers: json,
        body: JSON.stringify({ category: 'uncategorized' }),
      });
      expectStatus(`category of ${name}`, res, 200);
    },
    /** submit, pass and release: the lifecycle API has no bulk path, so three calls a version. */
    async release(name, version) {
      for (const action of ['submit', 'pass', 'release']) {
        const res = await request(`${appUrl(name)}/versions/${encodeURIComponent(version)}/actions`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ action }),
        });
        expectStatus(`${action} ${name} ${version}`, res, 200);
      }
    },
  };
  server.start();
  try {
    await waitFor200(server.proc, `${base}/readyz`, {}, 120_000);
    const res = await request(`${base}/api/v1/workspaces`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: WORKSPACE }),
    });
    expectStatus('creating the workspace', res, 201);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

async function populateChartroom(server, set) {
  log(`${server.label}: uploading ${set.list.length} charts at concurrency ${S.populateConcurrency}`);
  return pool(set.list, S.populateConcurrency, (c) => server.upload(fs.readFileSync(c.path), c.file), {
    label: `${server.label} populate`,
  });
}

/** Every version of the set to the store, within BENCH_STORE_BUDGET_S. */
async function populateStore(server, set) {
  log(`${server.label}: releasing ${set.list.length} versions to the store (3 calls each)`);
  const names = [...new Set(set.list.map((c) => c.name))];
  const categories = await pool(names, S.populateConcurrency, (name) => server.setCategory(name));
  const released = await pool(set.list, S.populateConcurrency, (c) => server.release(c.name, c.version), {
    budgetMs: S.storeBudgetMs,
    label: `${server.label} release`,
  });
  return { ...released, seconds: released.seconds + categories.seconds, complete: !released.stoppedByBudget };
}

/**
 * The whole measure set on one Chartroom. Returns the result row and the index bytes
 * Chartroom served (for nginx to serve the very same bytes).
 */
async function benchChartroom(label, set, peers, backendEnv, { store }) {
  const r = { server: 'chartroom', label, versions: set.list.length };
  const served = {};
  const extras = extraCharts(set, 0, 3 * S.afterWrite + S.uploads);
  const afterWriteCharts = extras.slice(0, S.afterWrite);
  const afterWriteGzipCharts = extras.slice(S.afterWrite, 2 * S.afterWrite);
  const afterReleaseCharts = extras.slice(2 * S.afterWrite, 3 * S.afterWrite);
  const uploadCharts = extras.slice(3 * S.afterWrite);
  let server = null;
  try {
    server = await chartroomServer(label, backendEnv);
    r.populate = await populateChartroom(server, set);
    r.populatedIndex = indexFacts(await indexBody(server.indexUrl, server.headers));
    const mb = (r.populatedIndex.bytes / 1e6).toFixed(1);
    log(`${label}: workspace index holds ${r.populatedIndex.entries} versions, ${mb} MB`);
    if (store) {
      r.store = await populateStore(server, set);
      r.populatedStoreIndex = indexFacts(await indexBody(server.storeIndexUrl));
      log(`${label}: store index holds ${r.populatedStoreIndex.entries} versions (${r.store.seconds.toFixed(0)} s)`);
    }

    log(`${label}: first index GET after each of ${afterWriteCharts.length} uploads, then with gzip`);
    r.afterWrite = await firstIndexAfterWrites(
      afterWriteCharts,
      (c) => server.upload(c.body, c.file),
      server.indexUrl,
      server.headers,
    );
    r.afterWriteGzip = await firstIndexAfterWrites(
      afterWriteGzipCharts,
      (c) => server.upload(c.body, c.file),
      server.indexUrl,
      server.headers,
      { gzip: true },
    );
    if (store) {
      log(`${label}: first store index GET after each of ${afterReleaseCharts.length} releases`);
      r.afterRelease = await firstIndexAfterWrites(
        afterReleaseCharts,
        async (c) => {
          await server.upload(c.body, c.file);
          await server.release(c.name, c.version);
        },
        server.storeIndexUrl,
        {},
      );
    }

    log(`${label}: cached index GETs (wrk)`);
    served.workspace = await indexBody(server.indexUrl, server.headers);
    r.index = indexFacts(served.workspace);
    r.cached = await cachedIndexRows(server.indexUrl, server.headers);
    if (store) {
      served.store = await indexBody(server.storeIndexUrl);
      r.storeIndex = indexFacts(served.store);
      r.cachedStore = await cachedIndexRows(server.storeIndexUrl, {});
    }

    log(`${label}: ${uploadCharts.length} uploads at concurrency ${S.uploadConcurrency}`);
    r.uploads = await pool(uploadCharts, S.uploadConcurrency, (c) => server.upload(c.body, c.file), {
      budgetMs: S.uploadBudgetMs,
    });

    log(`${label}: helm repo update`);
    r.helm = await helmRows(peers, { [INDEX_FORMAT]: server.helmRepo });

    r.memory = { afterRun: await chartroomMemory(server) };
    log(`${label}: restart`);
    r.coldStart = await coldStart(server);
    r.memory.afterRestart = r.coldStart.memory;
    r.memory.afterGzipRestart = r.coldStart.gzipMemory;
  } catch (err) {
    r.error = err instanceof Error ? err.message : String(err);
    log(`${label}: FAILED: ${r.error}`);
  } finally {
    if (server?.proc) await server.stop();
  }
  return { result: r, served };
}

// ---------------------------------------------------------------- ChartMuseum

function chartMuseumServer(bin, storage, port) {
  const base = `http://127.0.0.1:${port}`;
  const args = ['--port', String(port), '--listen-host', '127.0.0.1', '--storage', 'local'];
  args.push('--storage-local-rootdir', storage, '--disable-metrics');
  const server = {
    label: 'ChartMuseum',
    kind: 'chartmuseum',
    proc: null,
    headers: {},
    indexUrl: `${base}/index.yaml`,
    helmRepo: { url: base },
    start() {
      server.proc = startProcess('ChartMuseum', bin, args, { env: { PATH: process.env.PATH ?? '', HOME: storage } });
    },
    stop: () => stopProcess(server.proc),
    async upload(body, file) {
      const res = await request(`${base}/api/charts`, {
        method: 'POST',
        headers: { 'content-type': 'application/gzip', 'content-length': String(body.length) },
        body,
      });
      expectStatus(`uploading ${file} to ChartMuseum`, res, 201);
    },
  };
  return server;
}

async function benchChartMuseum(bin, set, peers) {
  const r = { server: 'chartmuseum', label: 'ChartMuseum', versions: set.list.length };
  const extras = extraCharts(set, 0, 2 * S.afterWrite + S.uploads);
  const storage = tempDir('bench-scale-chartmuseum-');
  const server = chartMuseumServer(bin, storage, await freePort());
  try {
    // Its upload API re-reads the repository on every write, far too slow at this size:
    // the packages are copied into its storage directory instead.
    let t0 = now();
    for (const c of set.list) fs.copyFileSync(c.path, path.join(storage, c.file));
    const copySeconds = (now() - t0) / 1000;
    t0 = now();
    server.start();
    const first = await waitFor200(server.proc, server.indexUrl);
    r.populate = { copySeconds, perSecond: set.list.length / copySeconds, firstIndexSeconds: (now() - t0) / 1000 };
    r.populatedIndex = indexFacts(first.body);
    const entries = r.populatedIndex.entries;
    log(`ChartMuseum: first index in ${r.populate.firstIndexSeconds.toFixed(1)} s, ${entries} versions`);

    log('ChartMuseum: first index GET after each upload, then with gzip');
    r.afterWrite = await firstIndexAfterWrites(
      extras.slice(0, S.afterWrite),
      (c) => server.upload(c.body, c.file),
      server.indexUrl,
      {},
    );
    r.afterWriteGzip = await firstIndexAfterWrites(
      extras.slice(S.afterWrite, 2 * S.afterWrite),
      (c) => server.upload(c.body, c.file),
      server.indexUrl,
      {},
      { gzip: true },
    );
    log('ChartMuseum: cached index GETs (wrk)');
    r.index = indexFacts(await indexBody(server.indexUrl));
    r.cached = await cachedIndexRows(server.indexUrl, {});
    log(`ChartMuseum: uploads at concurrency ${S.uploadConcurrency} (at most ${S.uploadBudgetMs / 1000} s)`);
    r.uploads = await pool(extras.slice(2 * S.afterWrite), S.uploadConcurrency, (c) => server.upload(c.body, c.file), {
      budgetMs: S.uploadBudgetMs,
    });
    log('ChartMuseum: helm repo update');
    r.helm = await helmRows(peers, { [INDEX_FORMAT]: server.helmRepo });
    r.memory = { afterRun: memoryMb(server.proc.child.pid) };
    log('ChartMuseum: restart');
    r.coldStart = await coldStart(server);
    r.memory.afterRestart = r.coldStart.memory;
    r.memory.afterGzipRestart = r.coldStart.gzipMemory;
  } catch (err) {
    r.error = err instanceof Error ? err.message : String(err);
    log(`ChartMuseum: FAILED: ${r.error}`);
  } finally {
    if (server.proc) await server.stop();
  }
  return r;
}

// ---------------------------------------------------------------- nginx

/** The JSON form of an index (what `helm repo index --json` writes): the same entries. */
function jsonIndex(bytes) {
  if (isJson(bytes)) return bytes;
  // CORE_SCHEMA keeps `created` and other timestamps as the strings they were
  const doc = yaml.load(bytes.toString('utf8'), { schema: yaml.CORE_SCHEMA });
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

/** The same document as YAML, written as Chartroom's YAML form writes it. */
function yamlIndex(bytes) {
  if (!isJson(bytes)) return bytes;
  return Buffer.from(yaml.dump(JSON.parse(bytes.toString('utf8')), { sortKeys: true, noRefs: true, lineWidth: -1 }));
}

/**
 * nginx with a config of its own in a temp dir, serving `files` ({ 'ws/index.yaml':
 * bytes, ... }) with a precompressed .gz beside each (gzip_static), as a static server
 * at its best would.
 */
async function nginxServer(files) {
  const dir = tempDir('bench-scale-nginx-');
  // nginx workers run as nobody when started by root: everything must be world-readable
  fs.chmodSync(dir, 0o755);
  for (const [rel, bytes] of Object.entries(files)) {
    const file = path.join(dir, 'www', rel);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    fs.writeFileSync(file, bytes, { mode: 0o644 });
    fs.writeFileSync(`${file}.gz`, zlib.gzipSync(bytes), { mode: 0o644 });
  }
  fs.chmodSync(path.join(dir, 'www'), 0o755);
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    [
      'worker_processes auto;',
      'daemon off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/tmp-${t};`),
      '  sendfile on;',
      '  tcp_nopush on;',
      '  keepalive_requests 1000000;',
      '  types { application/x-yaml yaml; application/json json; }',
      '  server {',
      `    listen 127.0.0.1:${port};`,
      `    root ${dir}/www;`,
      '    gzip_static on;',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const proc = startProcess('nginx', 'nginx', ['-p', dir, '-c', conf, '-e', `${dir}/error.log`]);
  const base = `http://127.0.0.1:${port}`;
  await waitFor200(proc, `${base}/${Object.keys(files)[0]}`, {}, 30_000);
  return { base, proc };
}

async function benchNginx(served, peers) {
  const r = { server: 'nginx', label: 'nginx' };
  const files = {
    'ws/index.yaml': served.workspace,
    'yaml/index.yaml': yamlIndex(served.workspace),
    'json/index.yaml': jsonIndex(served.workspace),
  };
  if (served.store) files['store/index.yaml'] = served.store;
  r.index = indexFacts(served.workspace);
  r.jsonBytes = files['json/index.yaml'].length;
  const { base, proc } = await nginxServer(files);
  try {
    log('nginx: cached index GETs (wrk)');
    r.cached = await cachedIndexRows(`${base}/ws/index.yaml`, {});
    if (served.store) r.cachedStore = await cachedIndexRows(`${base}/store/index.yaml`, {});
    log('nginx: helm repo update, YAML and JSON');
    r.helm = await helmRows(peers, { yaml: { url: `${base}/yaml` }, json: { url: `${base}/json` } });
  } catch (err) {
    r.error = err instanceof Error ? err.message : String(err);
    log(`nginx: FAILED: ${r.error}`);
  } finally {
    await stopProcess(proc);
  }
  return r;
}

// ---------------------------------------------------------------- report

const fmt = (x, digits = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '—');
const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? `${(a / b).toFixed(2)}×` : '—');

/**
 * The table's rows: a label, the value of a result (a number, or [p50, ..., p99] for
 * latencies, so a ratio is shown for each), how to print it, and whether a ratio means
 * anything.
 */
const row = (label, value, text, { ratio = true } = {}) => ({ label, value, text, ratio });
const number = (digits) => (v) => fmt(v, digits);
const conn = `${S.wrkConnections} conn`;
const ROWS = [
  row('versions in the index at the cached GETs', (r) => r.index?.entries, number(0), { ratio: false }),
  row('index size, MB (identity)', (r) => r.index && r.index.bytes / 1e6, number(1), { ratio: false }),
  row('populate, versions/s (Chartroom: upload API; ChartMuseum: file copy)', (r) => r.populate?.perSecond, number(1), { ratio: false }),
  row('store: versions released/s (submit + pass + release)', (r) => r.store?.perSecond, number(1), { ratio: false }),
  row('first index GET after an upload, as Helm asks (identity), ms p50 / p90 / p99', (r) => latency3(r.afterWrite), latencyText),
  row('first index GET after an upload, gzip, ms p50 / p90 / p99', (r) => latency3(r.afterWriteGzip), latencyText),
  row('first store index GET after a release, identity, ms p50 / p90 / p99', (r) => latency3(r.afterRelease), latencyText),
  row('cached index GET one at a time, identity, ms p50 / p90 / p99', (r) => latency3(r.cached?.single), latencyText),
  row(`cached index GET, ${conn}, identity: req/s`, (r) => r.cached?.identity?.rps, number(0)),
  row('  p50 / p99 ms', (r) => latency2(r.cached?.identity), latencyText),
  row(`cached index GET, ${conn}, gzip: req/s`, (r) => r.cached?.gzip?.rps, number(0)),
  row('  p50 / p99 ms', (r) => latency2(r.cached?.gzip), latencyText),
  row(`cached store index GET, ${conn}, identity: req/s`, (r) => r.cachedStore?.identity?.rps, number(0)),
  row('  p50 / p99 ms', (r) => latency2(r.cachedStore?.identity), latencyText),
  row(`cached store index GET, ${conn}, gzip: req/s`, (r) => r.cachedStore?.gzip?.rps, number(0)),
  row('  p50 / p99 ms', (r) => latency2(r.cachedStore?.gzip), latencyText),
  row(`uploads into the populated repo, c=${S.uploadConcurrency}: charts/s`, (r) => r.uploads?.perSecond, number(1)),
  row('cold start to first index, as Helm asks (identity), s', (r) => r.coldStart?.seconds, number(2)),
  row('cold start to first index, gzip, s', (r) => r.coldStart?.gzipSeconds, number(2)),
  row('RSS after the run, MB', (r) => r.memory?.afterRun?.rss, number(0)),
  row('  JS heap used / heap total / external (Buffers), MB', (r) => heapParts(r.memory?.afterRun), latencyText, {
    ratio: false,
  }),
  row('RSS after a restart (and first index), MB', (r) => r.memory?.afterRestart?.rss, number(0)),
  row('RSS after a restart (and first gzip index), MB', (r) => r.memory?.afterGzipRestart?.rss, number(0)),
  row('  JS heap used / heap total / external (Buffers), MB', (r) => heapParts(r.memory?.afterGzipRestart), latencyText, {
    ratio: false,
  }),
  row('helm 3 repo update, YAML, s (median)', (r) => r.helm?.helm3?.yaml?.median, number(2)),
  row('helm 4 repo update, YAML, s (median)', (r) => r.helm?.helm4?.yaml?.median, number(2)),
  row('helm 3 repo update, same entries as JSON, s', (r) => r.helm?.helm3?.json?.median, number(2)),
  row('helm 4 repo update, same entries as JSON, s', (r) => r.helm?.helm4?.json?.median, number(2)),
]; // prettier-ignore

function latency3(l) {
  return l ? [l.p50, l.p90, l.p99] : undefined;
}
function latency2(l) {
  return l ? [l.p50, l.p99] : undefined;
}
/** What Chartroom's /metrics said of its heap, or nothing (other servers). */
function heapParts(m) {
  return m && Number.isFinite(m.heapTotal) ? [m.heapUsed, m.heapTotal, m.external] : undefined;
}
function latencyText(v) {
  return v ? v.map((x) => fmt(x, x < 10 ? 2 : 0)).join(' / ') : '—';
}
function ratioText(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) return a.map((x, k) => ratio(x, b[k])).join(' / ');
  if (Array.isArray(a) || Array.isArray(b)) return '—';
  return ratio(a, b);
}

/** What a reader must not miss: failures, partial populations, skipped servers. */
function warnings(results, meta) {
  const lines = [];
  for (const r of results) {
    if (r.error) lines.push(`${r.label} FAILED: ${r.error}`);
    if (r.store && !r.store.complete) {
      lines.push(`${r.label}: the store holds ${r.store.count} of ${r.store.of} versions (BENCH_STORE_BUDGET_S)`);
    }
    if (r.uploads?.stoppedByBudget) {
      lines.push(`${r.label}: ${r.uploads.count} uploads in ${fmt(r.uploads.seconds)} s (BENCH_UPLOAD_BUDGET_S)`);
    }
    for (const rows of [r.afterWrite, r.afterWriteGzip, r.afterRelease]) {
      if (rows?.stale) lines.push(`${r.label}: ${rows.stale} index GETs after a write missed it`);
    }
  }
  for (const note of meta.skipped) lines.push(`SKIPPED: ${note}`);
  return lines;
}

function printReport(out) {
  const { results, meta } = out;
  const chartrooms = results.filter((r) => r.server === 'chartroom' && !r.big);
  const cm = results.find((r) => r.server === 'chartmuseum');
  const ngx = results.find((r) => r.server === 'nginx');
  const bigs = results.filter((r) => r.big);
  const columns = [...chartrooms, ...(cm ? [cm] : []), ...(ngx ? [ngx] : [])];
  const header = ['measure', ...columns.map((r) => r.label)];
  const ratioCols = [];
  for (const c of chartrooms) {
    const short = c.label.replace(/^Chartroom \(|\)$/g, '');
    if (cm) ratioCols.push([`${short} ÷ CM`, c, cm]);
    if (ngx) ratioCols.push([`${short} ÷ nginx`, c, ngx]);
  }
  header.push(...ratioCols.map(([t]) => t), ...bigs.map((r) => r.label));
  const rows = [header];
  for (const { label, value, text, ratio } of ROWS) {
    const cells = columns.map((r) => text(value(r)));
    const ratios = ratioCols.map(([, a, b]) => (ratio ? ratioText(value(a), value(b)) : ''));
    rows.push([label, ...cells, ...ratios, ...bigs.map((r) => text(value(r)))]);
  }
  console.log(`\nChartroom scale benchmark (issue 9): ${meta.charts} charts x ${meta.versions} versions`);
  console.log(`machine: ${meta.machine}; load average at start ${meta.loadAverageAtStart}`);
  console.log(`Chartroom: ${meta.chartroomBuild}`);
  console.log(`node ${meta.node}; ${meta.nginx}; ${meta.wrk}; helm ${meta.helm3} / ${meta.helm4}; ${meta.chartmuseum}`);
  console.log(
    `cached GETs: wrk -t${S.wrkThreads} -c${S.wrkConnections} -d${S.wrkSeconds}s, Basic auth on Chartroom's workspace index; ` +
      `helm 3 and 4 send no Accept-Encoding (the identity rows are what they get); ratios are Chartroom ÷ other (req/s: above 1 is better; ms and s: below 1 is better)`,
  );
  console.log('');
  console.log(textTable(rows));
  console.log('');
  for (const line of warnings(results, meta)) console.log(`!! ${line}`);
  console.log(`\nphases: ${meta.phases.map((p) => `${p.name} ${fmt(p.seconds)} s`).join(', ')}`);
  console.log(`whole run: ${fmt(meta.seconds)} s`);
}

// ---------------------------------------------------------------- main

function machine() {
  const cpus = os.cpus();
  return `${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}`;
}

/** The first line a tool prints about its version (nginx and wrk print it on stderr, or exit 1). */
function toolVersion(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return `${cmd}: not found`;
  return `${r.stdout}\n${r.stderr}`.trim().split('\n')[0];
}

/** Which Chartroom ran: the script, and the commit when it is this checkout's own build. */
function chartroomBuild() {
  if (serverScript !== path.join(root, 'dist/src/server.js')) return serverScript;
  const git = (...args) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const dirty = git('status', '--porcelain', '--', 'src') ? ', src/ modified' : '';
  return `dist/src/server.js (commit ${git('rev-parse', '--short', 'HEAD') || 'unknown'}${dirty})`;
}

function preconditions(peers) {
  if (!fs.existsSync(serverScript)) fail(`${serverScript} is missing: run "npm run build" first`);
  for (const tool of ['nginx', 'wrk', 'curl']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      fail(`${tool} is not installed (Debian: apt-get install -y nginx wrk curl)`);
    }
  }
  for (const key of ['CHARTROOM_HELM3', 'CHARTROOM_HELM4']) {
    if (!peers[key] || !isExecutable(peers[key])) {
      log(
        `WARNING: ${key} (${peers[key] ?? 'unset'}) is not built: its helm rows are left out ("bash scripts/peers.sh helm")`,
      );
    }
  }
}

async function main() {
  const peers = peerPaths();
  preconditions(peers);
  const meta = {
    charts: S.charts,
    versions: S.versions,
    settings: S,
    machine: machine(),
    loadAverageAtStart: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    node: process.version,
    chartroomBuild: chartroomBuild(),
    nginx: toolVersion('nginx', ['-v']),
    wrk: toolVersion('wrk', ['-v']).split(' [')[0],
    helm3: peers.CHARTROOM_HELM3 && isExecutable(peers.CHARTROOM_HELM3) ? helmVersion(peers.CHARTROOM_HELM3) : 'none',
    helm4: peers.CHARTROOM_HELM4 && isExecutable(peers.CHARTROOM_HELM4) ? helmVersion(peers.CHARTROOM_HELM4) : 'none',
    chartmuseum: 'ChartMuseum: NOT RUN (see SKIPPED below the table)',
    skipped: [],
    phases: [],
  };
  const results = [];
  const out = { meta, results };
  const phase = async (name, fn) => {
    if (interrupted) throw new Error('interrupted');
    const t0 = now();
    const value = await fn();
    meta.phases.push({ name, seconds: (now() - t0) / 1000 });
    return value;
  };

  const set = await phase('generate', () => chartSet(S.charts, S.versions));
  meta.setDir = set.dir;
  meta.setMB = set.bytes / 1e6;
  log(`set: ${set.list.length} charts, ${(set.bytes / 1e6).toFixed(1)} MB in ${set.dir}`);
  let served = null;

  if (S.servers.includes('chartroom')) {
    const b = await phase('chartroom', () =>
      benchChartroom('Chartroom (PGlite + disk)', set, peers, {}, { store: S.store }),
    );
    results.push(b.result);
    if (b.served.workspace) served = b.served;
  }

  const pgMissing =
    S.servers.includes('chartroom-pg') || (S.big && S.bigOn.includes('pg'))
      ? await postgresAndMinioMissing(peers)
      : null;
  if (pgMissing) meta.skipped.push(`Chartroom on Postgres + MinIO: ${pgMissing}`);
  if (S.servers.includes('chartroom-pg') && !pgMissing) {
    const b = await phase('chartroom-pg', () =>
      onPostgresAndMinio(peers, 'main', (env) =>
        benchChartroom('Chartroom (Postgres + MinIO)', set, peers, env, { store: S.store }),
      ),
    );
    b.value.result.minioMemoryMb = b.minioMemoryMb;
    results.push(b.value.result);
    if (!served && b.value.served.workspace) served = b.value.served;
  }

  if (S.servers.includes('chartmuseum')) {
    const bin = peers.CHARTROOM_CHARTMUSEUM;
    if (bin && isExecutable(bin)) {
      meta.chartmuseum = toolVersion(bin, ['--version']);
      results.push(await phase('chartmuseum', () => benchChartMuseum(bin, set, peers)));
    } else {
      const why =
        `ChartMuseum: no binary at ${bin ?? '(unset)'}. Build it with ` +
        '"CHARTROOM_CHARTMUSEUM_SRC=<clone of helm/chartmuseum> bash scripts/peers.sh bench" (or set CHARTROOM_CHARTMUSEUM)';
      meta.skipped.push(why);
      log(`!!!!! ${why}`);
    }
  }

  if (S.servers.includes('nginx')) {
    if (served) results.push(await phase('nginx', () => benchNginx(served, peers)));
    else meta.skipped.push('nginx: no index bytes from a Chartroom run to serve');
  }

  if (S.big) {
    const charts = Math.ceil(S.big / S.versions);
    const bigSet = await phase('generate big', () => chartSet(charts, S.versions));
    for (const on of S.bigOn) {
      const label = `Chartroom ${on === 'pg' ? 'PG + MinIO' : 'PGlite'} @${bigSet.list.length}`;
      let result;
      if (on === 'embedded') {
        result = (await phase('big embedded', () => benchChartroom(label, bigSet, peers, {}, { store: false }))).result;
      } else if (!pgMissing) {
        const b = await phase('big pg', () =>
          onPostgresAndMinio(peers, 'big', (env) => benchChartroom(label, bigSet, peers, env, { store: false })),
        );
        result = { ...b.value.result, minioMemoryMb: b.minioMemoryMb };
      } else continue;
      result.big = true;
      results.push(result);
    }
  } else {
    meta.skipped.push(
      'Chartroom alone at 100k versions (not run by default): set BENCH_BIG=100000. Estimated from the 15k ' +
        'run on a 2-core machine, it adds about 25 min per set-up (BENCH_BIG_ON): about 2 min generating once, ' +
        '14 min uploading at ~120 versions/s, about 5 min of index renders; the store is not populated in it',
    );
  }

  if (interrupted) return;
  meta.seconds = (Date.now() - runStarted) / 1000;
  printReport(out);
  const outFile =
    process.env.BENCH_OUT ||
    path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-out-')), 'bench-scale-results.json');
  fs.writeFileSync(outFile, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`results (JSON): ${outFile}`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench-scale: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
