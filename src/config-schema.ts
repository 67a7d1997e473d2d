// The environment variables Chartroom reads, as one JSON schema: each variable's type,
// default, limits and description. config.ts applies it with env-schema at boot; the
// Environment type below is what that returns, derived from the schema itself.

/** Every environment variable Chartroom reads. A variable without a default is optional. */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8080, description: 'listening port' },
    HOST: { type: 'string', minLength: 1, default: '0.0.0.0', description: 'listening address' },
    DATABASE_URL: {
      type: 'string',
      pattern: '^postgres(ql)?://',
      description: 'Postgres; unset means embedded PGlite under the data dir',
    },
    CHARTROOM_DATA_DIR: {
      type: 'string',
      minLength: 1,
      default: './data',
      description: 'embedded database and local blobs',
    },
    S3_ENDPOINT: {
      type: 'string',
      pattern: '^https?://[^/]+/?$',
      description: 'http(s)://host:port of an S3 server; unset means blobs on local disk',
    },
    S3_ACCESS_KEY: { type: 'string', minLength: 1, description: 'required with S3_ENDPOINT' },
    S3_SECRET_KEY: { type: 'string', minLength: 1, description: 'required with S3_ENDPOINT' },
    S3_BUCKET: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      default: 'chartroom',
      description: 'created when missing',
    },
    S3_REGION: { type: 'string', minLength: 1, default: 'us-east-1', description: 'region sent to the S3 server' },
    CHARTROOM_PUBLIC_URL: {
      type: 'string',
      pattern: '^https?://[^\\s]+$',
      description: 'when set, index urls are absolute',
    },
    CHARTROOM_ADMIN_PASSWORD: {
      type: 'string',
      minLength: 8,
      description: 'password of admin, used only when the database is empty; unset means generated',
    },
    CHARTROOM_STORE_PUBLIC: {
      type: 'boolean',
      default: true,
      description: 'false: the store needs a signed-in user',
    },
    CHARTROOM_TRUST_PROXY: {
      type: 'string',
      default: 'false',
      maxLength: 4096,
      description:
        'client addresses come from X-Forwarded-For: true believes every hop; a comma-separated list of proxy addresses or CIDR ranges believes only those',
    },
    CHARTROOM_MAX_UPLOAD_BYTES: {
      type: 'integer',
      minimum: 1024,
      maximum: 1073741824,
      default: 20 * 1024 * 1024,
      description: 'upload size limit',
    },
    CHARTROOM_BLOB_GRACE_SECONDS: {
      type: 'integer',
      minimum: 0,
      // A year: far beyond any upload in flight, and a date the sweep can still compute.
      maximum: 31536000,
      default: 3600,
      description: 'unreferenced blobs younger than this are never swept',
    },
    CHARTROOM_BLOB_SWEEP_DELAY_SECONDS: {
      type: 'integer',
      minimum: 0,
      maximum: 86400,
      default: 30,
      description: 'the first blob sweep after start waits this long',
    },
    CHARTROOM_REQUEST_TIMEOUT_SECONDS: {
      type: 'integer',
      minimum: 1,
      maximum: 86400,
      default: 300,
      description: 'a whole request, headers and body, must arrive within this',
    },
    CHARTROOM_HEADERS_TIMEOUT_SECONDS: {
      type: 'integer',
      minimum: 1,
      maximum: 3600,
      default: 20,
      description: 'request headers must arrive within this (at most the request timeout)',
    },
    CHARTROOM_IDLE_TIMEOUT_SECONDS: {
      type: 'integer',
      minimum: 1,
      maximum: 86400,
      default: 60,
      description: 'a connection with no traffic either way is closed after this',
    },
    CHARTROOM_KEEPALIVE_TIMEOUT_SECONDS: {
      type: 'integer',
      minimum: 1,
      maximum: 3600,
      default: 72,
      description: 'an idle keep-alive connection is closed after this',
    },
    CHARTROOM_INDEX_FORMAT: {
      type: 'string',
      enum: ['json', 'yaml'],
      default: 'json',
      description: 'the form of index.yaml bytes: JSON (Helm loads it about 5x faster) or YAML',
    },
    CHARTROOM_INDEX_CACHE_MB: {
      type: 'integer',
      minimum: 1,
      maximum: 65536,
      default: 256,
      description: 'memory for rendered indexes across repositories; the least recently served go first',
    },
    CHARTROOM_INDEX_WARM_REPOS: {
      type: 'integer',
      minimum: 0,
      maximum: 100000,
      default: 50,
      description:
        'indexes loaded in the background after a start: the store and the most recently changed workspaces, up to half of the index memory; 0 loads each on its first request',
    },
    CHARTROOM_INDEX_PLAIN_MB: {
      type: 'integer',
      minimum: 0,
      maximum: 65536,
      default: 32,
      description:
        'an index larger than this is held compressed only (about a tenth of the memory); answers without gzip inflate it as they are sent',
    },
    CHARTROOM_SECRET_KEY: {
      type: 'string',
      minLength: 32,
      description: 'at least 32 characters (e.g. openssl rand -base64 32): encrypts import credentials at rest',
    },
    CHARTROOM_IMPORT_ALLOW_PRIVATE: {
      type: 'boolean',
      default: false,
      description: 'true: imports may reach loopback, private and link-local addresses',
    },
    CHARTROOM_IMPORT_MAX_INDEX_MB: {
      type: 'integer',
      minimum: 1,
      maximum: 1024,
      default: 64,
      description: 'largest upstream index an import reads',
    },
    CHARTROOM_IMPORT_REQUEST_TIMEOUT_SECONDS: {
      type: 'integer',
      minimum: 1,
      maximum: 3600,
      default: 60,
      description: 'one upstream request of an import: connect, first byte, and any silence',
    },
    CHARTROOM_IMPORT_SYNC_TIMEOUT_SECONDS: {
      type: 'integer',
      minimum: 10,
      maximum: 86400,
      default: 1800,
      description: 'a whole repository sync',
    },
    CHARTROOM_IMPORT_POLL_SECONDS: {
      type: 'integer',
      minimum: 1,
      maximum: 3600,
      default: 30,
      description: 'how often a replica looks for repositories due for a sync',
    },
    CHARTROOM_SESSION_HOURS: {
      type: 'integer',
      minimum: 1,
      maximum: 720,
      default: 12,
      description: 'a console session ends this long after sign-in',
    },
    CHARTROOM_SESSION_IDLE_MINUTES: {
      type: 'integer',
      minimum: 1,
      maximum: 43200,
      default: 120,
      description: 'a console session ends after this long unused',
    },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      description: 'least severe level logged',
    },
  },
} as const;

type Properties = (typeof configSchema)['properties'];
type ValueOf<P> = P extends { enum: readonly (infer E)[] }
  ? E
  : P extends { type: 'integer' }
    ? number
    : P extends { type: 'boolean' }
      ? boolean
      : string;
/** The environment as env-schema returns it: coerced, with defaults filled in. */
export type Environment = {
  [K in keyof Properties]: Properties[K] extends { default: unknown }
    ? ValueOf<Properties[K]>
    : ValueOf<Properties[K]> | undefined;
};
