// requires: helm
// The Helm chart for Chartroom itself (deploy/chart/chartroom), with real helm 3 and 4:
// `helm lint --strict` and `helm template` with the embedded, external and
// high-availability values files, the rendered objects checked property by property,
// and the values that must be refused (schema and template checks).
import t, { type Test } from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { configSchema, loadConfig } from '../../src/config.js';
import { tempDir } from '../helpers/app.js';
import { repoRoot } from '../helpers/env.js';
import { helmBinaries, makeHelm, type Helm } from '../helpers/helm.js';

const chartDir = path.join(repoRoot, 'deploy/chart/chartroom');
const valuesFile = (name: string) => path.join(chartDir, 'ci', `${name}-values.yaml`);
const SECRET_VARIABLES = [
  'DATABASE_URL',
  'S3_ACCESS_KEY',
  'S3_SECRET_KEY',
  'CHARTROOM_ADMIN_PASSWORD',
  'CHARTROOM_SECRET_KEY',
];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

/** `helm template` as objects (empty documents dropped). */
async function render(helm: Helm, args: string[]): Promise<K8sObject[]> {
  const out = await helm.run(['template', 'r', chartDir, ...args]);
  return yaml.loadAll(out).filter((d): d is K8sObject => d !== null && typeof d === 'object');
}

function only(docs: K8sObject[], kind: string): K8sObject {
  const found = docs.filter((d) => d.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as K8sObject;
}

function container(docs: K8sObject[]): any {
  return only(docs, 'Deployment').spec.template.spec.containers.find((c: { name: string }) => c.name === 'chartroom');
}

/** What the container's environment holds: the ConfigMap's entries and the env list. */
function environment(docs: K8sObject[]): { configMap: Record<string, string>; env: EnvVar[] } {
  const c = container(docs);
  const refs = (c.envFrom ?? []).map((e: { configMapRef?: { name: string } }) => e.configMapRef?.name);
  const configMap = docs.find((d) => d.kind === 'ConfigMap' && refs.includes(d.metadata.name));
  if (!configMap) throw new Error('the container reads no ConfigMap of the chart');
  return { configMap: configMap.data ?? {}, env: c.env ?? [] };
}

/** The image's CMD, which the chart's container command must repeat. */
async function dockerfileCmd(): Promise<string[]> {
  const dockerfile = await fs.readFile(path.join(repoRoot, 'Dockerfile'), 'utf8');
  const line = dockerfile.split('\n').find((l) => l.startsWith('CMD '));
  if (!line) throw new Error('the Dockerfile has no CMD');
  return JSON.parse(line.slice(4)) as string[];
}

/** What every rendering must hold, whatever the mode. */
async function checkCommon(t: Test, docs: K8sObject[]): Promise<void> {
  const deployment = only(docs, 'Deployment');
  const pod = deployment.spec.template.spec;
  const c = container(docs);
  t.same(c.command, await dockerfileCmd(), "the container runs the image's CMD: migrations, then the server");
  t.match(c.startupProbe, { httpGet: { path: '/healthz', port: 'http' } });
  t.ok(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 120, 'start-up may take minutes');
  t.match(c.livenessProbe, { httpGet: { path: '/healthz', port: 'http' } });
  t.match(c.readinessProbe, { httpGet: { path: '/readyz', port: 'http' } });
  t.same(c.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);

  t.match(pod.securityContext, { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
  t.match(c.securityContext, {
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
  t.ok(tmp, '/tmp is mounted');
  t.ok(
    pod.volumes.find((v: { name: string; emptyDir?: unknown }) => v.name === tmp?.name && v.emptyDir),
    '/tmp is an emptyDir',
  );
  t.equal(pod.automountServiceAccountToken, false);

  const { configMap, env } = environment(docs);
  const known = Object.keys(configSchema.properties);
  for (const name of [...Object.keys(configMap), ...env.map((e) => e.name)]) {
    t.ok(known.includes(name), `${name} is a variable Chartroom reads`);
  }
  for (const name of SECRET_VARIABLES) {
    t.notOk(name in configMap, `${name} is not in the ConfigMap`);
  }
  for (const e of env.filter((e) => SECRET_VARIABLES.includes(e.name))) {
    t.equal(e.value, undefined, `${e.name} has no literal value`);
    t.ok(e.valueFrom?.secretKeyRef?.name && e.valueFrom.secretKeyRef.key, `${e.name} comes from a secretKeyRef`);
  }
  // A reference to the chart's own Secret names a key it holds.
  const own = docs.find((d) => d.kind === 'Secret');
  for (const e of env) {
    const ref = e.valueFrom?.secretKeyRef;
    if (own && ref?.name === own.metadata.name) {
      t.ok(own.data?.[ref.key], `${e.name}: the chart's Secret has ${ref.key}`);
    }
  }

  const service = only(docs, 'Service');
  t.same(service.spec.selector, deployment.spec.selector.matchLabels, 'the Service selects the pods');
  t.match(service.spec.ports, [{ name: 'http', targetPort: 'http' }]);
}

const secretRef = (env: EnvVar[], name: string) => env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;

for (const { label, bin } of helmBinaries()) {
  t.test(label, async (t) => {
    const helm = await makeHelm(t, label, bin);
    const work = await tempDir(t);

    t.test('helm lint --strict passes with each values file', async (t) => {
      for (const name of ['embedded', 'external', 'ha']) {
        const out = await helm.run(['lint', '--strict', chartDir, '-f', valuesFile(name)]);
        t.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/, name);
        t.notMatch(out, /\[(WARNING|ERROR)\]/, `${name}: no warnings`);
      }
      t.match(await helm.run(['lint', '--strict', chartDir]), /0 chart\(s\) failed/, 'and with the defaults');
    });

    t.test('embedded', async (t) => {
      const docs = await render(helm, ['-f', valuesFile('embedded')]);
      await checkCommon(t, docs);
      const deployment = only(docs, 'Deployment');
      t.equal(deployment.spec.replicas, 1);
      t.same(deployment.spec.strategy, { type: 'Recreate' }, 'the old pod lets go of the volume first');
      const pvc = only(docs, 'PersistentVolumeClaim');
      t.equal(pvc.spec.resources.requests.storage, '20Gi');
      t.equal(pvc.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
      const pod = deployment.spec.template.spec;
      t.match(pod.volumes, [{}, { name: 'data', persistentVolumeClaim: { claimName: pvc.metadata.name } }]);
      t.match(container(docs).volumeMounts, [{ mountPath: '/tmp' }, { name: 'data', mountPath: '/data' }]);
      const { configMap, env } = environment(docs);
      t.equal(configMap.CHARTROOM_DATA_DIR, '/data');
      t.equal(configMap.CHARTROOM_PUBLIC_URL, 'https://charts.example.com');
      t.notOk('S3_ENDPOINT' in configMap);
      t.same(
        env.map((e) => e.name),
        ['CHARTROOM_ADMIN_PASSWORD'],
      );
      t.same(secretRef(env, 'CHARTROOM_ADMIN_PASSWORD'), { name: 'chartroom-admin', key: 'password' });
      t.equal(
        docs.filter((d) => d.kind === 'Secret').length,
        0,
        'every secret is an existing one: the chart makes none',
      );
      for (const kind of ['PodDisruptionBudget', 'Ingress', 'ServiceMonitor']) {
        t.notOk(
          docs.some((d) => d.kind === kind),
          `no ${kind}`,
        );
      }
    });

    t.test('external', async (t) => {
      const docs = await render(helm, ['-f', valuesFile('external')]);
      await checkCommon(t, docs);
      const deployment = only(docs, 'Deployment');
      t.equal(deployment.spec.replicas, 2);
      t.equal(deployment.spec.strategy.type, 'RollingUpdate');
      t.notOk(
        docs.some((d) => d.kind === 'PersistentVolumeClaim'),
        'no volume claim',
      );
      t.same(
        container(docs).volumeMounts.map((m: { mountPath: string }) => m.mountPath),
        ['/tmp', '/data/index-pages'],
        'only /tmp and the index pages cache are writable',
      );
      t.match(
        only(docs, 'Deployment').spec.template.spec.volumes,
        [{ name: 'tmp' }, { name: 'index-pages', emptyDir: { sizeLimit: '2Gi' } }],
        'the index pages cache is an emptyDir',
      );
      const { configMap, env } = environment(docs);
      t.match(configMap, {
        S3_ENDPOINT: 'http://minio.minio.svc:9000',
        S3_BUCKET: 'chartroom',
        S3_REGION: 'us-east-1',
      });
      t.notOk('CHARTROOM_DATA_DIR' in configMap);
      t.notOk('CHARTROOM_PUBLIC_URL' in configMap, 'no ingress, no public URL: relative index urls');
      t.same(secretRef(env, 'DATABASE_URL'), { name: 'chartroom-db', key: 'url' });
      t.same(secretRef(env, 'S3_ACCESS_KEY'), { name: 'chartroom-s3', key: 'access-key' });
      t.same(secretRef(env, 'S3_SECRET_KEY'), { name: 'chartroom-s3', key: 'secret-key' });
      t.same(secretRef(env, 'CHARTROOM_ADMIN_PASSWORD'), { name: 'chartroom-app', key: 'admin-password' });
      t.same(secretRef(env, 'CHARTROOM_SECRET_KEY'), { name: 'chartroom-app', key: 'secret-key' });
      t.equal(docs.filter((d) => d.kind === 'Secret').length, 0);
    });

    t.test('high availability', async (t) => {
      const docs = await render(helm, ['-f', valuesFile('ha')]);
      await checkCommon(t, docs);
      const deployment = only(docs, 'Deployment');
      const selector = deployment.spec.selector.matchLabels;
      t.equal(deployment.spec.replicas, 3);
      t.same(deployment.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
      const pdb = only(docs, 'PodDisruptionBudget');
      t.equal(pdb.apiVersion, 'policy/v1');
      t.same(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: selector } });
      for (const spread of deployment.spec.template.spec.topologySpreadConstraints) {
        t.same(spread.labelSelector, { matchLabels: selector }, `${spread.topologyKey}: spread this release's pods`);
      }

      const service = only(docs, 'Service');
      const ingress = only(docs, 'Ingress');
      t.equal(ingress.spec.ingressClassName, 'nginx');
      t.same(ingress.spec.tls, [{ hosts: ['charts.example.com'], secretName: 'chartroom-tls' }]);
      t.match(ingress.spec.rules, [
        {
          host: 'charts.example.com',
          http: {
            paths: [{ path: '/', backend: { service: { name: service.metadata.name, port: { name: 'http' } } } }],
          },
        },
      ]);

      const monitor = only(docs, 'ServiceMonitor');
      t.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
      t.same(monitor.spec.endpoints[0], { port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' });
      t.same(monitor.spec.selector, { matchLabels: selector });
      t.match(service.metadata.labels, selector, 'the ServiceMonitor finds the Service');
      t.equal(monitor.metadata.labels?.release, 'prometheus');

      const policy = only(docs, 'NetworkPolicy');
      t.same(policy.spec.podSelector, { matchLabels: selector });
      t.equal(policy.spec.ingress[0].from.length, 2);

      const { configMap } = environment(docs);
      t.equal(configMap.CHARTROOM_PUBLIC_URL, 'https://charts.example.com', 'https: TLS names the host');
      t.equal(configMap.CHARTROOM_TRUST_PROXY, 'true');
      t.equal(configMap.CHARTROOM_MAX_UPLOAD_BYTES, '52428800', 'integers stay integers');
    });

    t.test('secrets given as values go into the Secret only, and Chartroom accepts the settings', async (t) => {
      const secrets = {
        database: 'postgres://chartroom:db-secret-1@postgres:5432/chartroom',
        accessKey: 's3-access-secret-2',
        secretKey: 's3-secret-secret-3',
        admin: 'admin-secret-4',
        appKey: 'app-secret-key-5-that-is-at-least-32-chars',
      };
      const every = path.join(work, 'every-setting.yaml');
      await fs.writeFile(
        every,
        yaml.dump({
          mode: 'external',
          database: { url: secrets.database },
          s3: {
            endpoint: 'https://s3.example.com',
            bucket: 'charts',
            region: 'eu-west-1',
            accessKey: secrets.accessKey,
            secretKey: secrets.secretKey,
          },
          adminPassword: { value: secrets.admin },
          secretKey: { value: secrets.appKey },
          config: {
            publicUrl: 'https://charts.example.org/',
            trustProxy: true,
            storePublic: false,
            indexFormat: 'yaml',
            indexCacheMB: 512,
            indexPlainMB: 64,
            indexWarmRepos: 5,
            maxUploadBytes: 104857600,
            blobGraceSeconds: 7200,
            blobSweepDelaySeconds: 5,
            requestTimeoutSeconds: 600,
            headersTimeoutSeconds: 30,
            idleTimeoutSeconds: 90,
            keepAliveTimeoutSeconds: 75,
            logLevel: 'debug',
            imports: {
              allowPrivate: true,
              maxIndexMB: 128,
              requestTimeoutSeconds: 30,
              syncTimeoutSeconds: 900,
              pollSeconds: 15,
            },
            sessions: { hours: 8, idleMinutes: 30 },
          },
        }),
      );
      const docs = await render(helm, ['-f', every]);
      await checkCommon(t, docs);
      const secret = only(docs, 'Secret');
      const decoded = Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
      );
      t.same(decoded, {
        'admin-password': secrets.admin,
        'secret-key': secrets.appKey,
        'database-url': secrets.database,
        's3-access-key': secrets.accessKey,
        's3-secret-key': secrets.secretKey,
      });
      const rest = yaml.dump(docs.filter((d) => d !== secret));
      for (const [name, value] of Object.entries(secrets)) {
        t.notOk(rest.includes(value), `${name} appears nowhere but in the Secret`);
      }
      const pod = only(docs, 'Deployment').spec.template.metadata.annotations;
      t.match(pod, { 'checksum/secret': /^[0-9a-f]{64}$/ }, 'a changed secret rolls the pods');

      // The environment the pod would get, read by Chartroom's own configuration loader.
      const { configMap, env } = environment(docs);
      const fromSecret = Object.fromEntries(
        env.map((e) => [e.name, decoded[e.valueFrom?.secretKeyRef?.key ?? ''] as string]),
      );
      const config = loadConfig({ ...configMap, ...fromSecret });
      t.match(config, {
        port: 8080,
        host: '0.0.0.0',
        databaseUrl: secrets.database,
        publicUrl: 'https://charts.example.org',
        adminPassword: secrets.admin,
        secretKey: secrets.appKey,
        storePublic: false,
        trustProxy: true,
        indexFormat: 'yaml',
        indexCacheBytes: 512 * 1024 * 1024,
        indexPlainMaxBytes: 64 * 1024 * 1024,
        indexWarmRepos: 5,
        maxUploadBytes: 104857600,
        blobGraceSeconds: 7200,
        blobSweepDelaySeconds: 5,
        logLevel: 'debug',
        timeouts: { requestMs: 600_000, headersMs: 30_000, idleMs: 90_000, keepAliveMs: 75_000 },
        s3: {
          endPoint: 's3.example.com',
          useSSL: true,
          bucket: 'charts',
          region: 'eu-west-1',
          accessKey: secrets.accessKey,
          secretKey: secrets.secretKey,
        },
        imports: { allowPrivate: true, maxIndexBytes: 128 * 1024 * 1024, pollMs: 15_000 },
        sessions: { maxAgeMs: 8 * 3600_000, idleMs: 30 * 60_000 },
      });

      // Every variable Chartroom reads can be set: this rendering and the embedded one
      // (CHARTROOM_DATA_DIR) cover them all.
      const embedded = environment(await render(helm, []));
      const set = new Set([
        ...Object.keys(configMap),
        ...env.map((e) => e.name),
        ...Object.keys(embedded.configMap),
        ...embedded.env.map((e) => e.name),
      ]);
      t.same(
        Object.keys(configSchema.properties).filter((name) => !set.has(name)),
        [],
        'no variable is out of reach',
      );
    });

    t.test('values that are refused', async (t) => {
      const refused = async (args: string[], message: RegExp, what: string) => {
        const r = await helm.attempt(['template', 'r', chartDir, ...args]);
        t.not(r.code, 0, `${what}: refused`);
        t.match(r.stderr, message, what);
      };
      await refused(['--set', 'mode=bogus'], /\/mode.*(embedded.*external)/s, 'an unknown mode (schema)');
      await refused(
        ['--set', 'replicaCount=2'],
        /mode=embedded runs one replica .*replicaCount is 2.*mode=external/,
        'two replicas in embedded mode',
      );
      await refused(['--set', 'replicas=3'], /additional propert.*replicas/, 'a typo of a key (schema)');
      await refused(['--set', 'config.logLevel=verbose'], /logLevel/, 'a log level Chartroom does not know');
      await refused(['--set', 'mode=external'], /mode=external needs Postgres/, 'external mode without a database');
      await refused(
        ['-f', valuesFile('external'), '--set', 'database.url=postgres://u:p@db/c'],
        /database: set either database\.url or database\.existingSecret\.name, not both/,
        'a secret both as a value and from an existing Secret',
      );
      await refused(
        ['--set', 'database.url=postgres://u:p@db/c'],
        /mode=embedded keeps its data on the volume/,
        'a database in embedded mode',
      );
      await refused(
        ['--set', 'podDisruptionBudget.enabled=true'],
        /PodDisruptionBudget would only block node drains/,
        'a disruption budget for one embedded replica',
      );
    });
  });
}
