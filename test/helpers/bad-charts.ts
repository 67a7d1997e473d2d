// Every rejection rule of spec section 8 as one table, shared by the ingest unit test
// and the HTTP test that checks a rejected upload leaves no row and no blob.
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { chartYamlFor, makeChart, tgz } from './tarball.js';

export interface BadChart {
  name: string;
  bytes: () => Buffer;
  /** A fragment the error message must contain. */
  message: RegExp;
  code?: 'chart-invalid' | 'upload-too-large';
}

const chart = (yaml: string) => () => makeChart({ chartYaml: yaml });
const MiB = 1024 * 1024;

const aliasBomb = [
  'apiVersion: v2',
  'name: bomb',
  'version: 1.0.0',
  'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]',
].join('\n');

export const badCharts: BadChart[] = [
  {
    name: 'path traversal',
    bytes: () => makeChart({ extra: [{ path: 'demo/../../etc/passwd', body: 'x' }] }),
    message: /climbs out of the chart/,
  },
  {
    name: 'symlink',
    bytes: () => makeChart({ extra: [{ path: 'demo/templates/link.yaml', type: '2', linkname: '/etc/passwd' }] }),
    message: /is a symbolic link/,
  },
  {
    name: 'hard link',
    bytes: () => makeChart({ extra: [{ path: 'demo/templates/hard.yaml', type: '1', linkname: 'demo/values.yaml' }] }),
    message: /is a hard link/,
  },
  {
    name: 'character device',
    bytes: () => makeChart({ extra: [{ path: 'demo/dev', type: '3' }] }),
    message: /is a character device/,
  },
  {
    name: 'block device',
    bytes: () => makeChart({ extra: [{ path: 'demo/blk', type: '4' }] }),
    message: /is a block device/,
  },
  { name: 'fifo', bytes: () => makeChart({ extra: [{ path: 'demo/fifo', type: '6' }] }), message: /is a named pipe/ },
  {
    name: 'absolute path',
    bytes: () => makeChart({ extra: [{ path: '/demo/templates/x.yaml', body: 'x' }] }),
    message: /absolute path/,
  },
  {
    name: 'backslash path',
    bytes: () => makeChart({ extra: [{ path: 'demo\\..\\..\\evil.yaml', body: 'x' }] }),
    message: /backslash/,
  },
  {
    name: 'drive letter',
    bytes: () => makeChart({ extra: [{ path: 'C:/demo/evil.yaml', body: 'x' }] }),
    message: /drive letter/,
  },
  {
    name: 'no top directory',
    bytes: () => tgz([{ path: 'Chart.yaml', body: chartYamlFor('demo', '1.0.0') }]),
    message: /not inside a top-level chart directory/,
  },
  {
    name: 'two top directories',
    bytes: () => makeChart({ extra: [{ path: 'other/values.yaml', body: 'a: 1' }] }),
    message: /more than one top-level directory/,
  },
  {
    name: 'missing Chart.yaml',
    bytes: () => tgz([{ path: 'demo/values.yaml', body: 'a: 1\n' }]),
    message: /Chart\.yaml is missing/,
  },
  {
    name: 'Chart.yaml nested only',
    bytes: () => tgz([{ path: 'demo/sub/Chart.yaml', body: chartYamlFor('demo', '1.0.0') }]),
    message: /Chart\.yaml is missing/,
  },
  {
    name: 'Chart.yaml not a mapping',
    bytes: chart('- apiVersion: v2\n- name: demo\n'),
    message: /must be a YAML mapping/,
  },
  { name: 'Chart.yaml scalar', bytes: chart('just a string\n'), message: /must be a YAML mapping/ },
  {
    name: 'Chart.yaml broken YAML',
    bytes: chart('apiVersion: v2\nname: [demo\n'),
    message: /Chart\.yaml is not valid YAML/,
  },
  { name: 'YAML alias bomb', bytes: chart(aliasBomb), message: /expands to more than/ },
  {
    name: 'bad apiVersion',
    bytes: chart('apiVersion: v3\nname: demo\nversion: 1.0.0\n'),
    message: /apiVersion must be v1 or v2/,
  },
  { name: 'missing apiVersion', bytes: chart('name: demo\nversion: 1.0.0\n'), message: /apiVersion is required/ },
  { name: 'bad name', bytes: chart(chartYamlFor('de mo/x', '1.0.0')), message: /may only hold letters, digits/ },
  { name: 'empty name', bytes: chart('apiVersion: v2\nname: ""\nversion: 1.0.0\n'), message: /name is empty/ },
  { name: 'name "."', bytes: chart(chartYamlFor('.', '1.0.0')), message: /name "\." is not allowed/ },
  { name: 'name ".."', bytes: chart(chartYamlFor('..', '1.0.0')), message: /name "\.\." is not allowed/ },
  { name: 'name too long', bytes: chart(chartYamlFor('a'.repeat(251), '1.0.0')), message: /over the limit of 250/ },
  {
    name: 'version v1.2',
    bytes: chart('apiVersion: v2\nname: demo\nversion: v1.2\n'),
    message: /"v1\.2" is not strict SemVer 2: it must start with a number and contain decimal points/,
  },
  {
    name: 'version 1.2',
    bytes: chart('apiVersion: v2\nname: demo\nversion: "1.2"\n'),
    message: /"1\.2" is not strict SemVer 2/,
  },
  {
    name: 'version as YAML number',
    bytes: chart('apiVersion: v2\nname: demo\nversion: 1.2\n'),
    message: /version must be a string/,
  },
  {
    name: 'version with leading zero',
    bytes: chart('apiVersion: v2\nname: demo\nversion: 01.2.3\n'),
    message: /not strict SemVer 2/,
  },
  {
    name: 'bad type',
    bytes: chart(chartYamlFor('demo', '1.0.0').replace('type: application', 'type: plugin')),
    message: /type must be "application" or "library"/,
  },
  {
    name: 'null maintainer',
    bytes: chart(chartYamlFor('demo', '1.0.0', 'maintainers:\n  - name: a\n  -\n')),
    message: /maintainers\[1\] is empty \(null\)/,
  },
  {
    name: 'null dependency',
    bytes: chart(chartYamlFor('demo', '1.0.0', 'dependencies:\n  -\n')),
    message: /dependencies\[0\] is empty \(null\)/,
  },
  {
    name: 'maintainer not a mapping',
    bytes: chart(chartYamlFor('demo', '1.0.0', 'maintainers:\n  - just-a-name\n')),
    message: /maintainers\.0 must be a mapping/,
  },
  {
    name: 'keywords not a list',
    bytes: chart(chartYamlFor('demo', '1.0.0', 'keywords: db\n')),
    message: /keywords must be a list, but it is a string \("db"\)/,
  },
  {
    name: 'broken values.yaml',
    bytes: () => makeChart({ values: 'a: [1, 2\nb: }\n' }),
    message: /values\.yaml is not valid YAML/,
  },
  {
    name: 'values.yaml a list',
    bytes: () => makeChart({ values: '- a\n- b\n' }),
    message: /values\.yaml must be a YAML mapping/,
  },
  {
    name: 'values.schema.json not JSON',
    bytes: () => makeChart({ schema: '{"type": "object",' }),
    message: /values\.schema\.json is not valid JSON/,
  },
  {
    name: 'values.schema.json not a schema',
    bytes: () => makeChart({ schema: '{"type": "no-such-type"}' }),
    message: /values\.schema\.json is not a valid JSON Schema/,
  },
  {
    name: 'values.schema.json an array',
    bytes: () => makeChart({ schema: '[1,2]' }),
    message: /must be a JSON Schema: an object or a boolean/,
  },
  {
    name: 'Chart.yaml not UTF-8',
    bytes: () =>
      makeChart({
        chartYaml: Buffer.concat([
          Buffer.from('apiVersion: v2\nname: demo\nversion: 1.0.0\ndescription: '),
          Buffer.from([0xff, 0xfe, 0x41]),
          Buffer.from('\n'),
        ]),
      }),
    message: /Chart\.yaml is not valid UTF-8/,
  },
  {
    name: 'duplicate key in Chart.yaml',
    bytes: chart('apiVersion: v2\nname: demo\nname: other\nversion: 1.0.0\n'),
    message: /duplicated mapping key/,
  },
  {
    name: 'not gzip',
    bytes: () => Buffer.from('PK\x03\x04 this is a zip file, not a chart'),
    message: /not a gzip-compressed chart package/,
  },
  { name: 'plain tar', bytes: () => zlib.gunzipSync(makeChart()), message: /gzip magic bytes/ },
  { name: 'empty upload', bytes: () => Buffer.alloc(0), message: /the upload is empty/ },
  {
    name: 'truncated gzip',
    bytes: () => {
      const b = makeChart({ readme: randomBytes(4000).toString('hex') });
      return b.subarray(0, Math.floor(b.length / 2));
    },
    message: /gzip stream is truncated/,
  },
  {
    name: 'gzip of garbage',
    bytes: () => zlib.gzipSync(randomBytes(2048)),
    message: /tar archive is damaged|archive could not be read|archive is empty/,
  },
  {
    name: 'over-size single file',
    bytes: () => makeChart({ extra: [{ path: 'demo/files/big.bin', body: Buffer.alloc(5 * MiB + 1) }] }),
    message: /over the per-file limit of 5 MiB/,
  },
  {
    name: 'over-size decompression',
    bytes: () =>
      makeChart({
        extra: Array.from({ length: 21 }, (_, i) => ({
          path: `demo/files/zero-${i}.bin`,
          body: Buffer.alloc(5 * MiB - 1024),
        })),
      }),
    message: /decompresses to more than the limit of 100 MiB/,
  },
];

/** Random bytes packed as a chart: incompressible, so its .tgz is about `bytes` big. */
export function bigChart(bytes: number, version = '9.9.9'): Buffer {
  return makeChart({ version, extra: [{ path: 'demo/files/noise.bin', body: randomBytes(bytes) }] });
}
