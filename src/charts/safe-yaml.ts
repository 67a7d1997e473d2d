// YAML from uploads is parsed with js-yaml, which keeps an alias as a reference to
// the anchored node: parsing a "billion laughs" document is cheap, but anything that
// walks the result (JSON, schema validation, index rendering) would expand it. We
// measure the expanded size right after parsing and refuse documents above a limit.
import yaml from 'js-yaml';

export class YamlLimitError extends Error {}

/** Counts nodes as if every alias were expanded, stopping as soon as max is passed. */
export function expandedNodeCount(value: unknown, max: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    count++;
    if (count > max) return count;
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
      for (const item of Object.values(v)) stack.push(item);
    }
  }
  return count;
}

/**
 * Parses one YAML document. Throws YAMLException on syntax errors and
 * YamlLimitError when the document expands to more than maxNodes nodes.
 */
export function loadYamlLimited(text: string, maxNodes: number): unknown {
  const value = yaml.load(text, { schema: yaml.DEFAULT_SCHEMA, json: false });
  if (expandedNodeCount(value, maxNodes) > maxNodes) {
    throw new YamlLimitError(`expands to more than ${maxNodes} nodes (aliases are counted expanded)`);
  }
  return value;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}
