// The web console (SPEC section 13): the page at / and its assets, as `npm run build`
// leaves them in dist/console (vite.config.ts). The files are read once at start; each is
// compressed with gzip or brotli the first time a client accepts that (on libuv's thread
// pool, off the event loop; brotli at its best quality takes about half a second for the
// bundle), then kept: a fixed, small set of files, so memory stays bounded.
// The console only calls the REST API; this plugin serves files and nothing else.
import fp from 'fastify-plugin';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlib } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { access } from '../http/access.js';
import { projectPath } from '../paths.js';
import * as contract from '../http/contract.generated.js';

/** What the console may load: its own scripts, styles and images, nothing inline, no
 * frames, no plugins. Icons and category images are <img> from this origin. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

interface ConsoleFile {
  type: string;
  etag: string;
  identity: Buffer;
  gzip: () => Promise<Buffer>;
  br: () => Promise<Buffer>;
}

/** Runs `make` once, on first use; later calls share its result. */
function once(make: () => Promise<Buffer>): () => Promise<Buffer> {
  let made: Promise<Buffer> | null = null;
  return () => (made ??= make());
}

function load(file: string): ConsoleFile {
  const identity = fs.readFileSync(file);
  return {
    type: TYPES[path.extname(file)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`,
    identity,
    gzip: once(() => gzipAsync(identity, { level: 9 })),
    br: once(() => brotliAsync(identity, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } })),
  };
}

/** The console's files, or null when it was not built. */
function loadBuild(dir: string): { page: ConsoleFile; assets: Map<string, ConsoleFile> } | null {
  const index = path.join(dir, 'index.html');
  if (!fs.existsSync(index)) return null;
  const assets = new Map<string, ConsoleFile>();
  const assetDir = path.join(dir, 'assets');
  if (fs.existsSync(assetDir)) {
    for (const name of fs.readdirSync(assetDir)) assets.set(name, load(path.join(assetDir, name)));
  }
  return { page: load(index), assets };
}

async function send(
  request: FastifyRequest,
  reply: FastifyReply,
  file: ConsoleFile,
  cacheControl: string,
): Promise<FastifyReply> {
  reply.headers(SECURITY_HEADERS);
  reply.header('Cache-Control', cacheControl).header('ETag', file.etag).header('Vary', 'Accept-Encoding');
  const inm = request.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === file.etag)) {
    return reply.code(304).send();
  }
  reply.type(file.type);
  const accepts = String(request.headers['accept-encoding'] ?? '');
  if (/\bbr\b/.test(accepts)) return reply.header('Content-Encoding', 'br').send(await file.br());
  if (/\bgzip\b/.test(accepts)) return reply.header('Content-Encoding', 'gzip').send(await file.gzip());
  return reply.send(file.identity);
}

export interface ConsoleOptions {
  /** Where the built console is; dist/console by default. */
  dir?: string;
}

export default fp<ConsoleOptions>(
  async (app, opts) => {
    const build = loadBuild(opts.dir ?? projectPath('dist', 'console'));
    if (!build) app.log.warn('the web console is not built (run `npm run build`); / answers 404');

    app.get('/', { schema: contract.getConsole, config: { access: access.public } }, async (request, reply) => {
      // Not a server fault (a 5xx would page someone): this build has no console.
      if (!build) throw new AppError('not-found', 'the web console is not built: run `npm run build`');
      // Never cached: it names the current build's assets.
      return send(request, reply, build.page, 'no-cache');
    });

    app.get(
      '/assets/:file',
      { schema: contract.getConsoleAsset, config: { access: access.public } },
      async (request, reply) => {
        const name = (request.params as { file: string }).file;
        const file = build?.assets.get(name);
        if (!file) throw new AppError('not-found', `the console has no asset ${JSON.stringify(name)}`);
        return send(request, reply, file, 'public, max-age=31536000, immutable');
      },
    );
  },
  { name: 'chartroom-console' },
);
