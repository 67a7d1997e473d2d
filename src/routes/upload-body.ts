// Reads a chart upload from a request: multipart (fields `chart`, `prov`, and the
// text field `updateLog`) or the raw .tgz as the body. The package is streamed into
// ingest, which enforces every limit while reading.
import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import { AppError } from '../errors.js';
import { ingestChart, type ChartPackage } from '../charts/ingest.js';
import { MAX_PROV_BYTES } from '../charts/provenance.js';
import { readUpload } from '../charts/archive.js';
import { rawBody } from './body.js';

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

export async function readChartUpload(request: FastifyRequest, maxUploadBytes: number): Promise<ChartUpload> {
  if (request.isMultipart()) {
    let pkg: ChartPackage | null = null;
    let prov: Buffer | null = null;
    let updateLog: string | undefined;
    for await (const part of request.parts({ limits: { fileSize: maxUploadBytes + 1, files: 2, fields: 10 } })) {
      if (part.type === 'file') {
        if (part.fieldname === 'chart') {
          if (pkg) throw new AppError('bad-request', 'the form holds more than one "chart" file');
          pkg = await ingestChart(part.file, { maxUploadBytes });
        } else if (part.fieldname === 'prov') {
          if (prov) throw new AppError('bad-request', 'the form holds more than one "prov" file');
          prov = await readProvPart(part.file);
        } else {
          part.file.resume();
          throw new AppError('bad-request', `unexpected file field ${JSON.stringify(part.fieldname)}; send the package as "chart" and a provenance file as "prov"`);
        }
      } else if (part.fieldname === 'updateLog') {
        updateLog = String(part.value);
        if (updateLog.length > 65536) throw new AppError('bad-request', 'updateLog is longer than 65536 characters');
      }
    }
    if (!pkg) {
      throw new AppError('bad-request', prov ? 'the form holds a "prov" file but no "chart" file' : 'the form holds no "chart" file');
    }
    return { pkg, prov, updateLog };
  }
  if (request.body === undefined || request.body === null) {
    throw new AppError('bad-request', 'send the chart package as the request body (application/gzip) or as the multipart field "chart"');
  }
  return { pkg: await ingestChart(rawBody(request), { maxUploadBytes }), prov: null, updateLog: undefined };
}
