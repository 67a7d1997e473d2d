// Builds tar.gz archives byte by byte, so tests can make exactly the malformed
// packages (links, devices, absolute or backslash paths) that real tools refuse to.
import zlib from 'node:zlib';

export interface TarEntry {
  path: string;
  body?: string | Buffer;
  /** ustar type flag: '0' file, '1' hard link, '2' symlink, '3' char device, '4' block device, '5' dir, '6' fifo */
  type?: string;
  linkname?: string;
  /** Header size field, when a test wants it to disagree with the body. */
  size?: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512, 0);
  const name = Buffer.from(e.path, 'utf8');
  if (name.length > 100) {
    // ustar prefix field for long paths
    const cut = e.path.lastIndexOf('/', 155);
    h.write(e.path.slice(cut + 1), 0, 100, 'utf8');
    h.write(e.path.slice(0, cut), 345, 155, 'utf8');
  } else {
    name.copy(h, 0);
  }
  h.write(octal(e.type === '5' ? 0o755 : 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(1_700_000_000, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(e.type ?? '0', 156, 'ascii');
  if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body =
      e.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.body) ? e.body : Buffer.from(e.body, 'utf8');
    parts.push(header(e, e.size ?? body.length));
    if (body.length > 0) {
      parts.push(body);
      const pad = (512 - (body.length % 512)) % 512;
      parts.push(Buffer.alloc(pad, 0));
    }
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}

export function tgz(entries: TarEntry[]): Buffer {
  return zlib.gzipSync(tar(entries));
}

export interface ChartOptions {
  name?: string;
  version?: string;
  chartYaml?: string | Buffer;
  values?: string;
  schema?: string;
  readme?: string;
  extra?: TarEntry[];
  dir?: string;
}

export function chartYamlFor(name: string, version: string, more = ''): string {
  return `apiVersion: v2\nname: ${name}\nversion: ${version}\nappVersion: "1.0"\ndescription: A test chart\ntype: application\n${more}`;
}

/** A small, valid chart package (plus whatever a test adds or overrides). */
export function makeChart(o: ChartOptions = {}): Buffer {
  const name = o.name ?? 'demo';
  const version = o.version ?? '0.1.0';
  const dir = o.dir ?? name;
  const entries: TarEntry[] = [
    { path: `${dir}/Chart.yaml`, body: o.chartYaml ?? chartYamlFor(name, version) },
    { path: `${dir}/values.yaml`, body: o.values ?? 'replicaCount: 1\nimage:\n  repository: nginx\n  tag: "1.25"\n' },
    {
      path: `${dir}/templates/configmap.yaml`,
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  replicas: "{{ .Values.replicaCount }}"\n',
    },
  ];
  if (o.schema !== undefined) entries.push({ path: `${dir}/values.schema.json`, body: o.schema });
  if (o.readme !== undefined) entries.push({ path: `${dir}/README.md`, body: o.readme });
  entries.push(...(o.extra ?? []));
  return tgz(entries);
}
