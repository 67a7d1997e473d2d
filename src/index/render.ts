// Renders Helm repository index files. Helm reads them strictly, so an entry holds
// Helm's Chart.yaml fields plus urls, created and digest, and nothing else.
import yaml from 'js-yaml';
import semver from 'semver';
import { packageFileName, type ChartMetadata } from '../charts/ingest.js';

export interface IndexVersion {
  metadata: ChartMetadata;
  digest: string;
  created: Date;
}

export interface RenderOptions {
  /** Absolute base URL of the repository (no trailing slash); null for relative URLs. */
  baseUrl: string | null;
  generated?: Date;
}

export interface IndexEntry extends ChartMetadata {
  urls: string[];
  created: string;
  digest: string;
}

export function chartUrl(meta: Pick<ChartMetadata, 'name' | 'version'>, baseUrl: string | null): string {
  const file = `charts/${encodeURIComponent(packageFileName(meta)).replace(/%2B/g, '+')}`;
  return baseUrl ? `${baseUrl}/${file}` : file;
}

export function toIndexEntry(v: IndexVersion, baseUrl: string | null): IndexEntry {
  return { ...v.metadata, urls: [chartUrl(v.metadata, baseUrl)], created: v.created.toISOString(), digest: v.digest };
}

/** Newest first by SemVer precedence; build metadata breaks ties so the order is stable. */
export function compareVersionsDesc(a: string, b: string): number {
  return semver.rcompare(a, b) || (a < b ? 1 : a > b ? -1 : 0);
}

/**
 * Groups versions by chart name, each list newest first; names in alphabetical order.
 * The result has no prototype: a chart may be named "__proto__" or "constructor", and
 * on a plain object the first would set the prototype instead of adding an entry.
 */
export function groupEntries(versions: IndexVersion[], baseUrl: string | null): Record<string, IndexEntry[]> {
  const byName = new Map<string, IndexVersion[]>();
  for (const v of versions) {
    const list = byName.get(v.metadata.name);
    if (list) list.push(v);
    else byName.set(v.metadata.name, [v]);
  }
  const entries = Object.create(null) as Record<string, IndexEntry[]>;
  for (const name of [...byName.keys()].sort()) {
    const list = byName.get(name) ?? [];
    list.sort((x, y) => compareVersionsDesc(x.metadata.version, y.metadata.version));
    entries[name] = list.map((v) => toIndexEntry(v, baseUrl));
  }
  return entries;
}

export function renderIndex(versions: IndexVersion[], opts: RenderOptions): string {
  const doc = {
    apiVersion: 'v1',
    entries: groupEntries(versions, opts.baseUrl),
    generated: (opts.generated ?? new Date()).toISOString(),
  };
  // sortKeys matches Helm's own output; noRefs keeps shared objects from becoming
  // anchors; the default compat mode quotes YAML 1.1 booleans like "yes" for Go's parser.
  return yaml.dump(doc, { sortKeys: true, noRefs: true, lineWidth: -1 });
}
