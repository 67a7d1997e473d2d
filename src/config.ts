// Typed configuration read from the environment and validated once at boot.
// One JSON schema (config-schema.ts) lists every variable with its type, default and
// limits; env-schema applies it. A bad value stops start-up with the variable's name.
import envSchema from 'env-schema';
import type { ErrorObject } from 'ajv';
import net from 'node:net';
import path from 'node:path';
import { configSchema, type Environment } from './config-schema.js';

export { configSchema };

export interface S3Config {
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  s3: S3Config | null;
  publicUrl: string | null;
  adminPassword: string | null;
  storePublic: boolean;
  /** The form index.yaml is served in. */
  indexFormat: 'json' | 'yaml';
  /** Bytes of rendered indexes held in memory. */
  indexCacheBytes: number;
  /** Plain bytes above which an index is held compressed only. */
  indexPlainMaxBytes: number;
  /** Indexes loaded in the background after a start (the store's first); 0: none. */
  indexWarmRepos: number;
  maxUploadBytes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Take the client address from X-Forwarded-For (behind a reverse proxy). */
  /** Whose X-Forwarded-For to believe: none, every hop, or these proxies (addresses or CIDR ranges). */
  trustProxy: boolean | string[];
  /** Unreferenced blobs younger than this are never swept (uploads in flight). */
  blobGraceSeconds: number;
  /** Seconds from start to the first blob sweep (then hourly). */
  blobSweepDelaySeconds: number;
  /** Connection and request time limits, so slow or stalled clients cannot hold sockets. */
  timeouts: Timeouts;
  /** Key material for secrets at rest (import credentials); null: no credentials can be stored. */
  secretKey: string | null;
  imports: ImportLimits;
  sessions: SessionLimits;
}

/** How long web console sessions last (SPEC section 13). */
export interface SessionLimits {
  /** A session ends this long after sign-in, however much it is used (ms). */
  maxAgeMs: number;
  /** ... and after this long without a request (ms). */
  idleMs: number;
}

/** Limits on importing third-party repositories (SPEC section 12). */
export interface ImportLimits {
  /** Loopback, private and link-local upstreams are refused unless this is set. */
  allowPrivate: boolean;
  /** Largest upstream index read. */
  maxIndexBytes: number;
  /** One upstream request: connecting, first byte, and any silence in the body (ms). */
  requestTimeoutMs: number;
  /** A whole sync (ms). */
  syncTimeoutMs: number;
  /** How often each replica looks for repositories due for a sync (ms). */
  pollMs: number;
}

export interface Timeouts {
  /** The whole request, headers and body, must arrive within this (ms). */
  requestMs: number;
  /** The request headers must arrive within this (ms). */
  headersMs: number;
  /** A socket with no traffic either way is closed after this (ms). */
  idleMs: number;
  /** An idle keep-alive connection is closed after this (ms). */
  keepAliveMs: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

// Accepted spellings of a boolean; JSON Schema coercion knows only "true" and "false".
const BOOLEAN_WORDS = new Map([
  ['true', true],
  ['1', true],
  ['yes', true],
  ['false', false],
  ['0', false],
  ['no', false],
]);

/**
 * The raw values env-schema will see. JSON Schema coercion is looser than Chartroom for
 * numbers (it takes "-5" then reports a minimum, and "1e3" or " 42" as numbers) and
 * narrower for booleans, so those two spellings are settled here with today's messages;
 * types, defaults and limits stay in the schema.
 */
function rawValues(env: Env): Record<string, string | boolean> {
  const input: Record<string, string | boolean> = {};
  for (const [key, rule] of Object.entries(configSchema.properties)) {
    const raw = env[key];
    // An empty variable counts as unset, as shells and compose files often leave them.
    if (raw === undefined || raw === '') continue;
    if (rule.type === 'boolean') {
      const value = BOOLEAN_WORDS.get(raw.toLowerCase());
      if (value === undefined) throw new ConfigError(key, `must be true or false, got "${raw}"`);
      input[key] = value;
    } else if (rule.type === 'integer' && !/^\d+$/.test(raw)) {
      throw new ConfigError(key, `must be a whole number, got "${raw}"`);
    } else {
      input[key] = raw;
    }
  }
  return input;
}

const SECRET_VARIABLES = new Set(['CHARTROOM_ADMIN_PASSWORD', 'S3_SECRET_KEY', 'DATABASE_URL', 'CHARTROOM_SECRET_KEY']);

/** env-schema's first error as one ConfigError naming the variable. */
function configErrorFrom(err: unknown, env: Env): unknown {
  const first = (err as { errors?: ErrorObject[] }).errors?.[0];
  if (!first) return err;
  const variable = first.instancePath.replace(/^\//, '') || 'environment';
  // Secrets are never echoed: a start-up error lands in logs.
  const secret = SECRET_VARIABLES.has(variable);
  const shown = env[variable] === undefined || secret ? '' : ` (got "${env[variable]}")`;
  return new ConfigError(variable, `${first.message ?? 'is invalid'}${shown}`);
}

/**
 * CHARTROOM_TRUST_PROXY: a boolean word, or the proxies whose X-Forwarded-For entries are
 * believed. With `true` every hop is, so a client behind a proxy that appends to the
 * header (nginx's $proxy_add_x_forwarded_for) can choose its own address; with a list,
 * the client is the nearest address that is not one of the proxies.
 */
function parseTrustProxy(raw: string): boolean | string[] {
  const word = BOOLEAN_WORDS.get(raw.trim().toLowerCase());
  if (word !== undefined) return word;
  const proxies = raw.split(',').map((p) => p.trim());
  const bad = proxies.find((p) => !isAddressOrRange(p));
  if (bad !== undefined) {
    throw new ConfigError(
      'CHARTROOM_TRUST_PROXY',
      `must be true or false, or a comma-separated list of proxy addresses or CIDR ranges such as 10.0.0.0/8; ${JSON.stringify(bad)} is neither (got "${raw}")`,
    );
  }
  return proxies;
}

function isAddressOrRange(text: string): boolean {
  const [address = '', bits, ...rest] = text.split('/');
  const family = net.isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** Reads and validates configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  let e: Environment;
  try {
    e = envSchema<Environment>({ schema: configSchema, data: rawValues(env), env: false });
  } catch (err) {
    throw configErrorFrom(err, env);
  }

  let s3: S3Config | null = null;
  if (e.S3_ENDPOINT !== undefined) {
    if (e.S3_ACCESS_KEY === undefined) throw new ConfigError('S3_ACCESS_KEY', 'is required when S3_ENDPOINT is set');
    if (e.S3_SECRET_KEY === undefined) throw new ConfigError('S3_SECRET_KEY', 'is required when S3_ENDPOINT is set');
    let url: URL;
    try {
      url = new URL(e.S3_ENDPOINT);
    } catch {
      throw new ConfigError('S3_ENDPOINT', 'must be a URL such as http://minio:9000');
    }
    const useSSL = url.protocol === 'https:';
    s3 = {
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: e.S3_ACCESS_KEY,
      secretKey: e.S3_SECRET_KEY,
      bucket: e.S3_BUCKET,
      region: e.S3_REGION,
    };
  } else if (e.S3_ACCESS_KEY !== undefined || e.S3_SECRET_KEY !== undefined) {
    throw new ConfigError('S3_ENDPOINT', 'is required when S3_ACCESS_KEY or S3_SECRET_KEY is set');
  }

  let publicUrl: string | null = null;
  if (e.CHARTROOM_PUBLIC_URL !== undefined) {
    let url: URL;
    try {
      url = new URL(e.CHARTROOM_PUBLIC_URL);
    } catch {
      throw new ConfigError('CHARTROOM_PUBLIC_URL', 'must be an absolute http(s) URL');
    }
    // Index URLs are this plus a path: a query or fragment would end up in the middle of them.
    if (url.search || url.hash || e.CHARTROOM_PUBLIC_URL.includes('?') || e.CHARTROOM_PUBLIC_URL.includes('#')) {
      throw new ConfigError('CHARTROOM_PUBLIC_URL', 'must not have a query or a fragment');
    }
    publicUrl = url.toString().replace(/\/+$/, '');
  }

  const timeouts: Timeouts = {
    requestMs: e.CHARTROOM_REQUEST_TIMEOUT_SECONDS * 1000,
    headersMs: e.CHARTROOM_HEADERS_TIMEOUT_SECONDS * 1000,
    idleMs: e.CHARTROOM_IDLE_TIMEOUT_SECONDS * 1000,
    keepAliveMs: e.CHARTROOM_KEEPALIVE_TIMEOUT_SECONDS * 1000,
  };
  // Node refuses a headers limit longer than the whole-request limit.
  if (timeouts.headersMs > timeouts.requestMs) {
    throw new ConfigError('CHARTROOM_HEADERS_TIMEOUT_SECONDS', 'must not exceed CHARTROOM_REQUEST_TIMEOUT_SECONDS');
  }

  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL ?? null,
    dataDir: path.resolve(e.CHARTROOM_DATA_DIR),
    s3,
    publicUrl,
    adminPassword: e.CHARTROOM_ADMIN_PASSWORD ?? null,
    storePublic: e.CHARTROOM_STORE_PUBLIC,
    indexFormat: e.CHARTROOM_INDEX_FORMAT,
    indexCacheBytes: e.CHARTROOM_INDEX_CACHE_MB * 1024 * 1024,
    indexPlainMaxBytes: e.CHARTROOM_INDEX_PLAIN_MB * 1024 * 1024,
    indexWarmRepos: e.CHARTROOM_INDEX_WARM_REPOS,
    trustProxy: parseTrustProxy(e.CHARTROOM_TRUST_PROXY),
    maxUploadBytes: e.CHARTROOM_MAX_UPLOAD_BYTES,
    logLevel: e.LOG_LEVEL,
    blobGraceSeconds: e.CHARTROOM_BLOB_GRACE_SECONDS,
    blobSweepDelaySeconds: e.CHARTROOM_BLOB_SWEEP_DELAY_SECONDS,
    timeouts,
    secretKey: e.CHARTROOM_SECRET_KEY ?? null,
    imports: {
      allowPrivate: e.CHARTROOM_IMPORT_ALLOW_PRIVATE,
      maxIndexBytes: e.CHARTROOM_IMPORT_MAX_INDEX_MB * 1024 * 1024,
      requestTimeoutMs: e.CHARTROOM_IMPORT_REQUEST_TIMEOUT_SECONDS * 1000,
      syncTimeoutMs: e.CHARTROOM_IMPORT_SYNC_TIMEOUT_SECONDS * 1000,
      pollMs: e.CHARTROOM_IMPORT_POLL_SECONDS * 1000,
    },
    sessions: {
      maxAgeMs: e.CHARTROOM_SESSION_HOURS * 3600 * 1000,
      idleMs: e.CHARTROOM_SESSION_IDLE_MINUTES * 60 * 1000,
    },
  };
}
