// Reads a chart upload from a request: multipart (fields `chart`, `prov`, and the
// text field `updateLog`) or the raw .tgz as the body. The package is streamed into
// ingest, which enforces every limit while reading.
import type { FastifyRequest } from 'fastify';
import type { Multipart, MultipartFile } from '@fastify/multipart';
import { AppError } from '../errors.js';
import { ingestChart, type ChartPackage } from '../charts/ingest.js';
import { MAX_PROV_BYTES } from '../charts/provenance.js';
import { readUpload } from '../charts/archive.js';
import { rawBody } from './body.js';

type Limits = NonNullable<NonNullable<Parameters<FastifyRequest['parts']>[0]>['limits']>;

export interface ChartUpload {
  pkg: ChartPackage;
  prov: Buffer | null;
  updateLog: string | undefined;
}

/** Reads a provenance file (at most MAX_PROV_BYTES, else prov-invalid). */
export async function readProvPart(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  try {
    return (await readUpload(stream, MAX_PROV_BYTES)).bytes;
  } catch (err) {
    if (err instanceof AppError && err.code === 'upload-too-large') {
      throw new AppError('prov-invalid', `the provenance file is larger than ${MAX_PROV_BYTES} bytes`);
    }
    throw err;
  }
}

/**
 * A form parser error is the client's: busboy reports a missing or overlong boundary,
 * a truncated part or a malformed part header as a plain Error (Fastify's own
 * multipart errors carry a status and pass through unchanged).
 */
function formError(err: unknown): unknown {
  if (err instanceof AppError || !(err instanceof Error) || (err as { statusCode?: number }).statusCode) return err;
  return new AppError('bad-request', `the multipart form is malformed: ${err.message}`);
}

/** The parts of a multipart request, with the parser's errors turned into 400s. */
export async function* formParts(request: FastifyRequest, limits: Limits): AsyncGenerator<Multipart> {
  try {
    // A caller's own error ends this generator through return(), never this catch.
    for await (const part of request.parts({ limits })) yield part;
  } catch (err) {
    throw formError(err);
  }
}

/**
 * A file part's bytes, with the parser's errors (a part cut short) turned into 400s;
 * resume() still drains the rest, as readUpload expects of a stream.
 */
export function partFile(part: MultipartFile): AsyncIterable<Uint8Array> & { resume(): void } {
  const file = part.file;
  return {
    async *[Symbol.asyncIterator]() {
      try {
        yield* file;
      } catch (err) {
        throw formError(err);
      }
    },
    resume: () => void file.resume(),
  };
}

function describeField(name: string | undefined): string {
  return name ? JSON.stringify(name) : 'without a name';
}

export async function readChartUpload(request: FastifyRequest, maxUploadBytes: number): Promise<ChartUpload> {
  if (request.isMultipart()) {
    let pkg: ChartPackage | null = null;
    let prov: Buffer | null = null;
    let updateLog: string | undefined;
    for await (const part of formParts(request, { fileSize: maxUploadBytes + 1, files: 2, fields: 10 })) {
      if (part.type === 'file') {
        if (part.fieldname === 'chart') {
          if (pkg) throw new AppError('bad-request', 'the form holds more than one "chart" file');
          pkg = await ingestChart(partFile(part), { maxUploadBytes });
        } else if (part.fieldname === 'prov') {
          if (prov) throw new AppError('bad-request', 'the form holds more than one "prov" file');
          prov = await readProvPart(partFile(part));
        } else {
          part.file.resume();
          throw new AppError(
            'bad-request',
            `unexpected file field ${describeField(part.fieldname)}; send the package as "chart" and a provenance file as "prov"`,
          );
        }
      } else if (part.fieldname === 'updateLog') {
        updateLog = String(part.value);
        if (updateLog.length > 65536) throw new AppError('bad-request', 'updateLog is longer than 65536 characters');
      }
    }
    if (!pkg) {
      throw new AppError(
        'bad-request',
        prov ? 'the form holds a "prov" file but no "chart" file' : 'the form holds no "chart" file',
      );
    }
    return { pkg, prov, updateLog };
  }
  if (request.body === undefined || request.body === null) {
    throw new AppError(
      'bad-request',
      'send the chart package as the request body (application/gzip) or as the multipart field "chart"',
    );
  }
  return { pkg: await ingestChart(rawBody(request), { maxUploadBytes }), prov: null, updateLog: undefined };
}
