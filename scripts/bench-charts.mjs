// Bitnami-shaped synthetic charts for the scale benchmarks (bench-scale.mjs and the
// index lab): chart n, version i is a pure function of (n, i), so a set is generated once
// and every server gets identical files.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Header } from 'tar';

const now = () => performance.now();

const NAME_HEADS = [
  'alpine', 'amber', 'aspen', 'aurora', 'basalt', 'beacon', 'birch', 'cedar', 'cinder', 'cobalt',
  'comet', 'coral', 'cypress', 'delta', 'ember', 'falcon', 'fern', 'fjord', 'flint', 'garnet',
  'glacier', 'granite', 'harbor', 'hazel', 'heron', 'indigo', 'iris', 'jasper', 'juniper', 'kestrel',
  'lagoon', 'larch', 'lotus', 'maple', 'meadow', 'mesa', 'nebula', 'onyx', 'orchid', 'osprey',
  'pebble', 'quartz', 'raven', 'sable', 'sequoia', 'sierra', 'spruce', 'tundra', 'willow', 'zephyr',
]; // prettier-ignore
const NAME_TAILS = [
  '', 'operator', 'exporter', 'cluster', 'gateway', 'agent', 'server', 'ui', 'proxy', 'ingress',
  'controller', 'dashboard', 'worker', 'api', 'cache', 'sync', 'backup', 'store', 'queue', 'search',
]; // prettier-ignore
const CATEGORIES = ['Database', 'Analytics', 'CMS', 'DeveloperTools', 'Infrastructure', 'Networking', 'Monitoring'];
const LICENSES = ['Apache-2.0', 'MIT', 'BSD-3-Clause', 'MPL-2.0'];
const CHART_MTIME = new Date(Date.UTC(2025, 0, 1));

/** 50 heads x 20 tails name the first 1,000 charts; a numeric suffix tells later thousands apart. */
function chartName(n) {
  const head = NAME_HEADS[n % 50];
  const tail = NAME_TAILS[Math.floor(n / 50) % 20];
  const thousand = Math.floor(n / 1000);
  return [head, tail, thousand ? String(thousand) : ''].filter(Boolean).join('-');
}

/** Distinct for every i of one chart: (major, minor) walks with i. */
function chartVersion(n, i) {
  return `${10 + Math.floor(i / 4)}.${i % 4}.${(n + i) % 7}`;
}

/** Deterministic small numbers for chart (n, i), from a hash rather than a PRNG. */
function digits(n, i) {
  const h = createHash('sha256').update(`bench-scale ${n} ${i}`).digest();
  return (k, mod) => h.readUInt16BE((k * 2) % 30) % mod;
}

function chartYaml(n, name, version, appVersion, pick, withCache) {
  const lines = [
    'annotations:',
    `  category: ${CATEGORIES[n % CATEGORIES.length]}`,
    '  images: |',
    `    - name: ${name}`,
    `      image: registry.example.com/charts/${name}:${appVersion}-debian-12-r${pick(1, 40)}`,
    '    - name: os-shell',
    `      image: registry.example.com/charts/os-shell:12-debian-12-r${pick(2, 60)}`,
    `  licenses: ${LICENSES[n % LICENSES.length]}`,
    'apiVersion: v2',
    `appVersion: ${appVersion}`,
    'dependencies:',
    '  - name: common',
    '    repository: oci://registry.example.com/charts',
    '    version: 2.x.x',
  ];
  if (withCache) {
    lines.push(
      '  - condition: cache.enabled',
      '    name: cache',
      '    repository: oci://registry.example.com/charts',
      '    version: 1.x.x',
    );
  }
  lines.push(
    `description: ${capitalised(name)} packaged for Kubernetes, a synthetic chart of the Chartroom scale benchmark.`,
    `home: https://charts.example.com/${name}`,
    `icon: https://charts.example.com/icons/${name}.svg`,
    'keywords:',
    `  - ${name.split('-')[0]}`,
    `  - ${CATEGORIES[n % CATEGORIES.length].toLowerCase()}`,
    '  - benchmark',
    'maintainers:',
    '  - name: Example Charts Team',
    '    url: https://github.com/example/charts',
    `name: ${name}`,
    'sources:',
    `  - https://github.com/example/charts/tree/main/charts/${name}`,
    `version: ${version}`,
    '',
  );
  return lines.join('\n');
}

const capitalised = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** A values.yaml of about 4 KB, commented the way large catalogues comment theirs. */
function valuesYaml(name, appVersion, pick, withCache) {
  const port = 8000 + pick(5, 1000);
  return `## @section Global parameters
## @param global.imageRegistry Registry that overrides every image registry
## @param global.imagePullSecrets Secrets for pulling images from private registries
global:
  imageRegistry: ""
  imagePullSecrets: []
  defaultStorageClass: ""

## @section Common parameters
## @param nameOverride Replaces the chart name in resource names
## @param fullnameOverride Replaces the whole generated name
## @param commonLabels Labels added to every resource
## @param commonAnnotations Annotations added to every resource
nameOverride: ""
fullnameOverride: ""
commonLabels: {}
commonAnnotations: {}
clusterDomain: cluster.local
extraDeploy: []

## @section ${capitalised(name)} parameters
## @param image.registry ${name} image registry
## @param image.repository ${name} image repository
## @param image.tag ${name} image tag (immutable tags are recommended)
## @param image.digest Image digest, which overrides the tag when set
## @param image.pullPolicy Image pull policy
image:
  registry: registry.example.com
  repository: charts/${name}
  tag: ${appVersion}-debian-12-r${pick(3, 40)}
  digest: ""
  pullPolicy: IfNotPresent
  pullSecrets: []
  debug: false
replicaCount: ${1 + pick(4, 3)}
containerPorts:
  http: ${port}
  metrics: 9090
## @param resourcesPreset Size preset when resources is empty (none, nano, micro, small, medium, large)
resourcesPreset: small
resources: {}
podSecurityContext:
  enabled: true
  fsGroupChangePolicy: Always
  fsGroup: 1001
containerSecurityContext:
  enabled: true
  runAsUser: 1001
  runAsGroup: 1001
  runAsNonRoot: true
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
  capabilities:
    drop: ["ALL"]
  seccompProfile:
    type: RuntimeDefault
livenessProbe:
  enabled: true
  initialDelaySeconds: ${10 + pick(6, 50)}
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 6
readinessProbe:
  enabled: true
  initialDelaySeconds: 5
  periodSeconds: 10
extraEnvVars: []
extraVolumes: []
extraVolumeMounts: []
nodeSelector: {}
tolerations: []
affinity: {}
podAntiAffinityPreset: soft
updateStrategy:
  type: RollingUpdate
configuration: |
  # ${name} configuration, rendered into a ConfigMap
  listen = 0.0.0.0:${port}
  workers = ${1 + pick(7, 16)}
  log_format = json

## @section Traffic exposure parameters
service:
  type: ClusterIP
  ports:
    http: 80
  nodePorts:
    http: ""
  annotations: {}
  sessionAffinity: None
ingress:
  enabled: false
  pathType: ImplementationSpecific
  hostname: ${name}.local
  path: /
  annotations: {}
  tls: false
  extraHosts: []
networkPolicy:
  enabled: true
  allowExternal: true
  allowExternalEgress: true

## @section Persistence parameters
persistence:
  enabled: true
  storageClass: ""
  accessModes:
    - ReadWriteOnce
  size: ${1 + pick(8, 20)}Gi
  annotations: {}
  existingClaim: ""

## @section Metrics parameters
metrics:
  enabled: false
  serviceMonitor:
    enabled: false
    interval: 30s
    scrapeTimeout: ""
    labels: {}
  prometheusRule:
    enabled: false
    rules: []

## @section Dependencies
cache:
  enabled: false
${withCache ? '  architecture: standalone\n' : ''}`;
}

function readme(name, description, version) {
  const rows = [
    ['image.registry', 'Image registry', 'registry.example.com'],
    ['image.repository', 'Image repository', `charts/${name}`],
    ['replicaCount', 'Number of replicas', '1'],
    ['service.type', 'Service type', 'ClusterIP'],
    ['service.ports.http', 'Service HTTP port', '80'],
    ['ingress.enabled', 'Create an Ingress', 'false'],
    ['persistence.enabled', 'Keep data on a PersistentVolumeClaim', 'true'],
    ['persistence.size', 'Volume size', '8Gi'],
    ['metrics.enabled', 'Expose Prometheus metrics', 'false'],
  ];
  return [
    `# ${name}`,
    '',
    description,
    '',
    '## Installing',
    '',
    '```console',
    `helm install my-release example/${name} --version ${version}`,
    '```',
    '',
    '## Parameters',
    '',
    '| Name | Description | Value |',
    '|------|-------------|-------|',
    ...rows.map(([k, d, v]) => `| \`${k}\` | ${d} | \`${v}\` |`),
    '',
    '## Upgrading',
    '',
    'Read the release notes of each version before upgrading; values keep their names within a major version.',
    '',
  ].join('\n');
}

/** A deployment, a service and a config map, with helpers, as helm renders them. */
function templates(name) {
  const full = `{{ include "${name}.fullname" . }}`;
  const labels = (indent) => `{{- include "${name}.labels" . | nindent ${indent} }}`;
  return {
    'templates/_helpers.tpl': `{{- define "${name}.fullname" -}}
{{- default (printf "%s-%s" .Release.Name .Chart.Name) .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "${name}.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
`,
    'templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${full}
  labels: ${labels(4)}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ .Release.Name }}
  template:
    metadata:
      labels: ${labels(8)}
    spec:
      containers:
        - name: ${name}
          image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .Values.containerPorts.http }}
`,
    'templates/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: ${full}
  labels: ${labels(4)}
spec:
  type: {{ .Values.service.type }}
  ports:
    - name: http
      port: {{ .Values.service.ports.http }}
      targetPort: http
  selector:
    app.kubernetes.io/instance: {{ .Release.Name }}
`,
    'templates/configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${full}
data:
  config.conf: {{- .Values.configuration | toYaml | nindent 4 }}
`,
    'templates/NOTES.txt': `${name} is being deployed as {{ .Release.Name }}.\n`,
  };
}

/** Vendored subcharts, as packaged charts carry their dependencies under charts/. */
function subcharts(withCache) {
  const files = {
    'charts/common/Chart.yaml':
      'apiVersion: v2\nname: common\nversion: 2.14.1\ntype: library\ndescription: Shared template helpers\n',
    'charts/common/templates/_names.tpl': '{{- define "common.names.name" -}}{{ .Chart.Name }}{{- end -}}\n',
  };
  if (withCache) {
    files['charts/cache/Chart.yaml'] =
      'apiVersion: v2\nname: cache\nversion: 1.4.2\nappVersion: 7.4.0\ndescription: An in-memory cache\n';
    files['charts/cache/values.yaml'] = 'architecture: standalone\nauth:\n  enabled: true\n';
  }
  return files;
}

/** { name, version, file, body } of chart n, version i. */
export function makeChart(n, i) {
  const name = chartName(n);
  const version = chartVersion(n, i);
  const pick = digits(n, i);
  const appVersion = `${1 + (n % 9)}.${Math.floor(i / 3)}.${pick(0, 20)}`;
  const withCache = n % 3 === 0; // a third of the charts have a second, optional dependency
  const description = `${capitalised(name)} packaged for Kubernetes.`;
  const files = {
    'Chart.yaml': chartYaml(n, name, version, appVersion, pick, withCache),
    'values.yaml': valuesYaml(name, appVersion, pick, withCache),
    'README.md': readme(name, description, version),
    '.helmignore': '.git/\n*.swp\n*.bak\n',
    ...templates(name),
    ...subcharts(withCache),
  };
  const body = tgz(Object.entries(files).map(([p, text]) => [`${name}/${p}`, Buffer.from(text, 'utf8')]));
  return { name, version, file: `${name}-${version}.tgz`, body };
}

/** A gzipped ustar archive (headers from the `tar` package), with fixed owners and times. */
function tgz(entries) {
  const parts = [];
  for (const [p, body] of entries) {
    const header = new Header({
      path: p,
      type: 'File',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: body.length,
      mtime: CHART_MTIME,
    });
    header.encode();
    parts.push(header.block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(parts), { level: 9 });
}

/**
 * The N x M set on disk, generated once: <cache>/v1/<N>x<M>/<name>-<version>.tgz. A
 * marker written last tells a complete set from one cut short.
 */
export function chartSet(cache, charts, versions, log = () => {}) {
  const dir = path.join(cache, 'v1', `${charts}x${versions}`);
  const marker = path.join(dir, '.complete');
  const list = [];
  for (let n = 0; n < charts; n++) {
    for (let i = 0; i < versions; i++) {
      list.push({
        n,
        i,
        name: chartName(n),
        version: chartVersion(n, i),
        file: `${chartName(n)}-${chartVersion(n, i)}.tgz`,
      });
    }
  }
  if (!fs.existsSync(marker)) {
    const t0 = now();
    log(`generating ${charts} x ${versions} charts into ${dir}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const c of list) fs.writeFileSync(path.join(dir, c.file), makeChart(c.n, c.i).body);
    fs.writeFileSync(marker, `${list.length}\n`);
    log(`generated ${list.length} charts in ${((now() - t0) / 1000).toFixed(1)} s`);
  }
  let bytes = 0;
  for (const c of list) {
    c.path = path.join(dir, c.file);
    bytes += fs.statSync(c.path).size;
  }
  return { dir, charts, versions, list, bytes };
}

/**
 * Versions beyond the set, for the rows that write into a populated repository: new
 * versions of existing charts (version index M, M+1, ...), made in memory.
 */
export function extraCharts(set, from, count) {
  return Array.from({ length: count }, (_, k) => {
    const e = from + k;
    return makeChart(e % set.charts, set.versions + Math.floor(e / set.charts));
  });
}
