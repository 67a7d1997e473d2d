// A chart's values.schema.json cannot make the server spend unbounded time or memory:
// patterns run on RE2 (linear time), patterns RE2 cannot run are refused at upload,
// schemas over the size limits are refused, compiled schemas are cached within a byte
// budget, and schema work runs on worker threads with a time limit.
import t, { type Test } from 'tap';
import { AppError } from '../../src/errors.js';
import { compiledSchemas, compileValuesSchema, COMPILED_CACHE_BYTES } from '../../src/charts/values.js';
import {
  MAX_SCHEMA_BYTES,
  MAX_SCHEMA_DEPTH,
  MAX_SCHEMA_NODES,
  MAX_SCHEMA_PATTERNS,
} from '../../src/charts/schema-safety.js';
import { procThreadCpuMs, SchemaWorkers, type SchemaWorkerOptions } from '../../src/charts/schema-workers.js';

// The worker jobs below use seconds of CPU each on a thread of lower priority: beside
// other suites on a slow 2-core machine this file took over 250 s (tap's default here is 300).
t.setTimeout(20 * 60_000);

/**
 * How many times its limit on the clock a job that keeps using CPU may take, in tests
 * that expect it stopped for its CPU time. A worker at nice 10 beside other suites got
 * about 1% of a core on a slow 2-core machine (600 ms of CPU took 56 s), so these
 * tests let it wait as long as it needs rather than call it starved.
 */
const PATIENT = 1_000;

function refusal(schema: unknown): AppError {
  try {
    compileValuesSchema(typeof schema === 'string' ? schema : JSON.stringify(schema));
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('the schema was accepted');
}

t.test('patterns run on RE2: the classic ReDoS pattern is linear', async (t) => {
  const validate = compileValuesSchema(
    JSON.stringify({ type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } }),
  );
  t.equal(validate({ s: `${'a'.repeat(29)}!` }), false);
  // 100,000 a's: RegExp would backtrack for longer than the universe has existed.
  t.equal(validate({ s: `${'a'.repeat(100_000)}!` }), false);
  t.equal(validate({ s: 'a'.repeat(100_000) }), true);
  const keys = compileValuesSchema(
    JSON.stringify({ type: 'object', patternProperties: { '^(a|aa)+$': { type: 'integer' } } }),
  );
  t.equal(keys({ [`${'a'.repeat(5_000)}!`]: 'not checked' }), true, 'a key the pattern does not match');
  t.equal(keys({ ['a'.repeat(5_000)]: 'x' }), false, 'a key it matches is checked');
});

t.test('patterns RE2 cannot run are refused, naming the pattern, its place and why', async (t) => {
  let err = refusal({ type: 'object', properties: { name: { type: 'string', pattern: '^(?!-)[a-z-]+$' } } });
  t.equal(err.code, 'chart-invalid');
  t.match(
    err.detail,
    'the pattern "^(?!-)[a-z-]+$" at #/properties/name/pattern cannot be used: lookahead and lookbehind',
  );
  t.match(err.detail, /as Helm does with Go's regexp/);
  err = refusal({ type: 'object', patternProperties: { '^(a)\\1$': {} } });
  t.match(err.detail, 'the pattern "^(a)\\\\1$" at #/patternProperties/^(a)\\1$ cannot be used: backreferences');
  err = refusal({
    $defs: { x: { items: [{ pattern: '(?<=a)b' }] } },
    $schema: 'https://json-schema.org/draft/2019-09/schema',
  });
  t.match(err.detail, 'at #/$defs/x/items/0/pattern cannot be used: lookahead and lookbehind');
  err = refusal({
    properties: { s: { pattern: 'x{1000}y{1000}z{1000}w{1000}v{1000}u{1000}t{1000}s{1000}r{1000}q{1000}p{1000}' } },
  });
  t.match(err.detail, /compiles to \d+ RE2 instructions, over the limit of 10000/);
  // Strings that only look like patterns, in data keywords, are not compiled.
  t.doesNotThrow(() =>
    compileValuesSchema(JSON.stringify({ default: { pattern: '(?=x)' }, enum: [{ pattern: '\\1' }] })),
  );
  t.doesNotThrow(
    () => compileValuesSchema(JSON.stringify({ properties: { pattern: { type: 'string' } } })),
    'a property named "pattern"',
  );
});

t.test('schemas over a size limit are refused before compiling, naming the limit', async (t) => {
  const props: Record<string, unknown> = {};
  for (let i = 0; i < 20_000; i++) props[`p${i}`] = { type: 'string', pattern: `^[a-z]+${i}$` };
  let err = refusal({ type: 'object', properties: props });
  t.match(
    err.detail,
    `values.schema.json has more than ${MAX_SCHEMA_NODES} JSON values, over the limit of ${MAX_SCHEMA_NODES}`,
  );

  const few: Record<string, unknown> = {};
  for (let i = 0; i <= MAX_SCHEMA_PATTERNS; i++) few[`p${i}`] = { pattern: `^x${i}$` };
  err = refusal({ properties: few });
  t.match(
    err.detail,
    `more than ${MAX_SCHEMA_PATTERNS} regular expressions (pattern and patternProperties), over the limit of ${MAX_SCHEMA_PATTERNS}`,
  );

  let deep: unknown = { type: 'string' };
  for (let i = 0; i < MAX_SCHEMA_DEPTH; i++) deep = { items: deep };
  err = refusal(deep);
  t.match(err.detail, `nested more than ${MAX_SCHEMA_DEPTH} levels deep`);

  err = refusal(JSON.stringify({ description: 'x'.repeat(MAX_SCHEMA_BYTES) }));
  t.match(err.detail, /values\.schema\.json is \d+ bytes, over the limit of 1048576 bytes \(1 MiB\)/);
});

t.test('the compiled-schema cache stays within its byte budget', async (t) => {
  // Each entry is estimated at 1 MiB or more (it keeps its own ajv instance), so this
  // many distinct schemas cannot all stay.
  const count = Math.ceil(COMPILED_CACHE_BYTES / (1024 * 1024)) + 8;
  for (let i = 0; i < count; i++) {
    compileValuesSchema(JSON.stringify({ type: 'object', properties: { [`k${i}`]: { type: 'integer' } } }));
  }
  t.ok(compiledSchemas.calculatedSize <= COMPILED_CACHE_BYTES, `${compiledSchemas.calculatedSize} bytes kept`);
  t.ok(compiledSchemas.size < count, `${compiledSchemas.size} of ${count} kept`);
  const last = JSON.stringify({ type: 'object', properties: { [`k${count - 1}`]: { type: 'integer' } } });
  t.equal(compileValuesSchema(last), compileValuesSchema(last), 'the most recent one is served from the cache');
});

// A quadratic job: uniqueItems over 30,000 distinct objects compares every pair, linear
// regexes or not (about 11 s of CPU here).
const slowJob = () => ({
  op: 'check' as const,
  schema: JSON.stringify({ type: 'object', properties: { l: { type: 'array', uniqueItems: true } } }),
  values: `l:\n${Array.from({ length: 30_000 }, (_, i) => `  - {a: ${i}}\n`).join('')}`,
});

/** One worker and a one-job queue unless told otherwise; closed at the end of the test. */
function onePool(t: Test, opts: Partial<SchemaWorkerOptions> & { timeLimitMs: number }): SchemaWorkers {
  const pool = new SchemaWorkers({ size: 1, memoryMb: 512, maxQueued: 1, ...opts });
  t.teardown(() => pool.close());
  return pool;
}

t.test('a worker job past its time limit is stopped, and the next job gets a fresh worker', async (t) => {
  // 1.5 s of CPU: the quadratic job below needs about 11 s, and the small job queued
  // behind it (a fresh worker compiling its schema) keeps a margin. A busy CI machine
  // may starve the worker (it runs at a lower priority): maxWallFactor lets it take the
  // clock time it needs to use its CPU time, so it is stopped as over the limit.
  // The job queued behind it waits as long as the slow one needs.
  const pool = onePool(t, { timeLimitMs: 1500, maxWallFactor: PATIENT, maxWaitMs: 30 * 60_000 });
  const { schema } = slowJob();
  const slow = pool.run(slowJob());
  const queued = pool.run({ op: 'check', schema, values: 'l: [{a: 1}, {a: 1}]\n' });
  await t.rejects(
    pool.run({ op: 'chart', valuesYaml: null, schema }),
    { code: 'unavailable', message: /1 schema checks are already waiting/ },
    'the queue is bounded',
  );
  await t.rejects(slow, { code: 'validation-failed', message: /took longer than 1500 ms and was stopped/ });
  t.same(await queued, [{ path: 'l', message: 'must NOT have duplicate items (items ## 0 and 1 are identical)' }]);
  await t.rejects(pool.run({ op: 'chart', valuesYaml: null, schema: '{"type": "nope"}' }), {
    code: 'chart-invalid',
    message: /not a valid JSON Schema/,
  });
  await t.rejects(pool.run({ op: 'chart', valuesYaml: '- a list\n', schema: null }), {
    code: 'chart-invalid',
    message: /values\.yaml must be a YAML mapping/,
  });
});

t.test('a job waiting too long for a worker gives up as unavailable', async (t) => {
  const pool = onePool(t, { timeLimitMs: 1_000, maxQueued: 5, maxWaitMs: 200, maxWallFactor: PATIENT });
  const { schema } = slowJob();
  const slow = pool.run(slowJob());
  await t.rejects(pool.run({ op: 'check', schema, values: 'l: []\n' }), {
    code: 'unavailable',
    message: /busy for 200 ms/,
  });
  await t.rejects(slow, { code: 'validation-failed', message: /took longer than 1 s/ });
});

t.test(
  "the time limit counts the worker thread's CPU time, read from /proc",
  { skip: process.platform !== 'linux' && 'per-thread CPU times are read from Linux /proc' },
  async (t) => {
    const seen: number[] = [];
    const pool = onePool(t, {
      timeLimitMs: 600,
      // However starved the worker is (CI runs other suites beside this one), it gets
      // the clock time it needs to use 600 ms of CPU.
      maxWallFactor: PATIENT,
      threadCpuMs: (tid) => {
        const ms = procThreadCpuMs(tid);
        if (ms !== null) seen.push(ms);
        return ms;
      },
    });
    await t.rejects(pool.run(slowJob()), { code: 'validation-failed', message: /took longer than 600 ms/ });
    t.ok(seen.length >= 2, `the worker's CPU time was read at the start and at the limit (${seen.length} reads)`);
    t.ok(seen.at(-1)! - seen[0]! >= 500, `the job used its time on the CPU (${seen.at(-1)! - seen[0]!} ms)`);
    t.equal(procThreadCpuMs(2 ** 30), null, 'no such thread: unknown, not zero');
  },
);

t.test('a job starved of CPU is not blamed: more time, then unavailable', async (t) => {
  // A CPU clock that never moves: the worker waits for a CPU the whole time, as on a
  // machine busy with other work. After that job, the real clock: the next job is an
  // ordinary one on a fresh worker. Its limit on the clock is the same 3 × 2 s; a trivial
  // job once took over 900 ms there on a loaded 2-core CI machine, so 300 ms limits are
  // too tight to tell "runs" from "starved".
  let starved = true;
  const pool = onePool(t, {
    timeLimitMs: 2_000,
    maxWallFactor: 3,
    threadCpuMs: (tid) => (starved ? 1_000 : procThreadCpuMs(tid)),
  });
  const started = Date.now();
  await t.rejects(pool.run(slowJob()), { code: 'unavailable', message: /too busy .*try again/ });
  const took = Date.now() - started;
  t.ok(took >= 5_900, `given three times its limit on the clock before giving up (${took} ms)`);
  starved = false;
  t.same(await pool.run({ op: 'check', schema: '{"type": "object"}', values: 'a: 1\n' }), [], 'the next job runs');
});

t.test('where the CPU time cannot be read, the limit is time on the clock', async (t) => {
  // 2 s on the clock: the quadratic job needs about 11 s, and a trivial first job on a
  // fresh worker (compiling the validator) took over 300 ms on a loaded 2-core CI machine.
  // A starved job with a readable CPU clock would get 10 times that (20 s): the job would
  // then finish, or be stopped as unavailable, far past the bound below.
  const pool = onePool(t, { timeLimitMs: 2_000, maxWallFactor: 10, threadCpuMs: () => null });
  // The worker is started first: a job's time begins when its worker is ready, and starting
  // one took over 4 s.
  t.same(await pool.run({ op: 'check', schema: '{}', values: '' }), [], 'a trivial job on a fresh worker');
  const started = Date.now();
  await t.rejects(pool.run(slowJob()), { code: 'validation-failed', message: /took longer than 2 s/ });
  t.ok(Date.now() - started < 9_000, 'stopped at its limit on the clock, not given more');
});
