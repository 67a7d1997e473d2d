// A chart's values.schema.json is code from an uploader that runs against other
// people's input, so what it may cost is bounded before ajv ever sees it:
// - its size (bytes, JSON values, nesting, number of regular expressions), because
//   ajv's compile time and memory grow with it (20,000 patterns took 7 s and 3 GB);
// - its regular expressions, which run on RE2 (re2js, pure JavaScript) instead of
//   JavaScript's backtracking RegExp: "^(a+)+$" against "aaaa…!" takes exponential
//   time in RegExp and linear time in RE2. RE2 is also what Helm uses (Go's regexp),
//   so the patterns RE2 refuses (lookaround, backreferences) fail `helm install` too;
//   they are refused at upload with the pattern and the reason.
import type { CodeOptions } from 'ajv';
import { RE2JS } from 're2js';
import { chartInvalid } from './invalid.js';
import { isMapping } from './safe-yaml.js';

export const MAX_SCHEMA_BYTES = 1024 * 1024;
/** Every JSON value counts: objects, arrays, strings, numbers, booleans, nulls. */
export const MAX_SCHEMA_NODES = 20_000;
export const MAX_SCHEMA_DEPTH = 100;
/** pattern keywords plus patternProperties keys. */
export const MAX_SCHEMA_PATTERNS = 1_000;
/** RE2 program size (instructions) of one pattern; matching costs input length × this. */
export const MAX_PATTERN_PROGRAM = 10_000;

/** Compiles a pattern with RE2; throws chart-invalid naming it, where it is and why it is refused. */
export function compilePattern(pattern: string, where = ''): RE2JS {
  const at = where ? ` at ${where}` : '';
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    throw chartInvalid(
      `values.schema.json: the pattern ${JSON.stringify(pattern)}${at} cannot be used: ${why(pattern)}` +
        `RE2 says: ${(err as Error).message}. Patterns are matched with RE2, in time linear in the input, as Helm does with Go's regexp`,
    );
  }
  if (re.programSize() > MAX_PATTERN_PROGRAM) {
    throw chartInvalid(
      `values.schema.json: the pattern ${JSON.stringify(pattern)}${at} compiles to ${re.programSize()} RE2 instructions, over the limit of ${MAX_PATTERN_PROGRAM}`,
    );
  }
  return re;
}

function why(pattern: string): string {
  if (/\(\?<?[=!]/.test(pattern)) return 'lookahead and lookbehind ("(?=", "(?!", "(?<=", "(?<!") are not supported. ';
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences ("\\1", "\\k<name>") are not supported. ';
  return '';
}

/** ajv's code.regExp: every pattern and patternProperties key ajv compiles goes through RE2. */
export const re2Engine: NonNullable<CodeOptions['regExp']> = Object.assign(
  (pattern: string) => {
    const re = compilePattern(pattern);
    // ajv dedupes patterns by toString().
    return { test: (s: string) => re.test(s), toString: () => pattern };
  },
  { code: 're2' },
);

/**
 * Refuses a parsed schema over a size limit, and checks every pattern ajv would
 * compile, so the answer names the limit or the pattern and its place.
 */
export function checkSchemaShape(schema: unknown): void {
  countNodes(schema);
  let patterns = 0;
  visitSchema(schema, '#', (pattern, where) => {
    if (++patterns > MAX_SCHEMA_PATTERNS) {
      throw chartInvalid(
        `values.schema.json has more than ${MAX_SCHEMA_PATTERNS} regular expressions (pattern and patternProperties), over the limit of ${MAX_SCHEMA_PATTERNS}`,
      );
    }
    compilePattern(pattern, where);
  });
}

function countNodes(schema: unknown): void {
  let nodes = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value: schema, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (++nodes > MAX_SCHEMA_NODES) {
      throw chartInvalid(
        `values.schema.json has more than ${MAX_SCHEMA_NODES} JSON values, over the limit of ${MAX_SCHEMA_NODES}; a schema this large takes too long to compile`,
      );
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_SCHEMA_DEPTH) {
      throw chartInvalid(
        `values.schema.json is nested more than ${MAX_SCHEMA_DEPTH} levels deep, over the limit of ${MAX_SCHEMA_DEPTH}`,
      );
    }
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
}

// The keywords under which JSON Schema (draft-04 to 2020-12) holds subschemas. Other
// keywords (enum, const, default, examples, unknown ones) are data, never compiled.
const ONE_SCHEMA = [
  'additionalProperties',
  'additionalItems',
  'items',
  'contains',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contentSchema',
];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'];
const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas', 'dependencies'];

function pointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

// Recursion is safe: countNodes has bounded the depth.
function visitSchema(schema: unknown, path: string, onPattern: (pattern: string, where: string) => void): void {
  if (!isMapping(schema)) return;
  if (typeof schema.pattern === 'string') onPattern(schema.pattern, `${path}/pattern`);
  if (isMapping(schema.patternProperties)) {
    for (const key of Object.keys(schema.patternProperties)) {
      onPattern(key, `${path}/patternProperties/${pointer(key)}`);
    }
  }
  for (const k of ONE_SCHEMA) visitSchema(schema[k], `${path}/${k}`, onPattern);
  for (const k of SCHEMA_LISTS) {
    const list = schema[k];
    if (Array.isArray(list)) list.forEach((s, i) => visitSchema(s, `${path}/${k}/${i}`, onPattern));
  }
  for (const k of SCHEMA_MAPS) {
    const map = schema[k];
    if (isMapping(map)) {
      for (const [name, s] of Object.entries(map)) visitSchema(s, `${path}/${k}/${pointer(name)}`, onPattern);
    }
  }
}
