// Typed configuration read from the environment and validated once at boot.
// Every default lives here; a bad value stops start-up with the variable's name.
import { Ajv } from 'ajv';
import path from 'node:path';

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
  maxUploadBytes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Take the client address from X-Forwarded-For (behind a reverse proxy). */
  trustProxy: boolean;
  /** Unreferenced blobs younger than this are never swept (uploads in flight). */
  blobGraceSeconds: number;
  /** Connection and request time limits, so slow or stalled clients cannot hold sockets. */
  timeouts: Timeouts;
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

const envSchema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
    HOST: { type: 'string', minLength: 1, default: '0.0.0.0' },
    DATABASE_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    CHARTROOM_DATA_DIR: { type: 'string', minLength: 1, default: './data' },
    S3_ENDPOINT: { type: 'string', pattern: '^https?://[^/]+/?$' },
    S3_ACCESS_KEY: { type: 'string', minLength: 1 },
    S3_SECRET_KEY: { type: 'string', minLength: 1 },
    S3_BUCKET: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', default: 'chartroom' },
    S3_REGION: { type: 'string', minLength: 1, default: 'us-east-1' },
    CHARTROOM_PUBLIC_URL: { type: 'string', pattern: '^https?://[^\\s]+$' },
    CHARTROOM_ADMIN_PASSWORD: { type: 'string', minLength: 8 },
    CHARTROOM_STORE_PUBLIC: { type: 'boolean', default: true },
    CHARTROOM_TRUST_PROXY: { type: 'boolean', default: false },
    CHARTROOM_MAX_UPLOAD_BYTES: { type: 'integer', minimum: 1024, maximum: 1073741824, default: 20 * 1024 * 1024 },
    CHARTROOM_BLOB_GRACE_SECONDS: { type: 'integer', minimum: 0, default: 3600 },
    CHARTROOM_REQUEST_TIMEOUT_SECONDS: { type: 'integer', minimum: 1, maximum: 86400, default: 300 },
    CHARTROOM_HEADERS_TIMEOUT_SECONDS: { type: 'integer', minimum: 1, maximum: 3600, default: 20 },
    CHARTROOM_IDLE_TIMEOUT_SECONDS: { type: 'integer', minimum: 1, maximum: 86400, default: 60 },
    CHARTROOM_KEEPALIVE_TIMEOUT_SECONDS: { type: 'integer', minimum: 1, maximum: 3600, default: 72 },
    LOG_LEVEL: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
  },
} as const;

type Env = Record<string, string | undefined>;

const TIMEOUT_VARIABLES = [
  'CHARTROOM_REQUEST_TIMEOUT_SECONDS',
  'CHARTROOM_HEADERS_TIMEOUT_SECONDS',
  'CHARTROOM_IDLE_TIMEOUT_SECONDS',
  'CHARTROOM_KEEPALIVE_TIMEOUT_SECONDS',
];

const ajv = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: false });
const validateEnv = ajv.compile(envSchema);

/** Reads and validates configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const known = Object.keys(envSchema.properties);
  const input: Record<string, unknown> = {};
  for (const key of known) {
    const value = env[key];
    // An empty variable counts as unset, as shells and compose files often leave them.
    if (value !== undefined && value !== '') input[key] = value;
  }
  for (const key of ['CHARTROOM_STORE_PUBLIC', 'CHARTROOM_TRUST_PROXY']) {
    const raw = input[key];
    if (typeof raw !== 'string') continue;
    const v = raw.toLowerCase();
    if (v === 'true' || v === '1' || v === 'yes') input[key] = true;
    else if (v === 'false' || v === '0' || v === 'no') input[key] = false;
    else throw new ConfigError(key, `must be true or false, got "${raw}"`);
  }
  const wholeNumbers = ['PORT', 'CHARTROOM_MAX_UPLOAD_BYTES', 'CHARTROOM_BLOB_GRACE_SECONDS', ...TIMEOUT_VARIABLES];
  for (const key of wholeNumbers) {
    const v = input[key];
    if (typeof v === 'string' && !/^\d+$/.test(v)) throw new ConfigError(key, `must be a whole number, got "${v}"`);
  }
  if (!validateEnv(input)) {
    const err = validateEnv.errors?.[0];
    const variable = err?.instancePath.replace(/^\//, '') || 'environment';
    const shown = env[variable] === undefined ? '' : ` (got "${env[variable]}")`;
    throw new ConfigError(variable, `${err?.message ?? 'is invalid'}${shown}`);
  }
  const e = input as Record<string, string | number | boolean | undefined>;

  let s3: S3Config | null = null;
  if (e.S3_ENDPOINT !== undefined) {
    if (e.S3_ACCESS_KEY === undefined) throw new ConfigError('S3_ACCESS_KEY', 'is required when S3_ENDPOINT is set');
    if (e.S3_SECRET_KEY === undefined) throw new ConfigError('S3_SECRET_KEY', 'is required when S3_ENDPOINT is set');
    const url = new URL(String(e.S3_ENDPOINT));
    const useSSL = url.protocol === 'https:';
    s3 = {
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: String(e.S3_ACCESS_KEY),
      secretKey: String(e.S3_SECRET_KEY),
      bucket: String(e.S3_BUCKET),
      region: String(e.S3_REGION),
    };
  } else if (e.S3_ACCESS_KEY !== undefined || e.S3_SECRET_KEY !== undefined) {
    throw new ConfigError('S3_ENDPOINT', 'is required when S3_ACCESS_KEY or S3_SECRET_KEY is set');
  }

  let publicUrl: string | null = null;
  if (e.CHARTROOM_PUBLIC_URL !== undefined) {
    try {
      publicUrl = new URL(String(e.CHARTROOM_PUBLIC_URL)).toString().replace(/\/+$/, '');
    } catch {
      throw new ConfigError('CHARTROOM_PUBLIC_URL', 'must be an absolute http(s) URL');
    }
  }

  const timeouts: Timeouts = {
    requestMs: Number(e.CHARTROOM_REQUEST_TIMEOUT_SECONDS) * 1000,
    headersMs: Number(e.CHARTROOM_HEADERS_TIMEOUT_SECONDS) * 1000,
    idleMs: Number(e.CHARTROOM_IDLE_TIMEOUT_SECONDS) * 1000,
    keepAliveMs: Number(e.CHARTROOM_KEEPALIVE_TIMEOUT_SECONDS) * 1000,
  };
  // Node refuses a headers limit longer than the whole-request limit.
  if (timeouts.headersMs > timeouts.requestMs) {
    throw new ConfigError('CHARTROOM_HEADERS_TIMEOUT_SECONDS', 'must not exceed CHARTROOM_REQUEST_TIMEOUT_SECONDS');
  }

  return {
    port: Number(e.PORT),
    host: String(e.HOST),
    databaseUrl: e.DATABASE_URL === undefined ? null : String(e.DATABASE_URL),
    dataDir: path.resolve(String(e.CHARTROOM_DATA_DIR)),
    s3,
    publicUrl,
    adminPassword: e.CHARTROOM_ADMIN_PASSWORD === undefined ? null : String(e.CHARTROOM_ADMIN_PASSWORD),
    storePublic: Boolean(e.CHARTROOM_STORE_PUBLIC),
    trustProxy: Boolean(e.CHARTROOM_TRUST_PROXY),
    maxUploadBytes: Number(e.CHARTROOM_MAX_UPLOAD_BYTES),
    logLevel: e.LOG_LEVEL as Config['logLevel'],
    blobGraceSeconds: Number(e.CHARTROOM_BLOB_GRACE_SECONDS),
    timeouts,
  };
}
