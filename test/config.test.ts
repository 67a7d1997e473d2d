import t from 'tap';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { ConfigError, configSchema, loadConfig } from '../src/config.js';

t.test('defaults give the embedded set-up', async (t) => {
  const c = loadConfig({});
  t.equal(c.port, 8080);
  t.equal(c.host, '0.0.0.0');
  t.equal(c.databaseUrl, null);
  t.equal(c.s3, null);
  t.equal(c.dataDir, path.resolve('./data'));
  t.equal(c.storePublic, true);
  t.equal(c.maxUploadBytes, 20 * 1024 * 1024);
  t.equal(c.logLevel, 'info');
  t.equal(c.publicUrl, null);
});

t.test('values are parsed and normalised', async (t) => {
  const c = loadConfig({
    PORT: '9000',
    DATABASE_URL: 'postgres://u@h/db',
    S3_ENDPOINT: 'https://s3.example.com:9443',
    S3_ACCESS_KEY: 'a',
    S3_SECRET_KEY: 'b',
    S3_BUCKET: 'charts',
    CHARTROOM_PUBLIC_URL: 'https://charts.example.com/',
    CHARTROOM_STORE_PUBLIC: 'false',
    CHARTROOM_MAX_UPLOAD_BYTES: '1048576',
    LOG_LEVEL: 'debug',
    CHARTROOM_ADMIN_PASSWORD: 'long-enough',
  });
  t.equal(c.port, 9000);
  t.same(c.s3, {
    endPoint: 's3.example.com',
    port: 9443,
    useSSL: true,
    accessKey: 'a',
    secretKey: 'b',
    bucket: 'charts',
    region: 'us-east-1',
  });
  t.equal(c.publicUrl, 'https://charts.example.com');
  t.equal(c.storePublic, false);
  t.equal(c.maxUploadBytes, 1048576);
  t.equal(c.adminPassword, 'long-enough');
});

t.test('a bad value names its variable', async (t) => {
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ PORT: 'eighty' }, 'PORT', /whole number/],
    [{ PORT: '70000' }, 'PORT', /<= 65535/],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /pattern/],
    [{ S3_ENDPOINT: 'minio:9000' }, 'S3_ENDPOINT', /pattern/],
    [{ S3_ENDPOINT: 'http://a b', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b' }, 'S3_ENDPOINT', /must be a URL/],
    [{ S3_ENDPOINT: 'http://[x', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b' }, 'S3_ENDPOINT', /must be a URL/],
    [{ S3_ENDPOINT: 'http://minio:9000' }, 'S3_ACCESS_KEY', /required when S3_ENDPOINT/],
    [{ S3_ACCESS_KEY: 'x', S3_SECRET_KEY: 'y' }, 'S3_ENDPOINT', /required when/],
    [
      { S3_ENDPOINT: 'http://m:9000', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b', S3_BUCKET: 'Bad_Bucket' },
      'S3_BUCKET',
      /pattern/,
    ],
    [{ CHARTROOM_PUBLIC_URL: 'charts.example.com' }, 'CHARTROOM_PUBLIC_URL', /pattern/],
    [{ CHARTROOM_PUBLIC_URL: 'https://charts.example.com/?x=1' }, 'CHARTROOM_PUBLIC_URL', /query or a fragment/],
    [{ CHARTROOM_PUBLIC_URL: 'https://charts.example.com/#top' }, 'CHARTROOM_PUBLIC_URL', /query or a fragment/],
    [{ CHARTROOM_BLOB_GRACE_SECONDS: '99999999999' }, 'CHARTROOM_BLOB_GRACE_SECONDS', /<= 31536000/],
    [{ CHARTROOM_STORE_PUBLIC: 'maybe' }, 'CHARTROOM_STORE_PUBLIC', /true or false/],
    [{ CHARTROOM_MAX_UPLOAD_BYTES: '-5' }, 'CHARTROOM_MAX_UPLOAD_BYTES', /whole number/],
    [{ CHARTROOM_MAX_UPLOAD_BYTES: '10' }, 'CHARTROOM_MAX_UPLOAD_BYTES', />= 1024/],
    [{ CHARTROOM_ADMIN_PASSWORD: 'short' }, 'CHARTROOM_ADMIN_PASSWORD', /fewer than 8/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /allowed values/],
  ];
  for (const [env, variable, message] of cases) {
    const err = (() => {
      try {
        loadConfig(env);
        return null;
      } catch (e) {
        return e;
      }
    })();
    t.ok(err instanceof ConfigError, `${variable}: ConfigError`);
    t.equal((err as ConfigError).variable, variable);
    t.match((err as ConfigError).message, new RegExp(`^invalid configuration: ${variable} `));
    t.match((err as ConfigError).message, message, `${variable}: ${(err as Error).message}`);
    for (const secret of ['short', 'hunter2-secret']) {
      t.notMatch((err as ConfigError).message, secret, 'a secret is never echoed');
    }
  }
  const err = (() => {
    try {
      return loadConfig({
        S3_ENDPOINT: 'http://127.0.0.1:9000',
        S3_ACCESS_KEY: 'a',
        S3_SECRET_KEY: 'hunter2-secret',
        CHARTROOM_ADMIN_PASSWORD: 'short',
      });
    } catch (e) {
      return e as Error;
    }
  })();
  t.ok(err instanceof ConfigError);
  t.notMatch((err as Error).message, /short|hunter2/, 'neither the password nor the S3 secret is in the message');
});

t.test('booleans take the usual spellings; numbers are digits only; empty means unset', async (t) => {
  for (const [raw, value] of [
    ['TRUE', true],
    ['yes', true],
    ['1', true],
    ['False', false],
    ['NO', false],
    ['0', false],
  ] as const) {
    t.equal(loadConfig({ CHARTROOM_TRUST_PROXY: raw }).trustProxy, value, raw);
  }
  for (const raw of ['1e3', ' 42', '4.5', '0x10']) {
    t.throws(() => loadConfig({ PORT: raw }), /^invalid configuration: PORT must be a whole number/, raw);
  }
  const c = loadConfig({ PORT: '', CHARTROOM_STORE_PUBLIC: '', CHARTROOM_ADMIN_PASSWORD: '' });
  t.equal(c.port, 8080);
  t.equal(c.storePublic, true);
  t.equal(c.adminPassword, null);
  t.throws(
    () => loadConfig({ CHARTROOM_TRUST_PROXY: 'on' }),
    /CHARTROOM_TRUST_PROXY must be true or false, or a comma-separated list of proxy addresses or CIDR ranges .*"on" is neither/,
  );
  t.same(
    loadConfig({ CHARTROOM_TRUST_PROXY: '10.0.0.0/8, 192.168.1.7 ,fd00::/8' }).trustProxy,
    ['10.0.0.0/8', '192.168.1.7', 'fd00::/8'],
    'the proxies, as addresses and CIDR ranges',
  );
  for (const bad of ['10.0.0.0/33', '10.0.0/8', 'proxy.internal', '10.0.0.1,', '::1/129', '1.2.3.4/8/9']) {
    t.throws(() => loadConfig({ CHARTROOM_TRUST_PROXY: bad }), /CHARTROOM_TRUST_PROXY must be/, bad);
  }
});

t.test('unknown variables are ignored', async (t) => {
  t.equal(loadConfig({ CHARTROOM_NOT_A_SETTING: 'x', PATH: '/bin' }).port, 8080);
});

t.test("the README's configuration table lists every variable of the schema with its default", async (t) => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'));
  const documented = new Map<string, string>();
  for (const line of section.slice(0, section.indexOf('\n## ', 1)).split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (!cells[1]?.startsWith('`')) continue;
    for (const [, name] of cells[1].matchAll(/`([A-Z0-9_]+)`/g)) documented.set(name as string, cells[2] ?? '');
  }
  t.same([...documented.keys()].sort(), Object.keys(configSchema.properties).sort());
  for (const [name, rule] of Object.entries(configSchema.properties)) {
    if ('default' in rule) t.equal(documented.get(name), `\`${String(rule.default)}\``, name);
  }
});
