// Reads a gzip-compressed tar once, as it streams in: the upload-size limit, the
// digest and the gzip magic are checked on the compressed bytes; the decompressed
// total and per-file sizes, entry types and paths are checked while untarring.
// Only the few top-level files Chartroom needs are kept in memory.
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { AppError } from '../errors.js';
import { chartInvalid } from './invalid.js';

export interface ArchiveLimits {
  maxUploadBytes: number;
  maxDecompressedBytes: number;
  maxFileBytes: number;
}

export const defaultArchiveLimits: ArchiveLimits = {
  maxUploadBytes: 20 * 1024 * 1024,
  maxDecompressedBytes: 100 * 1024 * 1024,
  maxFileBytes: 5 * 1024 * 1024,
};

export interface ChartArchive {
  bytes: Buffer;
  digest: string;
  /** The single top-level directory. */
  root: string;
  /** Files directly under the root that were asked for, by their name under the root. */
  files: Map<string, Buffer>;
  /** Every regular file's path under the root (for listings and checks). */
  paths: string[];
}

const MiB = 1024 * 1024;
function human(n: number): string {
  return n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`;
}

/** Reads the whole upload, enforcing the size limit while reading. */
export async function readUpload(
  source: AsyncIterable<Uint8Array> | Buffer,
  maxBytes: number,
): Promise<{ bytes: Buffer; digest: string }> {
  const hash = createHash('sha256');
  if (Buffer.isBuffer(source)) {
    if (source.length > maxBytes) throw tooLarge(maxBytes);
    return { bytes: source, digest: hash.update(source).digest('hex') };
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > maxBytes) {
      const s = source as { destroy?: () => void; resume?: () => void };
      // Drain the rest so the client gets our answer rather than a reset connection.
      if (typeof s.resume === 'function') s.resume();
      throw tooLarge(maxBytes);
    }
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    hash.update(buf);
    chunks.push(buf);
  }
  return { bytes: Buffer.concat(chunks, total), digest: hash.digest('hex') };
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(
    'upload-too-large',
    `the upload is larger than the limit of ${human(maxBytes)} (CHARTROOM_MAX_UPLOAD_BYTES)`,
  );
}

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);
const TYPE_NAMES: Record<string, string> = {
  SymbolicLink: 'a symbolic link',
  Link: 'a hard link',
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a named pipe',
};

/** Splits and checks a tar entry path; returns its segments. */
export function checkEntryPath(raw: string, isDir: boolean): string[] {
  const shown = JSON.stringify(raw);
  if (raw.length === 0) throw chartInvalid('the archive has an entry with an empty path');
  if (raw.includes('\\')) throw chartInvalid(`entry ${shown} has a backslash in its path`);
  if (raw.includes('\0')) throw chartInvalid(`entry ${shown} has a NUL byte in its path`);
  if (raw.startsWith('/')) throw chartInvalid(`entry ${shown} has an absolute path`);
  if (/^[a-zA-Z]:/.test(raw)) throw chartInvalid(`entry ${shown} starts with a drive letter`);
  const parts = raw.split('/');
  if (isDir && parts[parts.length - 1] === '') parts.pop();
  for (const p of parts) {
    if (p === '..') throw chartInvalid(`entry ${shown} climbs out of the chart with ".."`);
    if (p === '.') throw chartInvalid(`entry ${shown} has a "." path segment`);
    if (p === '') throw chartInvalid(`entry ${shown} has an empty path segment`);
  }
  return parts;
}

/**
 * Untars a gzip archive held in memory, keeping the top-level files whose names
 * `want` accepts. Throws AppError('chart-invalid') naming the first problem found.
 */
export async function readChartArchive(
  upload: { bytes: Buffer; digest: string },
  limits: ArchiveLimits,
  want: (nameUnderRoot: string) => boolean,
): Promise<ChartArchive> {
  const { bytes } = upload;
  if (bytes.length < 3 || bytes[0] !== 0x1f || bytes[1] !== 0x8b || bytes[2] !== 0x08) {
    throw chartInvalid(
      'the upload is not a gzip-compressed chart package (.tgz): gzip magic bytes 1f 8b 08 are missing',
    );
  }
  const files = new Map<string, Buffer>();
  const paths: string[] = [];
  let root: string | null = null;
  let sawEntry = false;

  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const gunzip = zlib.createGunzip();
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      gunzip.destroy();
      reject(err instanceof AppError ? err : chartInvalid(`the archive could not be read: ${(err as Error).message}`));
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        if (failed) {
          entry.resume();
          return;
        }
        try {
          onEntry(entry);
        } catch (err) {
          entry.resume();
          fail(err);
        }
      },
    });
    const onEntry = (entry: ReadEntry) => {
      sawEntry = true;
      const type = entry.type;
      if (!ALLOWED_TYPES.has(type)) {
        const what = TYPE_NAMES[type] ?? `a ${type} entry`;
        throw chartInvalid(
          `entry ${JSON.stringify(entry.path)} is ${what}; only regular files and directories are allowed`,
        );
      }
      const isDir = type === 'Directory';
      const parts = checkEntryPath(entry.path, isDir);
      const top = parts[0] as string;
      if (root === null) root = top;
      else if (top !== root) {
        throw chartInvalid(
          `the archive has more than one top-level directory (${JSON.stringify(root)} and ${JSON.stringify(top)})`,
        );
      }
      if (isDir) {
        entry.resume();
        return;
      }
      if (parts.length < 2) {
        throw chartInvalid(`entry ${JSON.stringify(entry.path)} is not inside a top-level chart directory`);
      }
      if (entry.size > limits.maxFileBytes) {
        throw chartInvalid(
          `file ${JSON.stringify(entry.path)} is ${entry.size} bytes, over the per-file limit of ${human(limits.maxFileBytes)}`,
        );
      }
      const name = parts.slice(1).join('/');
      paths.push(name);
      const keep = want(name);
      if (keep && files.has(name)) throw chartInvalid(`the archive holds ${JSON.stringify(entry.path)} twice`);
      const chunks: Buffer[] = [];
      let size = 0;
      entry.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxFileBytes) {
          fail(
            chartInvalid(
              `file ${JSON.stringify(entry.path)} is over the per-file limit of ${human(limits.maxFileBytes)}`,
            ),
          );
          return;
        }
        if (keep) chunks.push(chunk);
      });
      entry.on('end', () => {
        if (keep) files.set(name, Buffer.concat(chunks));
      });
    };
    parser.on('error', fail);
    parser.on('warn', (_code: string, message: string) => fail(chartInvalid(`the tar archive is damaged: ${message}`)));
    parser.on('end', () => {
      if (!failed) resolve();
    });

    let total = 0;
    gunzip.on('data', (chunk: Buffer) => {
      if (failed) return;
      total += chunk.length;
      if (total > limits.maxDecompressedBytes) {
        fail(chartInvalid(`the chart decompresses to more than the limit of ${human(limits.maxDecompressedBytes)}`));
        return;
      }
      parser.write(chunk);
    });
    gunzip.on('end', () => {
      if (!failed) parser.end();
    });
    gunzip.on('error', (err: Error) => {
      const msg = /unexpected end/i.test(err.message)
        ? 'the gzip stream is truncated (unexpected end of file)'
        : `the gzip stream is damaged: ${err.message}`;
      fail(chartInvalid(msg));
    });
    gunzip.end(bytes);
  });

  if (!sawEntry || root === null) throw chartInvalid('the archive is empty');
  return { bytes, digest: upload.digest, root, files, paths };
}
