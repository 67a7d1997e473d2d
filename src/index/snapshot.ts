// What one revision of an index sends (IndexService in repo-index.ts makes one per
// revision, and again when its pages are packed): the gzip form, joined once from the
// compressed parts in runs that later snapshots reuse where their parts are unchanged,
// and the plain bytes, inflated page by page as the socket takes them.
import { Readable } from 'node:stream';
import type { IndexFormat } from './fragments.js';
import { PAGE_BYTES } from './paged-index.js';
import { gzipOf, join, type Compressed, type Piece } from './pieces.js';
import type { PlainFiles } from './plain-files.js';

/** Parts joined into one buffer of the gzip form: a write re-joins only its run, a request writes few buffers. */
const RUN_PARTS = 256;

/** A gzip form up to this size is joined into one buffer. */
const JOIN_WHOLE_BYTES = 4 * 1024 * 1024;

/** Plain bytes an identity answer makes ready ahead of the socket. */
const PLAIN_AHEAD_BYTES = 1024 * 1024;

/**
 * Identity answers of an index held compressed read each page's file into a buffer; at
 * 100,000 versions that is 107 MB an answer, and buffers that many bytes made and dropped
 * made the garbage collector run a full collection once or twice an answer. A buffer the
 * socket has handed to the kernel is used again for a later page instead: this size
 * (pages are PAGE_BYTES, up to twice that where one was not split), at most SPARE_BYTES
 * of them kept between answers.
 */
const SPARE_SIZE = 2 * PAGE_BYTES;
const SPARE_BYTES = 4 * 1024 * 1024;
const spares: Buffer[] = [];
/** Pages read into a spare buffer used before. */
let sparesReused = 0;

function spareBuffer(size: number): Buffer {
  if (size > SPARE_SIZE) return Buffer.allocUnsafeSlow(size);
  const spare = spares.pop();
  if (!spare) return Buffer.allocUnsafeSlow(SPARE_SIZE);
  sparesReused++;
  return spare;
}

/** Spare buffers kept now, and how many pages were read into one used before (for tests). */
export function spareBuffers(): { kept: number; reused: number } {
  return { kept: spares.length, reused: sparesReused };
}

function giveBack(buffer: Buffer): void {
  if (buffer.length === SPARE_SIZE && (spares.length + 1) * SPARE_SIZE <= SPARE_BYTES) spares.push(buffer);
}

/** Where an identity answer is written (the HTTP response): the bytes it holds not yet handed to the kernel. */
export interface Sink {
  readonly writableLength: number;
}

/** Identity answers being written by this process now (see answersWriting). */
let plainAnswers = 0;

/**
 * How many identity answers this process is writing now. Packing (paged-index.ts) waits
 * while there are some: an answer of an index held compressed inflates it on the main
 * thread, and on a small machine the thread pool packing pages beside it took the CPU
 * the answer and its client needed (at 100,000 versions the pages a cold start or a bulk
 * refresh leaves to pack keep two cores busy for seconds).
 */
export function answersWriting(): number {
  return plainAnswers;
}

/** Consecutive parts of a snapshot, joined. */
interface Run extends Compressed {
  parts: Piece[];
}

function sameParts(a: Piece[], b: Piece[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/** What a request sends: the gzip form (joined once, in runs), or the plain bytes page by page. */
export class IndexSnapshot {
  private gz: Buffer[] | null = null;
  /** Bytes of the gzip form, once it is made. */
  private gzBytes = 0;
  private runs: Run[] | null = null;
  /** Length of the plain bytes. */
  readonly length: number;

  /**
   * `previousRuns`: the runs of the snapshot this one replaces, reused where their parts
   * are unchanged; `runParts`: parts per run (tests use small runs).
   */
  constructor(
    readonly etag: string,
    readonly format: IndexFormat,
    private readonly parts: Piece[],
    private previousRuns: Run[] | null = null,
    private readonly files: PlainFiles | null = null,
    private readonly runParts = RUN_PARTS,
  ) {
    this.length = parts.reduce((n, p) => n + p.size, 0);
  }

  /**
   * The same bytes as one gzip stream (about a tenth of the size), in a few buffers, made
   * once per revision by joining runs of compressed parts; runs whose parts the last
   * write did not touch are the previous snapshot's buffers.
   */
  gzipped(): Buffer[] {
    if (this.gz) return this.gz;
    const body = this.parts.slice(0, -1);
    const footer = this.parts[this.parts.length - 1]!; // the one part new in every revision
    const runs: Run[] = [];
    for (let i = 0; i * this.runParts < body.length; i++) {
      const slice = body.slice(i * this.runParts, (i + 1) * this.runParts);
      const old = this.previousRuns?.[i];
      runs.push(old && sameParts(old.parts, slice) ? old : { parts: slice, ...join(slice) });
    }
    this.previousRuns = null;
    const pieces = gzipOf([...runs, footer]);
    // A small index is one buffer (the fastest answer to write), and its runs are let go
    // (re-joining a few MB after a write is cheap); a large one stays in runs, so a write
    // allocates one run, not the whole index again.
    const total = pieces.reduce((n, b) => n + b.length, 0);
    this.gzBytes = total;
    if (total <= JOIN_WHOLE_BYTES) return (this.gz = [Buffer.concat(pieces, total)]);
    this.runs = runs;
    return (this.gz = pieces);
  }

  /** Length of the gzip form (made if it was not). */
  gzipLength(): number {
    this.gzipped();
    return this.gzBytes;
  }

  /** The runs a following snapshot may reuse. */
  runsForNext(): Run[] | null {
    return this.runs ?? this.previousRuns;
  }

  /**
   * The plain bytes in order, as the socket takes them: kept copies as they are; a page
   * held compressed only is read from its file or inflated when it is reached (about
   * 0.1 ms for a page, so the event loop is never held long), and nothing read is kept.
   * Given the `sink` the stream is piped into, page files are read into spare buffers,
   * each given back once the sink has handed its bytes on (every byte pushed before it,
   * less what this stream and the sink still hold). The answer counts in answersWriting()
   * until it ends or is destroyed.
   */
  plain(sink?: Sink): Readable {
    const parts = this.parts;
    const files = this.files;
    let next = 0;
    let open = true;
    let pushed = 0;
    /** Spare buffers pushed, with the count of bytes pushed up to their end. */
    const lent: { buffer: Buffer; end: number }[] = [];
    plainAnswers++;
    return new Readable({
      highWaterMark: PLAIN_AHEAD_BYTES,
      // Once, whether the answer ended, failed or was cut off (autoDestroy). Buffers still
      // lent may be in the socket's queue: they are left to the garbage collector.
      destroy(err, callback) {
        if (open) plainAnswers--;
        open = false;
        callback(err);
      },
      read() {
        try {
          if (sink) {
            const handedOn = pushed - this.readableLength - sink.writableLength;
            while (lent.length > 0 && lent[0]!.end <= handedOn) giveBack(lent.shift()!.buffer);
          }
          while (next < parts.length) {
            const part = parts[next++]!;
            const spare = sink && part.readsFile ? spareBuffer(part.size) : undefined;
            const bytes = part.plainNow(files, spare);
            pushed += bytes.length;
            if (spare) {
              if (bytes.buffer === spare.buffer) lent.push({ buffer: spare, end: pushed });
              else giveBack(spare); // the file could not be read: the page was inflated
            }
            if (!this.push(bytes)) return;
          }
          this.push(null);
        } catch (err) {
          this.destroy(err as Error);
        }
      },
    });
  }

  /** The plain bytes in one buffer (for tests). */
  async body(): Promise<Buffer> {
    const out: Buffer[] = [];
    for await (const piece of this.plain()) out.push(piece as Buffer);
    return Buffer.concat(out);
  }
}
