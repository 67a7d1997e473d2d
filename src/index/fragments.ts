// An index file is a header, one fragment per chart name (in name order) and a footer.
// A fragment holds every version of one chart name, rendered once, in the form the
// repository serves (YAML or JSON). A write re-renders only the names it touched; a
// request only joins bytes. The YAML joined from fragments is byte for byte what
// rendering the whole document at once gives (test/index/fragments.test.ts).
import yaml from 'js-yaml';
import type { IndexEntry } from './render.js';

export type IndexFormat = 'yaml' | 'json';

// The same options as render.ts: Helm's key order, no anchors, no folding, and
// YAML 1.1 booleans quoted for Go's parser.
const DUMP = { sortKeys: true, noRefs: true, lineWidth: -1 } as const;

/** One chart name's entries (newest first) as a fragment of `entries:`. */
export function renderFragment(format: IndexFormat, name: string, entries: IndexEntry[]): string {
  if (format === 'json') return `${JSON.stringify(name)}:${JSON.stringify(entries)}`;
  // Dumped on its own, then indented one level: block scalars carry relative indentation,
  // and empty lines stay empty, so this equals the nested dump.
  const own = yaml.dump({ [name]: entries }, DUMP);
  return own.replace(/^(?=.)/gm, '  ');
}

/** What comes before the first fragment. */
export function indexHeader(format: IndexFormat, empty: boolean): string {
  if (format === 'json') return '{"apiVersion":"v1","entries":{';
  return empty ? 'apiVersion: v1\nentries: {}\n' : 'apiVersion: v1\nentries:\n';
}

/** What goes between two fragments. */
export function fragmentSeparator(format: IndexFormat): string {
  return format === 'json' ? ',' : '';
}

/** What comes after the last fragment: the time the index last changed. */
export function indexFooter(format: IndexFormat, generated: Date): string {
  const iso = generated.toISOString();
  if (format === 'json') return `},"generated":${JSON.stringify(iso)}}\n`;
  return yaml.dump({ generated: iso }, DUMP);
}

/** A whole index from fragments already in name order. */
export function joinFragments(format: IndexFormat, fragments: string[], generated: Date): string {
  return (
    indexHeader(format, fragments.length === 0) +
    fragments.join(fragmentSeparator(format)) +
    indexFooter(format, generated)
  );
}
