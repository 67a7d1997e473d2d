// The body of an index-parsing worker thread (started by index-parse.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { parseIndex, type ParseReply } from './index-parse.js';

const { bytes, indexUrl } = workerData as { bytes: Uint8Array; indexUrl: string };
let reply: ParseReply;
try {
  reply = { ok: true, versions: parseIndex(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), indexUrl) };
} catch (err) {
  reply = { ok: false, message: err instanceof Error ? err.message : String(err) };
}
parentPort?.postMessage(reply);
