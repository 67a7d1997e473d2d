// Compressed pieces of an index answer. A fragment (one chart name's entries) is
// compressed once, when it is rendered, as raw deflate ending on a byte boundary with a
// non-final block, and stored so: fragments, and pages of them, join into one deflate
// stream by concatenation, and a gzip answer is those bytes between a 10-byte header and
// a trailer whose CRC comes from the pieces' CRCs. So nothing is compressed when a request
// comes, after a write, or at start. paged-index.ts holds an index as pages of these.
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import { crc32Combine } from './crc32-combine.js';
import { readPlainFile, type PlainFiles } from './plain-files.js';

const DEFLATE = { level: 6, finishFlush: constants.Z_SYNC_FLUSH } as const;
/** Packing is done once per page, off the request path: the best level (about 5% smaller than 6, 1.35x the time). */
const PACK = { ...DEFLATE, level: 9 } as const;
/**
 * The pieces end without a final block, so inflating one stops at its end without error.
 * The plain size is known, so the output is one buffer a little larger than it: with
 * zlib's default 16 KB output chunks, a 128 KB page came back as eight chunks (eight
 * trips back to JavaScript from the thread pool) joined by a copy.
 */
const inflateOptions = (size: number) => ({ finishFlush: constants.Z_SYNC_FLUSH, chunkSize: size + 64 });
/** The 10-byte gzip header: deflate, no name, no time, unknown OS. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** An empty final deflate block (fixed Huffman, end of block only). */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

const inflateRawAsync = promisify(inflateRaw);
const deflateRawAsync = promisify(deflateRaw);

/** Bytes kept compressed for joining: the raw deflate, and the plain bytes' length and CRC-32. */
export interface Compressed {
  readonly gz: Buffer;
  readonly size: number;
  readonly crc: number;
}

/**
 * Bytes that are kept, in memory of their own size. zlib answers with a view of its
 * 16 KB output chunk when the output fits in one, and a kept view keeps the whole chunk:
 * at 100,000 versions the 6,667 fragments a first render made (about 8 MB of deflate)
 * held 16 KB each until the next restart, which reads them back from the database
 * (external memory after a 100k run: 153 MB before copying them out, 89 MB after).
 */
export function exact(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return b;
  const copy = Buffer.allocUnsafeSlow(b.length);
  b.copy(copy);
  return copy;
}

/** Compresses plain bytes so that the result joins any other Compressed by concatenation. */
export function compress(plain: Buffer): Compressed {
  return { gz: exact(deflateRawSync(plain, DEFLATE)), size: plain.length, crc: crc32(plain) };
}

/** The plain bytes back (synchronously: a fragment or a page, not a whole index). */
export function inflate(c: Compressed): Buffer {
  return c.size === 0 ? Buffer.alloc(0) : inflateRawSync(c.gz, inflateOptions(c.size));
}

/** One chart name's rendered entries, compressed. */
export interface Fragment extends Compressed {
  readonly name: string;
}

/** A piece of an answer: always compressed; its plain bytes too while they are kept. */
export class Piece implements Compressed {
  /** A file holding the plain bytes (plain-files.ts), written by the first identity answer that inflated them. */
  file: string | null = null;
  /** No longer part of its index (replaced or let go): no file is written for it. */
  retired = false;

  constructor(
    readonly gz: Buffer,
    readonly size: number,
    readonly crc: number,
    public plain: Buffer | null,
  ) {}

  static of(plain: Buffer): Piece {
    const c = compress(plain);
    return new Piece(c.gz, c.size, c.crc, plain);
  }

  /**
   * The plain bytes for an identity answer, synchronously: the kept copy, else the file
   * (`files`, read into `into` when given), else inflated now, and then written to a file
   * for the next answer.
   */
  plainNow(files: PlainFiles | null, into?: Buffer): Buffer {
    if (this.plain) return this.plain;
    if (this.file) {
      const read = readPlainFile(this.file, this.size, into);
      if (read) return read;
      if (!this.retired) this.dropFile(files); // gone or damaged: written again below
    }
    const plain = inflate(this);
    if (files && !this.retired && this.size > 0) this.file = files.write(plain);
    return plain;
  }

  /** Whether plainNow() reads a file (no kept copy, a file written). */
  get readsFile(): boolean {
    return this.plain === null && this.file !== null;
  }

  /** Removes the plain file, if any. */
  dropFile(files: PlainFiles | null): void {
    if (this.file) files?.remove(this.file, this.size);
    this.file = null;
  }

  /** The plain bytes: the kept copy, or inflated now on the thread pool. */
  async plainBytes(): Promise<Buffer> {
    if (this.plain) return this.plain;
    if (this.size === 0) return Buffer.alloc(0);
    return inflateRawAsync(this.gz, inflateOptions(this.size));
  }
}

/** Compressed pieces joined in order, with the CRC and length of the whole. */
export function join(items: Compressed[]): Compressed {
  let crc = 0;
  let size = 0;
  for (const c of items) {
    crc = crc32Combine(crc, c.crc, c.size);
    size += c.size;
  }
  return { gz: Buffer.concat(items.map((c) => c.gz)), size, crc };
}

/** Plain bytes compressed again as one stream at the best level, on the thread pool (packing a page). */
export async function packBytes(plain: Buffer): Promise<Buffer> {
  return exact(await deflateRawAsync(plain, PACK));
}

/** Pieces as one gzip stream, in pieces: their compressed bytes between a header and a trailer. */
export function gzipOf(parts: Compressed[]): Buffer[] {
  let crc = 0;
  let length = 0;
  const out: Buffer[] = [GZIP_HEADER];
  for (const part of parts) {
    crc = crc32Combine(crc, part.crc, part.size);
    length += part.size;
    out.push(part.gz);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  out.push(FINAL_BLOCK, trailer);
  return out;
}
