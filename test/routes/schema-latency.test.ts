// The server answers /healthz within 100 ms while it compiles a big values.schema.json
// at upload and while it checks values against a chart's evil patterns ("^(a+)+$"
// against "aaaa…!", which took 3.7 s on the event loop with 29 a's). A real listening
// server, asked by a client on its own thread: a client on the server's event loop
// could not even send while that loop is blocked, and would see nothing wrong.
import t, { type Test } from 'tap';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { adminAuth, countRowsAndBlobs, createWorkspace, testApp } from '../helpers/app.js';
import { makeChart } from '../helpers/tarball.js';

// The goal is 100 ms. The median must meet it; a single slow answer is allowed
// up to a second, because CI runs another test file on the other core (before the fix,
// the worst answers took 1.1 s during the upload and 29 s during the check).
const HEALTHZ_MEDIAN_MS = 100;
const HEALTHZ_WORST_MS = 1000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function checkLatencies(t: Test, latencies: number[], during: string): void {
  t.ok(latencies.length >= 3, `/healthz was asked ${latencies.length} times during ${during}`);
  t.ok(median(latencies) < HEALTHZ_MEDIAN_MS, `median /healthz during ${during}: ${median(latencies).toFixed(1)} ms`);
  t.ok(
    Math.max(...latencies) < HEALTHZ_WORST_MS,
    `slowest /healthz during ${during}: ${Math.max(...latencies).toFixed(1)} ms`,
  );
}

// Plain JavaScript, so the thread starts without the TypeScript loader.
const POLLER = `
const { parentPort, workerData } = require('node:worker_threads');
let stopping = false;
parentPort.once('message', () => { stopping = true; });
(async () => {
  const latencies = [];
  while (!stopping) {
    const started = performance.now();
    const res = await fetch(workerData.url);
    await res.text();
    if (res.status !== 200) throw new Error('/healthz answered ' + res.status);
    latencies.push(performance.now() - started);
    if (latencies.length === 1) parentPort.postMessage('polling');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  parentPort.postMessage(latencies);
})();
`;

/** Asks /healthz over and over from another thread while work runs; returns each answer's latency. */
async function healthzWhile(base: string, work: () => Promise<unknown>): Promise<number[]> {
  const poller = new Worker(POLLER, { eval: true, execArgv: [], workerData: { url: `${base}/healthz` } });
  const messages: unknown[] = [];
  let arrived: () => void = () => {};
  poller.on('message', (m) => {
    messages.push(m);
    arrived();
  });
  const next = async (): Promise<unknown> => {
    while (messages.length === 0) {
      await new Promise<void>((resolve) => {
        arrived = resolve;
      });
    }
    return messages.shift();
  };
  const failed = new Promise<never>((_, reject) => poller.once('error', reject));
  try {
    await Promise.race([next(), failed]);
    await work();
    poller.postMessage('stop');
    return (await Promise.race([next(), failed])) as number[];
  } finally {
    await poller.terminate();
  }
}

// Big enough that compiling takes a second or more (on the event loop, it would block
// it that long), well inside the limits of schema-safety.ts.
function bigSchema(): string {
  const evil = { type: 'string', pattern: '^(a+)+$' };
  const properties: Record<string, unknown> = {
    s: evil,
    t: { type: 'string', allOf: Array.from({ length: 20 }, () => evil) },
  };
  for (let i = 0; i < 100; i++) properties[`f${i}`] = { type: 'string', pattern: `^[a-z]{1,20}-${i}(\\.[a-z0-9]+)*$` };
  for (let i = 0; i < 400; i++) {
    properties[`o${i}`] = {
      type: 'object',
      properties: { a: { type: ['null', 'string'] }, b: { type: 'integer', minimum: 0 }, c: { enum: ['x', 'y'] } },
    };
  }
  return JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties });
}

t.test('/healthz stays fast while schema work runs', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const headers = { authorization: adminAuth };
  const push = (bytes: Buffer) =>
    fetch(`${base}/api/workspaces/${ws}/charts`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/gzip' },
      body: new Uint8Array(bytes),
    });

  // Start the schema worker first. Under the test runner each new thread compiles the
  // TypeScript sources again, which loads the whole process for seconds; built, a
  // worker starts in about 0.2 s. The measured jobs then run on this warm worker.
  t.equal((await push(makeChart({ name: 'warm', version: '1.0.0', schema: '{"type": "object"}' }))).status, 201);

  let uploaded!: Response;
  let latencies = await healthzWhile(base, async () => {
    uploaded = await push(makeChart({ name: 'evil', version: '1.0.0', schema: bigSchema() }));
  });
  t.equal(uploaded.status, 201, `the big schema is within the limits: ${await uploaded.text()}`);
  checkLatencies(t, latencies, 'the upload');

  // The case (29 a's and a "!") plus half a megabyte that 20 patterns each read.
  const values = `s: "${'a'.repeat(29)}!"\nt: "${'a'.repeat(500_000)}"\n`;
  let res!: Response;
  latencies = await healthzWhile(base, async () => {
    res = await fetch(`${base}/api/v1/workspaces/${ws}/apps/evil/versions/1.0.0/values/validate`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/yaml' },
      body: values,
    });
  });
  t.equal(res.status, 200);
  t.same(await res.json(), {
    valid: false,
    hasSchema: true,
    errors: [{ path: 's', message: 'must match pattern "^(a+)+$"' }],
  });
  checkLatencies(t, latencies, 'the check');
});

t.test('uploads whose schema cannot be bounded are refused with nothing stored', async (t) => {
  const { app } = await testApp(t);
  const ws = await createWorkspace(app);
  const push = (schema: string) =>
    app.inject({
      method: 'POST',
      url: `/api/workspaces/${ws}/charts`,
      headers: { authorization: adminAuth, 'content-type': 'application/gzip' },
      payload: makeChart({ schema }),
    });
  let res = await push(
    JSON.stringify({ properties: { name: { type: 'string', pattern: '^(?!-)[a-z0-9-]+(?<!-)$' } } }),
  );
  t.equal(res.statusCode, 400);
  t.match(res.json(), {
    code: 'chart-invalid',
    error:
      /the pattern "\^\(\?!-\)\[a-z0-9-\]\+\(\?<!-\)\$" at #\/properties\/name\/pattern cannot be used: lookahead and lookbehind/,
  });

  // The review's case: 20,000 properties, each with a pattern (7.3 s on the event loop).
  const props: Record<string, unknown> = {};
  for (let i = 0; i < 20_000; i++) props[`p${i}`] = { type: 'string', pattern: `^[a-z]+${i}$` };
  res = await push(JSON.stringify({ type: 'object', properties: props }));
  t.equal(res.statusCode, 400);
  t.match(res.json(), { code: 'chart-invalid', error: /has more than 20000 JSON values, over the limit of 20000/ });
  t.same(await countRowsAndBlobs(app), { apps: 0, versions: 0, blobs: 0 });
});
