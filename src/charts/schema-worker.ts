// The body of a schema worker thread (started by schema-workers.ts): reads a chart's
// values.yaml and compiles its values.schema.json, or checks values against the
// schema, and answers with plain data.
import fs from 'node:fs';
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { AppError } from '../errors.js';
import { compileValuesSchema, parseValues } from './values.js';
import { checkValuesNow } from './values-check.js';
import type { SchemaJob, SchemaReply } from './schema-workers.js';

function run(job: SchemaJob): SchemaReply {
  try {
    if (job.op === 'chart') {
      if (job.valuesYaml !== null) parseValues(job.valuesYaml);
      if (job.schema !== null) compileValuesSchema(job.schema);
      return { ok: true, errors: [] };
    }
    return { ok: true, errors: checkValuesNow(job.schema, job.values) };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, code: err.code, detail: err.detail };
    // Not an input error we know (a stack overflow in ajv, say): still the input's doing.
    const what =
      job.op === 'chart'
        ? "the chart's values.yaml or values.schema.json could not be read"
        : 'the values could not be checked';
    return {
      ok: false,
      code: job.op === 'chart' ? 'chart-invalid' : 'validation-failed',
      detail: `${what}: ${(err as Error).message}`,
    };
  }
}

/** This thread's Linux thread id, or null elsewhere. */
function threadId(): number | null {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid !== process.pid ? tid : null;
  } catch {
    return null;
  }
}

// On Linux a thread has its own nice value: lowering this one's lets a busy machine
// run the event loop (every other request) before schema work. The pool reads this
// thread's CPU time by its id, so that time spent waiting for a CPU is not charged to
// the job. Elsewhere the time limit is wall-clock time and still bounds the work.
function yieldCpuToEventLoop(tid: number | null): void {
  try {
    if (tid !== null) os.setPriority(tid, 10);
  } catch {
    // Not permitted: the job runs at normal priority.
  }
}

const port = parentPort;
if (port) {
  const tid = threadId();
  yieldCpuToEventLoop(tid);
  port.on('message', (job: SchemaJob) => port.postMessage(run(job)));
  // Loading ajv and friends takes a moment; a job's time limit starts after it.
  port.postMessage({ ready: true, tid });
}
