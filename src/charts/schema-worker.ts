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

// On Linux a thread has its own nice value: lowering this one's lets a busy machine
// run the event loop (every other request) before schema work.
function yieldCpuToEventLoop(): void {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid !== process.pid) os.setPriority(tid, 10);
  } catch {
    // Not Linux: the time limit still bounds the work.
  }
}

const port = parentPort;
if (port) {
  yieldCpuToEventLoop();
  port.on('message', (job: SchemaJob) => port.postMessage(run(job)));
  // Loading ajv and friends takes a moment; a job's time limit starts after it.
  port.postMessage({ ready: true });
}
