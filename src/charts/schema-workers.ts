// Reading a chart's values.yaml and values.schema.json at upload, and checking values
// against the schema later, run on worker threads, never on the event loop: a schema
// within the limits still takes seconds to compile, a 5 MiB values.yaml half a second
// to parse, and validation is only as cheap as the schema lets it be (uniqueItems over
// objects is quadratic, every pattern reads every string). A job is stopped, by
// terminating its worker, when it runs past a time limit or its worker's heap limit;
// a fresh worker takes the next job. Idle workers do not keep the process alive.
//
// The time limit counts the worker thread's own CPU time where Linux tells it
// (/proc/self/task/<tid>/stat): the worker runs at a lower priority, so on a busy
// machine a job can take far longer than its limit on the clock while doing little, and
// that is no fault of the chart. Such a job gets more time, up to `maxWallFactor` times
// the limit on the clock, and is then stopped as unavailable (503, try again) rather
// than refused as too slow. Elsewhere the limit is wall-clock time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../errors.js';
import type { ValuesError } from './values-check.js';
import { parseValues } from './values.js';

export type SchemaJob =
  { op: 'chart'; valuesYaml: string | null; schema: string | null } | { op: 'check'; schema: string; values: string };
export type SchemaReply = { ok: true; errors: ValuesError[] } | { ok: false; code: ErrorCode; detail: string };

export interface SchemaWorkerOptions {
  /** Worker threads at most. */
  size: number;
  /** A job running longer (from when its worker is ready) is stopped. */
  timeLimitMs: number;
  /** Heap limit of each worker (V8 old generation), in MiB. */
  memoryMb: number;
  /** Jobs waiting for a worker at most; more are refused as unavailable. */
  maxQueued: number;
  /** A job waiting longer than this for a worker gives up as unavailable (default 30 s). */
  maxWaitMs?: number;
  /** A job starved of CPU is given at most this many times `timeLimitMs` on the clock (default 3). */
  maxWallFactor?: number;
  /** The CPU time a thread has used, in ms, or null where it cannot be read (tests replace it). */
  threadCpuMs?: (tid: number) => number | null;
}

export const defaultSchemaWorkerOptions: SchemaWorkerOptions = {
  size: Math.min(2, os.availableParallelism()),
  timeLimitMs: 20_000,
  memoryMb: 512,
  maxQueued: 100,
  // Longer than one job may run on a machine that is not busy, so the job behind a
  // runaway one still gets its turn.
  maxWaitMs: 30_000,
};

// Beside this file: schema-worker.ts under the test loader, schema-worker.js once built.
const WORKER_URL = new URL(`./schema-worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);

interface Waiting {
  job: SchemaJob;
  resolve: (errors: ValuesError[]) => void;
  reject: (err: AppError) => void;
  /** Set while the job waits for a worker: it gives up (unavailable) rather than wait for ever. */
  queued?: NodeJS.Timeout;
}

interface Running extends Waiting {
  timer?: NodeJS.Timeout;
  /** When the job's time started (its worker ready), on the clock and on the thread's CPU clock. */
  startedAt?: number;
  cpuAtStart?: number | null;
}

interface Slot {
  worker: Worker | null;
  /** The worker's Linux thread id, when it could tell. */
  tid: number | null;
  ready: boolean;
  running: Running | null;
}

/** Clock ticks of /proc's CPU times: USER_HZ, 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;

/** utime + stime of one of this process's threads, in ms, from /proc; null when unreadable. */
export function procThreadCpuMs(tid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
    // Fields after the command name (which may hold spaces and parentheses): state is
    // field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : null;
  } catch {
    return null;
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The error for a job stopped at a limit: the chart's fault at upload, the check's otherwise. */
function overLimit(job: SchemaJob, what: string): AppError {
  return job.op === 'chart'
    ? new AppError(
        'chart-invalid',
        `reading values.yaml and values.schema.json ${what} and was stopped; make them smaller or simpler`,
      )
    : new AppError(
        'validation-failed',
        `checking the values against values.schema.json ${what} and was stopped; send smaller values`,
      );
}

export class SchemaWorkers {
  private readonly slots: Slot[];
  private readonly queue: Waiting[] = [];

  constructor(private readonly opts: SchemaWorkerOptions = defaultSchemaWorkerOptions) {
    this.slots = Array.from({ length: Math.max(1, opts.size) }, () => ({
      worker: null,
      tid: null,
      ready: false,
      running: null,
    }));
  }

  run(job: SchemaJob): Promise<ValuesError[]> {
    return new Promise((resolve, reject) => {
      const waiting: Waiting = { job, resolve, reject };
      const slot = this.slots.find((s) => s.running === null);
      if (slot) this.start(slot, waiting);
      else if (this.queue.length >= this.opts.maxQueued) {
        reject(
          new AppError('unavailable', `${this.queue.length} schema checks are already waiting; try again shortly`),
        );
      } else {
        this.queue.push(waiting);
        const waitedMs = this.opts.maxWaitMs ?? 30_000;
        waiting.queued = setTimeout(() => {
          const i = this.queue.indexOf(waiting);
          if (i >= 0) this.queue.splice(i, 1);
          reject(
            new AppError('unavailable', `the schema checks were busy for ${seconds(waitedMs)}; try again shortly`),
          );
        }, waitedMs);
      }
    });
  }

  /** Starts one worker ahead of the first job, so that no upload waits for a thread to load ajv. */
  warm(): void {
    const slot = this.slots[0];
    if (slot && !slot.worker) this.spawn(slot).unref();
  }

  /** Stops every worker; jobs still running or waiting fail as unavailable. */
  async close(): Promise<void> {
    const gone = new AppError('unavailable', 'the server is shutting down');
    for (const w of this.queue.splice(0)) {
      clearTimeout(w.queued);
      w.reject(gone);
    }
    await Promise.all(this.slots.map((slot) => this.stop(slot, gone)));
  }

  private start(slot: Slot, waiting: Waiting): void {
    const worker = slot.worker ?? this.spawn(slot);
    worker.ref();
    slot.running = waiting;
    if (slot.ready) this.arm(slot);
    worker.postMessage(waiting.job);
  }

  private cpuMs(slot: Slot): number | null {
    return slot.tid === null ? null : (this.opts.threadCpuMs ?? procThreadCpuMs)(slot.tid);
  }

  private arm(slot: Slot): void {
    const running = slot.running;
    if (!running || running.timer) return;
    running.startedAt = Date.now();
    running.cpuAtStart = this.cpuMs(slot);
    running.timer = setTimeout(() => this.check(slot, running), this.opts.timeLimitMs);
  }

  /** At the limit on the clock: stop the job if it used its time, else give it more. */
  private check(slot: Slot, running: Running): void {
    if (slot.running !== running) return;
    const limit = this.opts.timeLimitMs;
    const now = this.cpuMs(slot);
    const start = running.cpuAtStart ?? null;
    // Unknown CPU time: the clock's limit stands. CPU time comes in 10 ms ticks, so a job
    // within a tick of its limit has used it.
    const cpuLeft = now === null || start === null ? 0 : limit - (now - start) - 10;
    if (cpuLeft <= 0) {
      void this.stop(slot, overLimit(running.job, `took longer than ${seconds(limit)}`));
      return;
    }
    const wallLeft = (running.startedAt ?? 0) + limit * (this.opts.maxWallFactor ?? 3) - Date.now();
    if (wallLeft <= 0) {
      void this.stop(
        slot,
        new AppError(
          'unavailable',
          `the server is too busy to finish ${running.job.op === 'chart' ? 'reading values.yaml and values.schema.json' : 'checking the values'}; try again shortly`,
        ),
      );
      return;
    }
    running.timer = setTimeout(() => this.check(slot, running), Math.max(20, Math.min(cpuLeft, wallLeft)));
  }

  private spawn(slot: Slot): Worker {
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: this.opts.memoryMb } });
    slot.worker = worker;
    slot.ready = false;
    worker.on('message', (reply: SchemaReply | { ready: true; tid: number | null }) => {
      if (slot.worker !== worker) return;
      if ('ready' in reply) {
        slot.ready = true;
        slot.tid = reply.tid;
        this.arm(slot);
      } else this.finish(slot, reply);
    });
    worker.on('error', (err: Error & { code?: string }) => {
      if (slot.worker !== worker) return;
      const job = slot.running?.job;
      const fault =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY' && job
          ? overLimit(job, `needed more than ${this.opts.memoryMb} MiB of memory`)
          : new AppError('internal', `the schema worker failed: ${err.message}`);
      void this.stop(slot, fault);
    });
    worker.on('exit', () => {
      if (slot.worker === worker) {
        void this.stop(slot, new AppError('internal', 'the schema worker stopped unexpectedly'));
      }
    });
    return worker;
  }

  private finish(slot: Slot, reply: SchemaReply): void {
    const running = slot.running;
    if (!running) return;
    clearTimeout(running.timer);
    slot.running = null;
    slot.worker?.unref();
    if (reply.ok) running.resolve(reply.errors);
    else running.reject(new AppError(reply.code, reply.detail));
    this.next(slot);
  }

  /** Fails the slot's job with err and ends its worker; terminate() stops even a busy loop. */
  private async stop(slot: Slot, err: AppError): Promise<void> {
    const { worker, running } = slot;
    slot.worker = null;
    slot.tid = null;
    slot.ready = false;
    slot.running = null;
    if (running) {
      clearTimeout(running.timer);
      running.reject(err);
    }
    this.next(slot);
    if (worker) await worker.terminate();
  }

  private next(slot: Slot): void {
    const waiting = this.queue.shift();
    if (!waiting) return;
    clearTimeout(waiting.queued);
    this.start(slot, waiting);
  }
}

let shared: SchemaWorkers | null = null;
function workers(): SchemaWorkers {
  shared ??= new SchemaWorkers();
  return shared;
}

/** Starts a schema worker now (the server does at start; tests start them on demand). */
export function warmSchemaWorkers(): void {
  workers().warm();
}

/**
 * Parses a chart's values.yaml and compiles its values.schema.json off the event loop;
 * throws chart-invalid when either is unusable.
 */
export async function checkChartValues(valuesYaml: string | null, schemaText: string | null): Promise<void> {
  if (schemaText === null) {
    if (valuesYaml === null) return;
    // Most charts: a values.yaml and no schema. A small one parses in milliseconds, less
    // than a round trip to a worker, and so never waits behind values checks in the pool.
    if (Buffer.byteLength(valuesYaml) <= INLINE_VALUES_BYTES) {
      parseValues(valuesYaml);
      return;
    }
  }
  await workers().run({ op: 'chart', valuesYaml, schema: schemaText });
}

/** values.yaml up to this size (and without a schema) is parsed on the event loop. */
const INLINE_VALUES_BYTES = 256 * 1024;

/** Checks values (YAML) against a chart's values.schema.json off the event loop. */
export function checkValues(schemaText: string, valuesYaml: string): Promise<ValuesError[]> {
  return workers().run({ op: 'check', schema: schemaText, values: valuesYaml });
}
